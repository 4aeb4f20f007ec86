// SPDX-License-Identifier: Apache-2.0
// The `cspwatch` command line (docs/cli.md). One binary, subcommands, `--help` at every level.
//
// Exit codes, for every command:
//   0  success
//   1  a check found problems, or the command could not finish its work (e.g. a source
//      could not be read); details on stderr
//   2  usage error or invalid configuration; the message on stderr
// runCli() never calls exit(); main() passes its result on.
#pragma once

#include <ostream>

namespace cspwatch::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitProblems = 1;
inline constexpr int kExitUsage = 2;

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace cspwatch::cli
