// SPDX-License-Identifier: Apache-2.0
// Reading a whole file as bytes, with the reason when it cannot be read.
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
// bounded, so /dev/zero or a growing file cannot exhaust memory).
Result<std::string> readWholeFile(const std::string& path, size_t max_bytes = kMaxFileBytes);
// "1.5 MiB", "12 KiB", "900 bytes": a size for messages.
std::string describeSize(uint64_t bytes);

// Replaces `path` with `content` so that a crash at any moment leaves either the old or the
// new file, never a mix: write a temporary file beside it with `mode`, fsync, rename.
Status writeFileAtomically(const std::string& path, const std::string& content, int mode);
// Creates `path` and any missing parents with `mode` (like mkdir -p); existing ones are kept.
Status makeDirectories(const std::string& path, int mode);

}  // namespace cspwatch
