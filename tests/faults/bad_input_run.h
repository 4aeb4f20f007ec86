// SPDX-License-Identifier: Apache-2.0
// The bad-input corpus's runs (bad_input_test.cpp): the real cspwatch binary as a child with an
// address-space limit of 1 GiB (AddressSanitizer's own bound on resident memory under the
// sanitizers), a file-size limit, a CPU-time limit and a wall-clock guard against a hang; how it
// ended, in how much time and CPU, and what it printed.
#pragma once

#include <string>
#include <vector>

#include <sys/resource.h>

#include "tests/support/sanitizers.h"

namespace cspwatch::testing::bad_input {

constexpr rlim_t kMemoryLimit = rlim_t{1} << 30;   // address space of each child
constexpr rlim_t kOutputLimit = rlim_t{64} << 20;  // any file it writes, stdout included
constexpr bool kSanitized = kAddressSanitizer;
// Seconds of CPU per run (user and system, every thread): the work a bad input may cost, bounded
// by RLIMIT_CPU in the child so that the kernel stops a runaway whatever else the machine runs.
// A wall-clock bound measured the machine's load instead: on two shared cores the same input took
// 7 s quietly and over 10 s beside other tests. Under AddressSanitizer the allocation-heavy inputs
// (a million CSV rows, 200,000 records) cost about ten times as much, so they get three times as
// long, still far below a runaway.
constexpr rlim_t kCpuLimit = kSanitized ? 30 : 10;
// Seconds, wall clock: a child that is still there this long after it started is waiting on
// something that will not come (it uses no CPU, so RLIMIT_CPU never fires) and is killed.
constexpr int kHangLimit = 120;

struct Run {
  int exit_code = -1;      // when it exited
  int signal = 0;          // when a signal ended it
  bool timed_out = false;  // a runaway (its CPU limit) or a hang (the wall-clock one)
  double seconds = 0;      // wall clock, for the log
  double cpu_seconds = 0;  // user and system time of the child
  std::string out, err;
  // How it ended, in how long, and the start of what it printed.
  std::string describe() const;
};

// Runs build/bin/cspwatch with `args`; stdout and stderr go to files in `scratch`.
Run runCspwatch(const std::vector<std::string>& args, const std::string& scratch);

}  // namespace cspwatch::testing::bad_input
