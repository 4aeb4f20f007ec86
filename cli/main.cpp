// SPDX-License-Identifier: Apache-2.0
// cspwatch's entry point. Only here is the process's exit code decided.
#include <exception>
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  try {
    return cspwatch::cli::runCli(argc, argv, std::cout, std::cerr);
  } catch (const std::exception& e) {
    // A bug, not an expected failure: those are values. Say so rather than abort silently.
    std::cerr << "cspwatch: internal error: " << e.what() << "\n";
    return 70;  // EX_SOFTWARE
  }
}
