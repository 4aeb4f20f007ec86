// SPDX-License-Identifier: Apache-2.0
// How `cspwatch run` is tuned (daemon/service.h): the command line sets the config path, tests
// shorten the rest.
#pragma once

#include <chrono>
#include <random>
#include <string>

#include "common/time.h"

namespace cspwatch::daemon {

struct ServiceOptions {
  std::string config_path;
  std::chrono::milliseconds file_check{5000};       // how often files are checked for changes
  std::chrono::milliseconds delivery_check{30000};  // how often due mail is looked for
  double jitter = 0.1;  // up to this share of the interval (at most 10 min) added to each wait
  std::chrono::milliseconds stop_bound{8000};  // a running scan gets this long to stop
  // A job with no progress (a tenant read) for this long is stuck: the watchdog stops being
  // fed, so that systemd restarts the service.
  std::chrono::milliseconds stall_bound{15 * 60 * 1000};
  // Scans of different partner accounts running at once in this instance, at most; a due scan
  // waits for one to end. Each is bound by its own account's rate limits, so a few at once fill
  // no one's budget twice, while memory grows with each.
  int max_parallel_scans = 4;
};

// When the scan after one that started at `last_start` is due: `interval` later plus a random
// jitter in [0, min(interval * fraction, 10 min)], so that many installations do not call
// Partner Center at the same moment.
Timestamp nextScanTime(Timestamp last_start, Seconds interval, double jitter_fraction,
                       std::mt19937_64& rng);

}  // namespace cspwatch::daemon
