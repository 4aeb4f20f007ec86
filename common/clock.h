// SPDX-License-Identifier: Apache-2.0
// Time comes from a Clock so that tests and `--now` fix it; nothing reads the system clock
// directly. Implementations are thread-safe.
#pragma once

#include <atomic>

#include "common/time.h"

namespace cspwatch {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

// A clock that only moves when told to: tests and `--now TIMESTAMP`.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : now_(toUnixSeconds(start)) {}
  Timestamp now() const override { return fromUnixSeconds(now_.load()); }
  void set(Timestamp t) { now_ = toUnixSeconds(t); }
  void advance(Seconds d) { now_ += d.count(); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace cspwatch
