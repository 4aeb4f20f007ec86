// SPDX-License-Identifier: Apache-2.0
// Throttling and injected faults, so clients meet what the real services do to them.
//
// Rate limits are token buckets per documented scope: Partner Center per partner tenant
// (500 requests a minute), Graph per app and tenant (3,500 a 10 s window for a small tenant).
// An empty bucket answers 429 with Retry-After and the service's documented body. Microsoft
// publishes the rates, not how many requests may come at once: a full bucket holds `burst`
// seconds of its refill (1, 10 or 60, varied by the seed unless given), so that a client cannot
// come to depend on one shape.
//
// Faults are decided per request from a hash of the seed, the request (method, path, query)
// and how many times that same request has been seen: the same run of requests meets the
// same faults, whatever the threads' order, and a retry of a faulted request is decided
// afresh. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "sim/http_types.h"

namespace cspwatch::sim {

enum class Fault { kNone, kServerError, kDrop, kTruncate, kExpiredToken, kThrottle };
const char* faultName(Fault f);

struct FaultOptions {
  uint64_t seed = 1;
  double server_error = 0;   // 500/503 with a body
  double drop = 0;           // connection closed without an answer
  double truncate = 0;       // body cut short, connection closed
  double expired_token = 0;  // 401 as for an expired token
  double throttle = 0;       // 429 storms on top of the buckets
  int latency_ms = 0;        // added to every answer
  int jitter_ms = 0;         // plus 0..jitter, from the seed
  bool rate_limits = true;
  double pc_per_minute = 500;
  double graph_per_10s = 3500;
  // Seconds of refill a full bucket holds: its capacity is max(1, burst x rate) requests, all
  // of which may come at once. Unset: variedBurst(seed, ...), drawn separately per API.
  std::optional<double> pc_burst_s;
  std::optional<double> graph_burst_s;
  // Each bucket starts empty instead of full, as when other clients of the same partner have
  // just spent it.
  bool buckets_start_empty = false;

  // "none", "light" (about 2% of requests faulted) or "heavy" (about 20%); false if unknown.
  bool applyPreset(const std::string& name);
};

// The burst the simulator picks where none is given: 1, 10 or 60 seconds, from the seed, drawn
// separately for Partner Center and for Graph.
double variedBurst(uint64_t seed, bool partner_center);

// A bucket's shape: its refill per second, the seconds of refill it holds, and so how many
// requests a full bucket admits at once.
struct BucketShape {
  double per_second = 0;
  double burst_s = 0;
  double capacity = 0;
};

class FaultInjector {
 public:
  // `seconds` gives the time the buckets refill by (steady time by default). A burst not given
  // in `options` is chosen here (variedBurst), and options() shows it.
  explicit FaultInjector(FaultOptions options, std::function<double()> seconds = {});

  // The fault this request meets (kNone for most). /_sim is never faulted.
  Fault decide(const Request& request);
  // Takes a token from the bucket of `scope`; on an empty bucket returns the seconds to wait.
  std::optional<int> take(const std::string& scope, bool partner_center);
  int latencyMs(const Request& request);
  const FaultOptions& options() const { return options_; }
  // The shape of Partner Center's buckets (per partner) or Graph's (per app and tenant).
  BucketShape bucket(bool partner_center) const;

 private:
  uint64_t hash(const Request& r, uint64_t attempt, uint64_t salt) const;
  FaultOptions options_;
  std::function<double()> seconds_;
  std::mutex mutex_;
  std::map<std::string, uint64_t> attempts_;
  struct Bucket {
    double tokens;
    double last;
  };
  std::map<std::string, Bucket> buckets_;
};

}  // namespace cspwatch::sim
