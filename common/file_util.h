// SPDX-License-Identifier: Apache-2.0
// Reading a whole file as bytes, with the reason when it cannot be read.
#pragma once

#include <string>

#include "common/status.h"

namespace cspwatch {

// The file's contents; an ioError naming the path and the system's reason otherwise.
Result<std::string> readWholeFile(const std::string& path);

// Replaces `path` with `content` so that a crash at any moment leaves either the old or the
// new file, never a mix: write a temporary file beside it with `mode`, fsync, rename.
Status writeFileAtomically(const std::string& path, const std::string& content, int mode);
// Creates `path` and any missing parents with `mode` (like mkdir -p); existing ones are kept.
Status makeDirectories(const std::string& path, int mode);

}  // namespace cspwatch
