// SPDX-License-Identifier: Apache-2.0
#include "sim/faults.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/text.h"

namespace cspwatch::sim {

const char* faultName(Fault f) {
  switch (f) {
    case Fault::kNone:
      return "none";
    case Fault::kServerError:
      return "server_error";
    case Fault::kDrop:
      return "dropped_connection";
    case Fault::kTruncate:
      return "truncated_body";
    case Fault::kExpiredToken:
      return "expired_token";
    case Fault::kThrottle:
      return "throttle";
  }
  return "none";
}

bool FaultOptions::applyPreset(const std::string& name) {
  if (name == "none") {
    server_error = drop = truncate = expired_token = throttle = 0;
  } else if (name == "light") {
    server_error = 0.006, drop = 0.004, truncate = 0.004, expired_token = 0.003, throttle = 0.003;
  } else if (name == "heavy") {
    server_error = 0.06, drop = 0.04, truncate = 0.04, expired_token = 0.03, throttle = 0.03;
  } else {
    return false;
  }
  return true;
}

double variedBurst(uint64_t seed, bool partner_center) {
  // A splitmix64 step of the seed, salted per API, picks one of the three shapes.
  static const double kBursts[] = {1, 10, 60};
  uint64_t h = seed + (partner_center ? 0x243F6A8885A308D3ULL : 0x13198A2E03707344ULL);
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
  return kBursts[(h ^ (h >> 31)) % 3];
}

FaultInjector::FaultInjector(FaultOptions options, std::function<double()> seconds)
    : options_(options), seconds_(std::move(seconds)) {
  if (!options_.pc_burst_s) options_.pc_burst_s = variedBurst(options_.seed, true);
  if (!options_.graph_burst_s) options_.graph_burst_s = variedBurst(options_.seed, false);
  if (!seconds_) {
    seconds_ = [] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
}

uint64_t FaultInjector::hash(const Request& r, uint64_t attempt, uint64_t salt) const {
  // FNV-1a then a splitmix64 finish: a cheap, well-spread, portable hash.
  uint64_t h = 1469598103934665603ULL ^ options_.seed ^ (salt * 0x9E3779B97F4A7C15ULL);
  auto feed = [&h](const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  };
  feed(r.method);
  feed(r.path);
  for (const auto& [k, v] : r.query) {
    feed(k);
    feed(v);
  }
  feed(r.header("ms-continuationtoken"));
  h ^= attempt;
  h += 0x9E3779B97F4A7C15ULL;
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
  return h ^ (h >> 31);
}

Fault FaultInjector::decide(const Request& r) {
  if (startsWith(r.path, "/_sim")) return Fault::kNone;
  uint64_t attempt;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    attempt = attempts_[r.method + " " + r.path + "?" + [&] {
      std::string q;
      for (const auto& [k, v] : r.query) q += k + "=" + v + "&";
      return q + r.header("ms-continuationtoken");
    }()]++;
  }
  const double x = static_cast<double>(hash(r, attempt, 1) >> 11) / 9007199254740992.0;
  const bool login = startsWith(r.path, "/login");
  double edge = options_.server_error;
  if (x < edge) return Fault::kServerError;
  if (x < (edge += options_.drop)) return Fault::kDrop;
  if (login) return Fault::kNone;  // the token endpoint fails only by errors and drops
  if (x < (edge += options_.truncate)) return Fault::kTruncate;
  if (x < (edge += options_.expired_token)) return Fault::kExpiredToken;
  if (x < (edge += options_.throttle)) return Fault::kThrottle;
  return Fault::kNone;
}

BucketShape FaultInjector::bucket(bool partner_center) const {
  BucketShape s;
  s.per_second = partner_center ? options_.pc_per_minute / 60.0 : options_.graph_per_10s / 10.0;
  s.burst_s = *(partner_center ? options_.pc_burst_s : options_.graph_burst_s);
  s.capacity = std::max(1.0, s.burst_s * s.per_second);
  return s;
}

std::optional<int> FaultInjector::take(const std::string& scope, bool partner_center) {
  if (!options_.rate_limits) return std::nullopt;
  const BucketShape shape = bucket(partner_center);
  const double rate = shape.per_second;
  const double now = seconds_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(scope);
  if (it == buckets_.end())
    it = buckets_.emplace(scope, Bucket{options_.buckets_start_empty ? 0 : shape.capacity, now})
             .first;
  Bucket& b = it->second;
  b.tokens = std::min(shape.capacity, b.tokens + (now - b.last) * rate);
  b.last = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / rate)));
}

int FaultInjector::latencyMs(const Request& r) {
  if (options_.latency_ms == 0 && options_.jitter_ms == 0) return 0;
  const uint64_t h = hash(r, 0, 2);
  return options_.latency_ms +
         (options_.jitter_ms > 0 ? static_cast<int>(h % (options_.jitter_ms + 1)) : 0);
}

}  // namespace cspwatch::sim
