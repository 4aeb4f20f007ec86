// SPDX-License-Identifier: Apache-2.0
// cspwatch's entry point. Only here is the process's exit code decided.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>

#include "cli/cli.h"

namespace {

// Output that could not be written (a full disk, a closed pipe) is a failure: a report or a
// list cut short must not end with exit 0. Said once, on stderr.
int checkedOutput(int code) {
  std::cout.flush();
  const bool failed = !std::cout || std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
  if (!failed) return code;
  const int error = errno;
  // The reader stopped reading (`| head`): what it wanted it got; as with any Unix filter, no
  // complaint (cspwatch ignores SIGPIPE for its sockets, so the write fails instead of killing).
  if (error == EPIPE) return code;
  std::cerr << "cspwatch: could not write the output: " << std::strerror(error) << "\n";
  return code == 0 ? 1 : code;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return checkedOutput(cspwatch::cli::runCli(argc, argv, std::cout, std::cerr));
  } catch (const std::exception& e) {
    // A bug, not an expected failure: those are values. Say so rather than abort silently.
    std::cerr << "cspwatch: internal error: " << e.what() << "\n";
    return 70;  // EX_SOFTWARE
  }
}
