// SPDX-License-Identifier: Apache-2.0
// PartnerRunner's scheduling, without a scan: a held account whose scan is due but finds every
// slot taken (ServiceOptions::max_parallel_scans) has no deadline in the past, so that the run
// loop sleeps until another scan ends instead of spinning; with a slot free, it is due at once.
#include "daemon/partner_runner.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <sstream>

#include <catch2/catch.hpp>

#include "daemon/instance_registry.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::daemon;
using cspwatch::testing::TempDir;

TEST_CASE("partner runner: a due scan waiting for a slot leaves the loop asleep", "[partners]") {
  TempDir dir;
  ServiceOptions options;
  options.max_parallel_scans = 1;
  SystemClock clock;
  SystemdNotifier notifier;
  Metrics metrics;
  std::mutex mutex;
  std::condition_variable wake;
  int scans_running = 0;
  const RunnerContext ctx{&options, &clock, &notifier,      &metrics,
                          &mutex,   &wake,  &scans_running, false};
  auto load = std::make_shared<PartnerLoad>();
  load->config.storage_path = dir.file("cspwatch.db");
  PartnerRunner runner(ctx, load);
  std::ostringstream err;
  REQUIRE(runner.openAtStart(err));
  std::unique_lock<std::mutex> lock(mutex);
  runner.stepLease(lock, thisInstance(), nullptr, true);
  REQUIRE(runner.holding());  // gained: its scan is due now

  using Steady = std::chrono::steady_clock;
  scans_running = 1;  // another account's scan holds the only slot
  const auto before = Steady::now();
  CHECK(runner.nextWake() > before + std::chrono::seconds(5));  // the next lease step
  scans_running = 0;
  const auto wake_at = runner.nextWake();
  CHECK(wake_at <= Steady::now());  // a slot is free: due at once
}
