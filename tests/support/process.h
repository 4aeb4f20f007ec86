// SPDX-License-Identifier: Apache-2.0
// Runs a built binary (build/bin/...) as a child process and captures what it printed, for
// tests that must see the real executable's exit code and streams.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cspwatch::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs CSPWATCH_BIN_DIR/<binary> with `args`; extra environment variables in `env`.
ProcessResult runBinary(const std::string& binary, const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {});
// Runs `program` (an absolute path) with `args`.
ProcessResult runCommand(const std::string& program, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env = {});

}  // namespace cspwatch::testing
