// SPDX-License-Identifier: Apache-2.0
// Runs the cspwatch CLI in-process (cli::runCli) and captures its streams and exit code.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace cspwatch::testing {

struct CliRun {
  int code;
  std::string out, err;
};

inline CliRun cliRun(std::vector<std::string> args) {
  args.insert(args.begin(), "cspwatch");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  int code = cli::runCli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace cspwatch::testing
