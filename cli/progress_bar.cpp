// SPDX-License-Identifier: Apache-2.0
#include "cli/progress_bar.h"

#include <cstdio>
#include <iostream>

#include <unistd.h>

namespace cspwatch::cli {

ProgressBar::ProgressBar(std::ostream& out)
    : out_(out), enabled_(&out == &std::cerr && ::isatty(STDERR_FILENO)) {}

ProgressBar::~ProgressBar() {
  if (drawn_) out_ << "\n" << std::flush;
}

void ProgressBar::update(size_t done, size_t total) {
  if (!enabled_ || total == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_draw_ < std::chrono::milliseconds(100))
    return;  // at most 10 a second
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  const int width = 30, filled = static_cast<int>(width * done / total);
  char line[160];
  std::snprintf(line, sizeof line, "\r[%s%s] %zu/%zu tenants, %.0f/s, about %.0f s left  ",
                std::string(static_cast<size_t>(filled), '#').c_str(),
                std::string(static_cast<size_t>(width - filled), '.').c_str(), done, total, rate,
                rate > 0 ? static_cast<double>(total - done) / rate : 0.0);
  out_ << line << std::flush;
  drawn_ = true;
}

}  // namespace cspwatch::cli
