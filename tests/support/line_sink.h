// SPDX-License-Identifier: Apache-2.0
// Output written by one thread and awaited by another (a sign-in running on a thread while the
// test plays the browser): lines handed to a callback, or an ostream. Waits are on a condition
// variable, each with a deadline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>

namespace cspwatch::testing {

class LineSink {
 public:
  // A `tell` callback for msapi's sign-in functions.
  std::function<void(const std::string&)> tell() {
    return [this](const std::string& line) { append(line + "\n"); };
  }
  void append(const std::string& text) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      text_ += text;
    }
    grew_.notify_all();
  }
  // The writer is done (its pipe reached end of file): waitClosed() returns.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    grew_.notify_all();
  }
  // True once close() was called, false after `timeout`.
  bool waitClosed(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return grew_.wait_for(lock, timeout, [&] { return closed_; });
  }
  std::string text() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }
  // Waits until `found(text)` is non-empty; returns it ("" after `timeout`).
  std::string waitFor(const std::function<std::string(const std::string&)>& found,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::string hit;
    grew_.wait_for(lock, timeout, [&] {
      hit = found(text_);
      return !hit.empty();
    });
    return hit;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable grew_;
  std::string text_;
  bool closed_ = false;
};

// An ostream whose bytes go to a LineSink (thread-safe).
class SinkStream : public std::ostream {
 public:
  explicit SinkStream(LineSink& sink) : std::ostream(&buf_), buf_(sink) {}

 private:
  class Buf : public std::streambuf {
   public:
    explicit Buf(LineSink& sink) : sink_(sink) {}

   protected:
    int_type overflow(int_type c) override {
      if (c != traits_type::eof()) sink_.append(std::string(1, static_cast<char>(c)));
      return traits_type::not_eof(c);
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
      sink_.append(std::string(s, static_cast<size_t>(n)));
      return n;
    }

   private:
    LineSink& sink_;
  };
  Buf buf_;
};

}  // namespace cspwatch::testing
