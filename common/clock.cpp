// SPDX-License-Identifier: Apache-2.0
#include "common/clock.h"

namespace cspwatch {

Timestamp SystemClock::now() const {
  return std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now());
}

}  // namespace cspwatch
