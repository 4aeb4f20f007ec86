// SPDX-License-Identifier: Apache-2.0
#include "tests/support/temp_dir.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <Poco/File.h>
#include <Poco/Path.h>
#include <dirent.h>
#include <stdlib.h>

namespace cspwatch::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/cspwatch-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  try {
    Poco::File(path_).remove(true);
  } catch (...) {  // best effort: a leftover temp dir must not fail a test
  }
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::string full = path_ + "/" + name;
  Poco::File(Poco::Path(full).parent()).createDirectories();
  std::ofstream out(full, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + full);
  return full;
}

std::string sourcePath(const std::string& relative) {
  return std::string(CSPWATCH_SOURCE_DIR) + "/" + relative;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::vector<std::string> listDirectory(const std::string& path) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(path.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace cspwatch::testing
