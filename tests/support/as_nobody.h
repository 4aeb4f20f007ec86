// SPDX-License-Identifier: Apache-2.0
// Acting as an unprivileged user in tests that plant files the way another account could.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <grp.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cspwatch::testing {

inline constexpr uid_t kNobody = 65534;

// Runs `act` as nobody (uid and gid 65534, no other groups) in a child process whose working
// directory is `dir` (entered while still root); true when every step and `act` succeeded. Needs
// root. The test process may have threads, so the child only makes system calls: whatever `act`
// needs is prepared before. `act` should name files relative to `dir`: nobody may not be able to
// walk to it from "/" (a chroot made with `mktemp -d`, as ../shared/tools/fresh-machine.sh does,
// has a root directory of mode 0700).
inline bool asNobody(const std::string& dir, const std::function<bool()>& act) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const bool ok = ::chdir(dir.c_str()) == 0 && ::setgroups(0, nullptr) == 0 &&
                    ::setgid(kNobody) == 0 && ::setuid(kNobody) == 0 && act();
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  return pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

// Symbolic links named `names` (plain names, no '/') in `dir`, each to `to`, made by nobody.
inline bool plantLinksAsNobody(const std::string& dir, const std::vector<std::string>& names,
                               const std::string& to) {
  std::vector<const char*> raw;
  for (const auto& n : names) raw.push_back(n.c_str());
  const char* dest = to.c_str();
  return asNobody(dir, [&] {
    for (const char* n : raw)
      if (::symlink(dest, n) != 0) return false;
    return true;
  });
}

}  // namespace cspwatch::testing
