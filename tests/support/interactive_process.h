// SPDX-License-Identifier: Apache-2.0
// A built binary (CSPWATCH_BIN_DIR/<name>) run as a child whose stdin the test writes and whose
// stdout and stderr it reads while it runs: for commands that print something, then wait for
// input (`cspwatch auth login`). Output is collected on threads; waits are on events, each with
// a deadline. The child is killed (SIGKILL) if still running when this object goes.
#pragma once

#include <algorithm>
#include <chrono>
#include <csignal>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/line_sink.h"

namespace cspwatch::testing {

class InteractiveProcess {
 public:
  InteractiveProcess(const std::string& binary, const std::vector<std::string>& args) {
    int in[2], out[2], err[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    const std::string program = std::string(CSPWATCH_BIN_DIR) + "/" + binary;
    std::vector<std::string> store{program};
    store.insert(store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : store) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      ::execv(program.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    stdin_ = in[1];
    readers_.emplace_back([this, fd = out[0]] { drain(fd, out_); });
    readers_.emplace_back([this, fd = err[0]] { drain(fd, err_); });
  }
  ~InteractiveProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitExit(std::chrono::seconds(10));
    }
    closeStdin();
    for (auto& t : readers_)
      if (t.joinable()) t.join();
  }
  InteractiveProcess(const InteractiveProcess&) = delete;
  InteractiveProcess& operator=(const InteractiveProcess&) = delete;

  LineSink& out() { return out_; }
  LineSink& err() { return err_; }
  pid_t pid() const { return pid_; }
  void writeStdin(const std::string& text) {
    REQUIRE(::write(stdin_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
  void closeStdin() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // The exit code (128 + signal when killed by one), or -1 if it did not exit by `timeout`.
  // Once it returns a code, out() and err() hold everything the child wrote: the exit is
  // reaped before the reader threads have read the pipes to their end, so it waits for that
  // too (a grandchild still holding a pipe open would make it wait out `timeout`).
  int waitExit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const int code = reap(timeout);
    if (code < 0) return code;
    const auto left = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::max(deadline - std::chrono::steady_clock::now(), std::chrono::nanoseconds(0)));
    };
    out_.waitClosed(left());
    err_.waitClosed(left());
    return code;
  }

 private:
  int reap(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return code_;
    if (!exited_.valid())
      exited_ = std::async(std::launch::async, [pid = pid_] {
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      });
    if (exited_.wait_for(timeout) != std::future_status::ready) return -1;
    pid_ = -1;
    code_ = exited_.get();
    return code_;
  }

  static void drain(int fd, LineSink& sink) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
      sink.append(std::string(buf, static_cast<size_t>(n)));
    ::close(fd);
    sink.close();
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int code_ = -1;
  LineSink out_, err_;
  std::vector<std::thread> readers_;
  std::future<int> exited_;
};

}  // namespace cspwatch::testing
