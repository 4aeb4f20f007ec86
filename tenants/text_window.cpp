// SPDX-License-Identifier: Apache-2.0
#include "tenants/text_window.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cspwatch::tenants {

namespace {

Status cannotRead(const std::string& path, int err) {
  return Status::ioError("cannot read " + path + ": " + std::strerror(err));
}

Status tooBig(const std::string& path, uint64_t size, size_t max_bytes) {
  return Status::ioError("cannot read " + path + ": it is " + describeSize(size) +
                         ", more than the " + describeSize(max_bytes) + " allowed");
}

}  // namespace

Result<TextWindow> TextWindow::open(const std::string& path, size_t max_bytes, size_t read_bytes) {
  // The same checks and messages as readWholeFile(), which the other readers of the file use.
  TextWindow w;
  w.path_ = path;
  w.max_bytes_ = max_bytes;
  w.read_bytes_ = std::max<size_t>(read_bytes, 1);
  w.owned_ = true;
  w.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (w.fd_ < 0) return cannotRead(path, errno);
  struct stat st {};
  if (::fstat(w.fd_, &st) != 0) return cannotRead(path, errno);
  if (S_ISDIR(st.st_mode)) return cannotRead(path, EISDIR);
  if (!S_ISREG(st.st_mode)) {
    // A pipe or a device cannot be read twice: read it whole, bounded as readWholeFile() is.
    ::close(w.fd_);
    w.fd_ = -1;
    auto text = readWholeFile(path, max_bytes);
    if (!text) return text.status();
    w.buffer_ = std::move(*text);
    w.loaded_ = w.buffer_;
    w.at_end_ = true;
    return w;
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return tooBig(path, static_cast<uint64_t>(st.st_size), max_bytes);
  return w;
}

TextWindow::TextWindow(std::string_view text) : loaded_(text), at_end_(true) {}

TextWindow::TextWindow(TextWindow&& other) noexcept { *this = std::move(other); }

TextWindow& TextWindow::operator=(TextWindow&& other) noexcept {
  if (this == &other) return *this;
  if (fd_ >= 0) ::close(fd_);
  path_ = std::move(other.path_);
  fd_ = std::exchange(other.fd_, -1);
  owned_ = other.owned_;
  max_bytes_ = other.max_bytes_;
  read_bytes_ = other.read_bytes_;
  buffer_ = std::move(other.buffer_);
  // A moved string may not keep its bytes where they were (short strings live inside it).
  loaded_ = owned_ ? std::string_view(buffer_) : other.loaded_;
  base_ = other.base_;
  released_ = other.released_;
  at_end_ = other.at_end_;
  status_ = std::move(other.status_);
  return *this;
}

TextWindow::~TextWindow() {
  if (fd_ >= 0) ::close(fd_);
}

bool TextWindow::readUpTo(size_t offset) {
  // Drop what was released, then read until `offset` is loaded or the file ends.
  buffer_.erase(0, std::min(released_ - base_, buffer_.size()));
  base_ = std::max(base_, released_);
  while (offset - base_ >= buffer_.size()) {
    const size_t had = buffer_.size();
    buffer_.resize(had + read_bytes_);
    const ssize_t n = ::read(fd_, &buffer_[had], read_bytes_);
    const int err = errno;
    buffer_.resize(had + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n < 0 && err == EINTR) continue;
    if (n < 0) status_ = cannotRead(path_, err);
    if (n > 0 && base_ + buffer_.size() > max_bytes_)  // the file grew past the bound
      status_ = tooBig(path_, base_ + buffer_.size(), max_bytes_);
    if (n <= 0 || !status_.isOk()) {
      at_end_ = true;
      break;
    }
  }
  loaded_ = buffer_;
  return offset - base_ < buffer_.size();
}

Result<std::string> TextWindow::wholeText() const {
  if (fd_ < 0) return std::string(owned_ ? std::string_view(buffer_) : loaded_);
  return readWholeFile(path_, max_bytes_);
}

bool TextWindow::rewind() {
  released_ = 0;
  if (fd_ < 0) return true;  // all of it is in memory
  buffer_.clear();
  loaded_ = buffer_;
  base_ = 0;
  at_end_ = false;
  status_ = Status::ok();
  if (::lseek(fd_, 0, SEEK_SET) != 0) {
    status_ = cannotRead(path_, errno);
    at_end_ = true;
    return false;
  }
  return true;
}

}  // namespace cspwatch::tenants
