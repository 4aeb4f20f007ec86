// SPDX-License-Identifier: Apache-2.0
// A one-line progress bar for scans run from a terminal: "[#####.....] 1200/2000 tenants,
// 40/s, about 20 s left". Drawn only when the stream is the terminal's stderr; otherwise silent
// (the log carries progress for the journal). Not thread-safe; scans call it from one thread.
#pragma once

#include <chrono>
#include <ostream>

namespace cspwatch::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::ostream& out);
  ~ProgressBar();
  void update(size_t done, size_t total);
  bool enabled() const { return enabled_; }

 private:
  std::ostream& out_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace cspwatch::cli
