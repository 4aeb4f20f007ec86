// SPDX-License-Identifier: Apache-2.0
// `cspwatch run` as a child process, the way systemd runs it, for tests: the notification
// socket systemd would own (NOTIFY_SOCKET) and the daemon with its stderr collected. Waits are
// on events (a datagram, an exit), each with a deadline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <future>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/process.h"

namespace cspwatch::testing {

// The socket systemd would listen on: datagrams of "KEY=value\n..." from the service.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof addr.sun_path);
    std::strcpy(addr.sun_path, path_.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~NotifySocket() { ::close(fd_); }
  const std::string& path() const { return path_; }

  // Reads datagrams until one contains `needle` or `timeout` passes; returns it ("" on timeout).
  std::string waitFor(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
          deadline - std::chrono::steady_clock::now());
      timeval tv{static_cast<time_t>(left.count() / 1000000),
                 static_cast<suseconds_t>(left.count() % 1000000)};
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      std::string msg(buf, static_cast<size_t>(n));
      std::lock_guard<std::mutex> lock(mutex_);
      seen_.push_back(msg);
      if (msg.find(needle) != std::string::npos) return msg;
    }
    return "";
  }
  std::vector<std::string> seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::mutex mutex_;
  std::vector<std::string> seen_;
};

// `cspwatch run` as a child process; stderr collected on a thread. A `journal_stream` makes
// stderr the journal's stream, as journald would: JOURNAL_STREAM names the pipe, whatever the
// value given. `child` (ChildOptions' timeout aside) sets limits, SIGXFSZ and the user it runs as.
class Daemon {
 public:
  Daemon(const std::string& config, const std::string& notify_socket,
         const std::string& watchdog_usec = "", const std::string& journal_stream = "",
         const ChildOptions& child = {}) {
    int err_pipe[2];
    REQUIRE(::pipe(err_pipe) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(err_pipe[1], 2);
      ::close(err_pipe[0]);
      ::setenv("NOTIFY_SOCKET", notify_socket.c_str(), 1);
      if (!watchdog_usec.empty()) ::setenv("WATCHDOG_USEC", watchdog_usec.c_str(), 1);
      if (!journal_stream.empty()) {
        // As journald would: JOURNAL_STREAM names stderr's device and inode (the value given
        // only says "under the journal"; cspwatch compares, common/logging.h).
        struct stat st {};
        char names[64];
        ::fstat(2, &st);
        std::snprintf(names, sizeof names, "%llu:%llu", static_cast<unsigned long long>(st.st_dev),
                      static_cast<unsigned long long>(st.st_ino));
        ::setenv("JOURNAL_STREAM", names, 1);
      }
      if (!applyChildOptions(child)) ::_exit(126);
      const std::string bin = std::string(CSPWATCH_BIN_DIR) + "/cspwatch";
      ::execl(bin.c_str(), bin.c_str(), "--log-level", "info", "-c", config.c_str(), "run",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(err_pipe[1]);
    err_fd_ = err_pipe[0];
    reader_ = std::thread([this] {
      char buf[4096];
      ssize_t n;
      while ((n = ::read(err_fd_, buf, sizeof buf)) > 0) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          err_.append(buf, static_cast<size_t>(n));
        }
        err_grew_.notify_all();
      }
    });
  }
  ~Daemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      if (exited_.valid())
        exited_.wait();
      else
        ::waitpid(pid_, nullptr, 0);
    }
    if (reader_.joinable()) reader_.join();
    ::close(err_fd_);
  }
  // Nothing once it was waited for: kill(-1, sig) would signal every process we may signal.
  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // The child's process id (-1 once it was waited for).
  pid_t pid() const { return pid_; }
  // The exit code, or -1 if it did not exit within `timeout` (waitpid on a thread: an event).
  int waitExit(std::chrono::milliseconds timeout) {
    if (!exited_.valid())
      exited_ = std::async(std::launch::async, [pid = pid_] {
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      });
    if (exited_.wait_for(timeout) != std::future_status::ready) return -1;
    pid_ = -1;
    return exited_.get();
  }
  std::string err() {
    std::lock_guard<std::mutex> lock(mutex_);
    return err_;
  }
  // Waits until stderr holds a whole line with `needle` (the log is read on a thread: a line
  // written before a notification may arrive after it); false if none came within `timeout`.
  bool waitForErr(const std::string& needle, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return err_grew_.wait_for(lock, timeout, [&] {
      const size_t at = err_.find(needle);
      return at != std::string::npos && err_.find('\n', at) != std::string::npos;
    });
  }
  // Until stderr holds `needle` on `count` complete lines (a line logged again).
  bool waitForErrCount(const std::string& needle, size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return err_grew_.wait_for(lock, timeout, [&] {
      size_t n = 0;
      for (size_t at = err_.find(needle); at != std::string::npos; at = err_.find(needle, at + 1))
        n += err_.find('\n', at) != std::string::npos ? 1 : 0;
      return n >= count;
    });
  }
  // The endpoint's port, from the start-up log line.
  int port(NotifySocket&) {
    static const std::regex kLine("http://127\\.0\\.0\\.1:([0-9]+)");
    std::smatch m;
    REQUIRE(waitForErr("http://127.0.0.1:", std::chrono::seconds(20)));  // the line may lag
    const std::string text = err();
    REQUIRE(std::regex_search(text, m, kLine));
    return std::stoi(m[1].str());
  }

 private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable err_grew_;
  std::string err_;
  std::future<int> exited_;
};

}  // namespace cspwatch::testing
