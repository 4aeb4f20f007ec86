// SPDX-License-Identifier: Apache-2.0
// A shutdown signal that every wait in the data path honours: backoffs, Retry-After pauses and
// pacing sleep on it and return early once it is cancelled. Thread-safe.
//
// Tests may give it a Sleeper: every sleepFor() then calls it with the wait asked for instead
// of sleeping, and returns what it returns, so that a test checks the exact waits the code
// asked for (a backoff, a Retry-After) rather than how long the machine took over them; and
// seconds() is the steady clock plus every wait the Sleeper was given, the time the code that
// waits (the pacer, msapi/pacer.h) then sees pass.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>

namespace cspwatch::msapi {

class Cancellation {
 public:
  // Gets each wait asked for; returns false to end it as a cancellation would.
  using Sleeper = std::function<bool(std::chrono::nanoseconds)>;

  Cancellation() = default;
  explicit Cancellation(Sleeper sleeper) : sleeper_(std::move(sleeper)) {}

  void cancel() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_ = true;
    }
    cv_.notify_all();
  }
  bool cancelled() const { return cancelled_.load(); }
  // Makes it usable again (the next job's), after what it cancelled has ended.
  void reset() { cancelled_ = false; }

  // Steady seconds, plus the waits a Sleeper was given in their stead.
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
               .count() +
           static_cast<double>(slept_ns_.load()) / 1e9;
  }

  // Sleeps for `d` unless cancelled first; returns false if cancelled.
  template <typename Rep, typename Period>
  bool sleepFor(std::chrono::duration<Rep, Period> d) {
    if (sleeper_) {
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d);
      slept_ns_ += ns.count();
      return sleeper_(ns);
    }
    std::unique_lock<std::mutex> lock(mutex_);
    return !cv_.wait_for(lock, d, [this] { return cancelled_.load(); });
  }

 private:
  const Sleeper sleeper_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<bool> cancelled_{false};
  std::atomic<int64_t> slept_ns_{0};
};

}  // namespace cspwatch::msapi
