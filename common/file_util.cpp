// SPDX-License-Identifier: Apache-2.0
#include "common/file_util.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cspwatch {

Result<std::string> readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::ioError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::ioError("cannot read " + path + ": " + std::strerror(errno));
  return buf.str();
}

}  // namespace cspwatch
