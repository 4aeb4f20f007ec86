// SPDX-License-Identifier: Apache-2.0
// A directory under $TMPDIR (or /tmp) that is removed with everything in it when the object
// goes out of scope. Tests write their real files (configs, databases) here.
#pragma once

#include <string>
#include <vector>

namespace cspwatch::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to path()/name (creating sub-directories) and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The repository's root directory (for shipped files such as etc/demo/inventory.json).
std::string sourcePath(const std::string& relative);
std::string readFile(const std::string& path);
// The names in a directory (not "." or ".."), sorted; empty if it cannot be read.
std::vector<std::string> listDirectory(const std::string& path);

}  // namespace cspwatch::testing
