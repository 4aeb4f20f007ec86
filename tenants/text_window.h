// SPDX-License-Identifier: Apache-2.0
// A window onto a text that is read a piece at a time, for readers that walk an inventory file
// from start to end without holding all of it: a 200,000-tenant inventory is 160 MB of JSON.
//
// Bytes are addressed by their offset in the whole text. has(offset) reads more of the file when
// the offset is past what is loaded; release(offset) says the reader no longer needs what comes
// before it, and the next read drops it. So memory is what lies between the last released offset
// and the furthest byte asked for (one tenant's record, plus one read), never the file.
//
// A window can also be laid over a text already in memory (tests, callers holding a string):
// nothing is copied and the text must outlive the window.
//
// Errors are values: a file that cannot be opened or is over the size allowed is an error from
// open(); a read that fails later ends the text early, and status() then says why (a reader
// must check it when it meets the end). Not thread-safe. Views returned by view() are valid
// until the next call to has() (which may move the loaded bytes).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/file_util.h"
#include "common/status.h"

namespace cspwatch::tenants {

class TextWindow {
 public:
  // One read: large enough that system calls cost little, small beside any memory bound.
  static constexpr size_t kReadBytes = 64 * 1024;

  // The file at `path`, read in pieces. An error names the path and the reason, as
  // readWholeFile() does (a directory, a file over `max_bytes`); a file that grows past
  // `max_bytes` while it is read ends there, with the error in status(). A pipe or a device,
  // which cannot be read twice, is read whole at once, bounded the same way. `read_bytes` is how
  // much one read asks for (tests make it tiny to put record boundaries everywhere).
  static Result<TextWindow> open(const std::string& path, size_t max_bytes = kMaxFileBytes,
                                 size_t read_bytes = kReadBytes);
  // `text` in memory, not copied.
  explicit TextWindow(std::string_view text);

  TextWindow(TextWindow&& other) noexcept;
  TextWindow& operator=(TextWindow&& other) noexcept;
  TextWindow(const TextWindow&) = delete;
  TextWindow& operator=(const TextWindow&) = delete;
  ~TextWindow();

  // Whether the text has a byte at `offset` (reading on to it if needed). REQUIRES: offset is
  // not before the last release().
  bool has(size_t offset) {
    return offset - base_ < loaded_.size() || (!at_end_ && readUpTo(offset));
  }
  // REQUIRES: has(offset) was true, and nothing before offset was released since.
  char at(size_t offset) const { return loaded_[offset - base_]; }
  // The bytes [from, to). REQUIRES: has(to - 1) was true (or from == to), from not released.
  std::string_view view(size_t from, size_t to) const {
    return loaded_.substr(from - base_, to - from);
  }
  // What comes before `offset` is no longer needed.
  void release(size_t offset) {
    if (offset > released_) released_ = offset;
  }
  // Back to the start of the text, as if it had just been opened (a file is read again from
  // its start through the same descriptor, so a file replaced meanwhile is still the one
  // opened). False when the file cannot be read again (then status() says why).
  bool rewind();

  // The whole text at once, for a reader that cannot go on piece by piece: for a file,
  // readWholeFile() of its path (opened again).
  Result<std::string> wholeText() const;

  // A read that failed or went over the size allowed; ok otherwise.
  const Status& status() const { return status_; }
  const std::string& path() const { return path_; }

 private:
  TextWindow() = default;
  bool readUpTo(size_t offset);  // false at the end of the text or on a read error

  std::string path_;
  int fd_ = -1;         // -1 when the whole text is in memory
  bool owned_ = false;  // loaded_ views buffer_ (else a caller's text)
  size_t max_bytes_ = kMaxFileBytes;
  size_t read_bytes_ = kReadBytes;
  std::string buffer_;       // a file's loaded bytes
  std::string_view loaded_;  // the loaded bytes (buffer_, or the text in memory)
  size_t base_ = 0;          // the offset of loaded_[0]
  size_t released_ = 0;
  bool at_end_ = false;  // nothing more to read
  Status status_;
};

}  // namespace cspwatch::tenants
