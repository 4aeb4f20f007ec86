// SPDX-License-Identifier: Apache-2.0
// Reading a whole file as bytes, with the reason when it cannot be read; replacing one
// atomically without ever writing through a symbolic link; mkdir -p.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace cspwatch {

// The largest file readWholeFile() reads unless told otherwise.
inline constexpr size_t kMaxFileBytes = size_t{256} << 20;

// The file's contents; an ioError naming the path and the system's reason otherwise. A
// directory is refused ("Is a directory"), and so is a file of more than `max_bytes` (read
// bounded, so /dev/zero or a growing file cannot exhaust memory). A symbolic link is followed:
// reading through one redirects no write, and which files may be trusted is file_safety.h's.
Result<std::string> readWholeFile(const std::string& path, size_t max_bytes = kMaxFileBytes);
// "1.5 MiB", "12 KiB", "900 bytes": a size for messages.
std::string describeSize(uint64_t bytes);

// Replaces `path` with `content` so that a crash at any moment leaves either the old or the
// new file, never a mix: a new temporary file beside it (random name, created with O_EXCL and
// O_NOFOLLOW, so nothing planted under any name is followed), given `mode` through its
// descriptor (the umask does not loosen it), written, fsync'd, renamed over `path`, and the
// directory fsync'd. A symbolic link at `path` is replaced, never followed: what it pointed to
// is left alone. On failure the temporary file is removed and the old `path` is untouched; the
// ioError names the path and the system's reason. Several writers of one path at once are
// safe: the last rename wins, each file whole.
Status writeFileAtomically(const std::string& path, const std::string& content, int mode);
// The directory `path` is in: "a/b" gives "a", "b" gives ".", "/b" gives "/".
std::string parentDirectory(const std::string& path);
// Creates `path` and any missing parents with `mode` (like mkdir -p); existing ones are kept.
// mkdir(2) never follows a link at the name it creates; whether an existing directory may be
// written in is checkPrivateDirectory()'s question (file_safety.h).
Status makeDirectories(const std::string& path, int mode);

}  // namespace cspwatch
