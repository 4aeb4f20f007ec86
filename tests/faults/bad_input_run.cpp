// SPDX-License-Identifier: Apache-2.0
#include "tests/faults/bad_input_run.h"

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cspwatch::testing::bad_input {

namespace {

std::string readPrefix(const std::string& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  std::string s(max, '\0');
  in.read(s.data(), static_cast<std::streamsize>(max));
  s.resize(static_cast<size_t>(in.gcount()));
  return s;
}

}  // namespace

std::string Run::describe() const {
  std::ostringstream s;
  if (timed_out && cpu_seconds >= static_cast<double>(kCpuLimit))
    s << "stopped after its " << kCpuLimit << " s of CPU (runaway)";
  else if (timed_out)
    s << "killed after " << kHangLimit << " s without exiting (hung)";
  else if (signal != 0)
    s << "ended by signal " << signal << " (" << strsignal(signal) << ")";
  else
    s << "exit " << exit_code;
  s << " in " << seconds << " s (" << cpu_seconds
    << " s of CPU)\n--- stderr (first 3000 bytes) ---\n"
    << err.substr(0, 3000) << "\n--- stdout (first 1000 bytes) ---\n"
    << out.substr(0, 1000);
  return s.str();
}
Run runCspwatch(const std::vector<std::string>& args, const std::string& scratch) {
  const std::string program = std::string(CSPWATCH_BIN_DIR) + "/cspwatch";
  const std::string out_path = scratch + "/.stdout", err_path = scratch + "/.stderr";
  std::vector<std::string> all = {program};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment, built before fork. Under AddressSanitizer an address-space limit cannot
  // work (ASan reserves terabytes of shadow address space at start), so the child gets ASan's
  // own bound on its resident memory instead, at the same figure.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::string(*e).rfind("ASAN_OPTIONS=", 0) != 0) env_strings.emplace_back(*e);
  if (kSanitized)
    env_strings.push_back("ASAN_OPTIONS=hard_rss_limit_mb=" + std::to_string(kMemoryLimit >> 20) +
                          ":allocator_may_return_null=1");
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const auto started = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec: the test process has threads.
    const struct rlimit memory = {kMemoryLimit, kMemoryLimit};
    const struct rlimit output = {kOutputLimit, kOutputLimit};
    const struct rlimit core = {0, 0};
    const struct rlimit cpu = {kCpuLimit, kCpuLimit + 1};  // SIGXCPU, then SIGKILL
    if (!kSanitized) ::setrlimit(RLIMIT_AS, &memory);
    ::setrlimit(RLIMIT_CPU, &cpu);
    ::setrlimit(RLIMIT_FSIZE, &output);
    ::setrlimit(RLIMIT_CORE, &core);
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  REQUIRE(pid > 0);
  Run r;
  int status = 0;
  // Wait for the exit as an event: a pidfd becomes readable when the child ends.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  REQUIRE(pidfd >= 0);
  pollfd exited{pidfd, POLLIN, 0};
  if (::poll(&exited, 1, kHangLimit * 1000) != 1) {
    r.timed_out = true;
    ::kill(pid, SIGKILL);
  }
  ::close(pidfd);
  struct rusage usage {};
  REQUIRE(::wait4(pid, &status, 0, &usage) == pid);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto secondsOf = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  r.cpu_seconds = secondsOf(usage.ru_utime) + secondsOf(usage.ru_stime);
  // The CPU limit's signals: SIGXCPU at the soft limit, SIGKILL at the hard one.
  if (WIFSIGNALED(status) &&
      (WTERMSIG(status) == SIGXCPU ||
       (WTERMSIG(status) == SIGKILL && r.cpu_seconds >= static_cast<double>(kCpuLimit))))
    r.timed_out = true;
  if (!r.timed_out) {
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  }
  r.out = readPrefix(out_path, 1 << 20);
  r.err = readPrefix(err_path, 1 << 20);
  return r;
}

}  // namespace cspwatch::testing::bad_input
