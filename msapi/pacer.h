// SPDX-License-Identifier: Apache-2.0
// Client-side pacing that learns each limit from the service's answers (issue 17).
//
// Microsoft publishes rates (Partner Center: 500 requests a minute per partner; Graph: 3,500 per
// 10 s per app and tenant), not how many requests its buckets let through at once, and a client
// that assumes a burst the service does not grant is answered 429 for every request past it.
// So nothing about the bucket's shape is assumed; each scope (Partner Center per partner, Graph
// per app and tenant) keeps a model of the service's bucket, learnt from what it answers:
//
//  - Burst: a scope starts "probing": requests go at once, unpaced, until the first 429 says the
//    service's bucket is empty. What was admitted until then, less what the bucket refilled
//    meanwhile, is the bucket's size (the capacity); the model bucket holds at most that. When
//    the model bucket is full again (after an idle spell, say between scans), the scope probes
//    again, so a bucket that grew is found too.
//  - Rate: a 429 means the service's bucket was empty when that request arrived. Between two
//    429s, from empty to empty, the service admitted exactly what its bucket refilled (plus or
//    minus one request): the admitted count over the time between the two requests is the rate
//    the service actually grants this client (less, rightly, if something else shares the
//    scope). The pace is then held a small margin under it (kMargin) ...
//  - ... and raised slowly (kProbeUp per request admitted), so that a limit that grew is found
//    and the tokens the margin leaves in a large bucket are used; the next 429 measures again.
//    Backing off is at once: every 429 sets the pace under the measured rate (or cuts it by the
//    margin when too few requests came between two 429s to measure, by half when none did),
//    and empties the model.
//  - Retry-After is honoured by the request that was answered 429 (msapi/api_client.cpp). The
//    whole scope waits for it only when pacing did not help: a second 429 for a request sent
//    after the first 429 was known (a service that counts fixed windows, or a limit shared with
//    someone else, answers so).
//
// The learnt state is per Pacer: one Pacer kept across scans (the daemon) starts each scan with
// what it learnt; a new one (one-shot commands) learns again, at the cost of the requests in
// flight when the first 429 comes (the concurrency, a few). `start_rate` (the configured
// pc_requests_per_minute / graph_requests_per_10s) is only the pace used after the first 429
// until a rate has been measured.
//
// Time is seconds on any monotonic scale, from the function given (steady_clock by default), so
// that tests drive the pacer in virtual time. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace cspwatch::msapi {

class Pacer {
 public:
  // Held under the measured rate: 3%. Raised by this factor per admitted request (x1.03 over
  // 150 requests), so that the pace crosses the measured rate again within a few hundred
  // requests whatever the rate: time constants are counted in requests, not seconds.
  static constexpr double kMargin = 0.03;
  static constexpr double kProbeUp = 0.0002;
  // Until a rate has been measured the starting pace is a guess: raised ten times faster.
  static constexpr double kProbeUpUnmeasured = 0.002;
  // Fewer admitted requests than this between two 429s measure nothing (the count is exact to
  // one request: at 32 that is 3%).
  static constexpr int64_t kMinSample = 32;
  // The rate is the highest of this many last measures.
  static constexpr int kRecent = 8;
  // A new scope lets this many go at once (a handful of calls to a tenant are never paced), ...
  static constexpr double kProbeStart = 4;
  // ... then, while probing, requests go at this many times the pace, and 1% faster with each
  // admitted.
  static constexpr double kProbeFactor = 4;
  static constexpr double kProbeGrow = 0.01;
  // The pace never falls under this share of the starting or the measured rate.
  static constexpr double kFloorShare = 0.5;

  explicit Pacer(std::function<double()> seconds = {});

  // What admit() gives: go now (wait 0) with the send time to hand to answered(), or wait
  // `wait` seconds and ask again.
  struct Ticket {
    double wait = 0;
    double sent = 0;
  };
  Ticket admit(const std::string& scope, double start_rate);
  // The answer to a request admitted at `sent`: throttled (429) with the Retry-After it asked
  // for (seconds; 0 when none), or anything else (the service counted it).
  void answered(const std::string& scope, double sent, bool throttled, double retry_after = 0);

  // What has been learnt of a scope (for logs, metrics and tests).
  struct Learnt {
    bool probing = true;   // no 429 since the model bucket was last full
    double pace = 0;       // requests a second, 0 while probing the first time
    double measured = 0;   // the rate measured between 429s (0: none yet)
    bool precise = false;  // from kMinSample requests or more
    double capacity = 0;   // the bucket's size as measured (0: not yet)
    int64_t throttled = 0;
  };
  Learnt learnt(const std::string& scope) const;

  // Forgets the scopes that were never answered 429: they learnt nothing, and a scan makes one
  // per customer tenant (Graph is paced per tenant). Call between scans. How many are kept.
  size_t forgetUnthrottled();

 private:
  struct Scope {
    double pace = 0;        // requests a second once paced
    double tokens = 0;      // the model of the service's bucket
    double capacity = 0;    // its size as measured; 0 until the first 429
    double last = 0;        // when `tokens` was last refilled
    double last_admit = 0;  // when a request was last let go
    bool probing = true;    // paced at probe_rate until a 429
    double probe_rate = 0;
    double start_rate = 0;
    double probe_start = 0;  // when probing began, and what it admitted since
    int64_t probe_admitted = 0;
    double anchor = -1;        // the send time of the last throttled request (-1: none)
    int64_t since_anchor = 0;  // admitted requests sent after it
    double measured = 0;
    bool precise = false;                  // `measured` from kMinSample requests or more
    std::array<double, kRecent> recent{};  // the last precise measures
    int recent_count = 0, recent_next = 0;
    double hold_until = 0;           // the whole scope waits for a Retry-After until then
    double last_throttle_seen = -1;  // when the last 429 answer came
    double last_throttle_sent = -1;  // and when its request was sent
    int64_t since_throttle = 0;      // admitted requests sent after that
    int64_t throttled = 0;
    bool overflowed = false;  // the model bucket ran full since the last 429
    bool binding = false;     // a request waited for the pace since the last raise
  };
  Scope& scope(const std::string& name, double start_rate, double now);
  void throttledAt(Scope& s, double sent, double retry_after, double now);
  // A 429 `span` seconds after the last: what the requests admitted between them tell.
  void measure(Scope& s, double span);
  // A precise measure: the rate becomes the highest of the last kRecent.
  void remember(Scope& s, double estimate);

  std::function<double()> seconds_;
  mutable std::mutex mutex_;
  std::map<std::string, Scope> scopes_;
};

}  // namespace cspwatch::msapi
