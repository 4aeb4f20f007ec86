// SPDX-License-Identifier: Apache-2.0
#include "tests/support/process.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cspwatch::testing {

ProcessResult runBinary(const std::string& binary, const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env) {
  return runCommand(std::string(CSPWATCH_BIN_DIR) + "/" + binary, args, env);
}

ProcessResult runCommand(const std::string& program, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env) {
  Poco::Pipe out_pipe, err_pipe;
  Poco::Process::Env penv(env.begin(), env.end());
  Poco::ProcessHandle handle =
      Poco::Process::launch(program, args, std::string(), nullptr, &out_pipe, &err_pipe, penv);
  ProcessResult r;
  Poco::PipeInputStream out_stream(out_pipe), err_stream(err_pipe);
  // Read stderr on a second thread so a chatty child cannot block on a full pipe.
  std::thread err_reader([&] { Poco::StreamCopier::copyToString(err_stream, r.err); });
  Poco::StreamCopier::copyToString(out_stream, r.out);
  err_reader.join();
  r.exit_code = handle.wait();
  return r;
}

bool applyChildOptions(const ChildOptions& o) {
  if (o.ignore_sigxfsz || o.file_size_limit) {
    if (::signal(SIGXFSZ, SIG_IGN) == SIG_ERR) return false;
  }
  if (o.file_size_limit) {
    rlimit lim{};
    if (::getrlimit(RLIMIT_FSIZE, &lim) != 0) return false;
    lim.rlim_cur = static_cast<rlim_t>(*o.file_size_limit);
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_cur > lim.rlim_max) lim.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return false;
  }
  if (o.drop_dac_override) {
    // Out of the bounding set (exec would otherwise give root every capability again) and out
    // of the sets this process has now, with the raw system calls (no libcap here).
    if (::prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0) return false;
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (::syscall(SYS_capget, &header, data) != 0) return false;
    const uint32_t bit = 1u << (CAP_DAC_OVERRIDE % 32);
    auto& word = data[CAP_DAC_OVERRIDE / 32];
    word.effective &= ~bit;
    word.permitted &= ~bit;
    word.inheritable &= ~bit;
    if (::syscall(SYS_capset, &header, data) != 0) return false;
  }
  if (o.gid || o.uid) {
    if (::setgroups(0, nullptr) != 0) return false;
  }
  if (o.gid && ::setgid(*o.gid) != 0) return false;
  if (o.uid && ::setuid(*o.uid) != 0) return false;
  return true;
}

ProcessResult runBinary(const std::string& binary, const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env,
                        const ChildOptions& options) {
  const std::string program = std::string(CSPWATCH_BIN_DIR) + "/" + binary;
  std::vector<std::string> argv_store{program};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out_pipe[2], err_pipe[2];
  ProcessResult r;
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return r;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return r;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    if (!applyChildOptions(options)) {
      const std::string msg =
          std::string("cannot apply the child options: ") + std::strerror(errno) + "\n";
      (void)!::write(2, msg.data(), msg.size());
      ::_exit(126);
    }
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return r;
  }
  // Both streams at once (a chatty child cannot block on a full pipe), until both close or the
  // deadline passes.
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_count = 2;
  bool timed_out = false;
  while (open_count > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    const int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    r.err += "\n[killed: no exit within " + std::to_string(options.timeout.count()) + " ms]\n";
    r.exit_code = -1;
  } else {
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return r;
}

}  // namespace cspwatch::testing
