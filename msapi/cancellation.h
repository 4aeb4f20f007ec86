// SPDX-License-Identifier: Apache-2.0
// A shutdown signal that every wait in the data path honours: backoffs, Retry-After pauses and
// pacing sleep on it and return early once it is cancelled. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace cspwatch::msapi {

class Cancellation {
 public:
  void cancel() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_ = true;
    }
    cv_.notify_all();
  }
  bool cancelled() const { return cancelled_.load(); }

  // Sleeps for `d` unless cancelled first; returns false if cancelled.
  template <typename Rep, typename Period>
  bool sleepFor(std::chrono::duration<Rep, Period> d) {
    std::unique_lock<std::mutex> lock(mutex_);
    return !cv_.wait_for(lock, d, [this] { return cancelled_.load(); });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace cspwatch::msapi
