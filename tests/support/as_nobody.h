// SPDX-License-Identifier: Apache-2.0
// Acting as an unprivileged user in tests that plant files the way another account could.
#pragma once

#include <functional>

#include <grp.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cspwatch::testing {

inline constexpr uid_t kNobody = 65534;

// Runs `act` as nobody (uid and gid 65534, no other groups) in a child process; true when every
// step and `act` succeeded. Needs root. The test process may have threads, so the child only
// makes system calls: whatever `act` needs is prepared before.
inline bool asNobody(const std::function<bool()>& act) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const bool ok =
        ::setgroups(0, nullptr) == 0 && ::setgid(kNobody) == 0 && ::setuid(kNobody) == 0 && act();
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  return pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

}  // namespace cspwatch::testing
