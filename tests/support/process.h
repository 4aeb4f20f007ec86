// SPDX-License-Identifier: Apache-2.0
// Runs a built binary (build/bin/...) as a child process and captures what it printed, for
// tests that must see the real executable's exit code and streams.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace cspwatch::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// How a child starts, beyond its arguments and environment (all optional; the default is the
// plain child runBinary() starts).
struct ChildOptions {
  // RLIMIT_FSIZE (the soft limit) for the child, in bytes; implies ignore_sigxfsz.
  std::optional<uint64_t> file_size_limit;
  // SIGXFSZ ignored in the child (an ignored signal stays ignored across exec): a write past
  // RLIMIT_FSIZE then fails with EFBIG, as on a full disk, instead of killing the process. Also
  // for a limit lowered later with prlimit(2).
  bool ignore_sigxfsz = false;
  // Run as this user and group (supplementary groups dropped) from exec on; needs root.
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  // Root without CAP_DAC_OVERRIDE (dropped from the bounding set, so exec does not give it
  // back): file modes then bind root as they bind others. Needs root (CAP_SETPCAP).
  bool drop_dac_override = false;
  // runBinary() only: the child is killed (SIGKILL) if it has not exited by then, and the
  // result's exit_code is -1.
  std::chrono::milliseconds timeout{60000};
};

// In a child between fork and exec: applies `options` (limits, signals, identity). False, with
// errno set, if any step failed; the child should then _exit.
bool applyChildOptions(const ChildOptions& options);

// Runs CSPWATCH_BIN_DIR/<binary> with `args`; extra environment variables in `env`.
ProcessResult runBinary(const std::string& binary, const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {});
// The same, started as `options` say (fork and exec; stdout and stderr collected).
ProcessResult runBinary(const std::string& binary, const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env, const ChildOptions& options);
// Runs `program` (an absolute path) with `args`.
ProcessResult runCommand(const std::string& program, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env = {});

}  // namespace cspwatch::testing
