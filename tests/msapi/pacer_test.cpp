// SPDX-License-Identifier: Apache-2.0
// The pacer against services whose buckets it does not know, in virtual time: a token bucket of
// a given rate and burst (seconds of refill, as cspwatch-sim --pc-burst takes it), workers that
// each wait for the pacer, send, wait for the answer (a fixed latency) and, when answered 429,
// wait its Retry-After (whole seconds, at least 1, as Partner Center and Graph give it) before
// trying again. Deterministic: no threads, no clock but the one the events advance.
#include "msapi/pacer.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

using cspwatch::msapi::Pacer;

namespace {

// The service: a token bucket, as the simulator keeps one (sim/faults.cpp), or a counter of
// fixed windows (`window` seconds, `rate` x window requests each).
struct Bucket {
  double rate, capacity, tokens, last;
  double window = 0;
  Bucket(double r, double burst_seconds)
      : rate(r), capacity(std::max(1.0, burst_seconds * r)), tokens(capacity), last(0) {}
  // 0: admitted; else the Retry-After in whole seconds.
  int take(double now) {
    if (window > 0) {
      const double start = std::floor(now / window) * window;
      if (start > last) tokens = capacity;
      last = start;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return std::max(1, static_cast<int>(std::ceil(start + window - now)));
    }
    tokens = std::min(capacity, tokens + (now - last) * rate);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return 0;
    }
    return std::max(1, static_cast<int>(std::ceil((1 - tokens) / rate)));
  }
};

// A deterministic pseudo-random number in [0, 1) for the n-th draw (splitmix64).
double draw(uint64_t n) {
  uint64_t z = n * 0x9E3779B97F4A7C15ULL + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return static_cast<double>((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

struct Run {
  double makespan = 0;  // when the last request was admitted
  int64_t throttled = 0;
  double floor = 0;  // (requests - capacity) / rate: the first bucketful at once
  double ratio() const { return makespan / floor; }
};

struct Scenario {
  double rate = 500.0 / 60;  // Partner Center: 500 a minute
  double burst = 60;         // seconds of refill the bucket holds
  double start_rate = 480.0 / 60;
  int workers = 8;
  double latency = 0.05;
  int64_t requests = 1000;
  double jitter = 0;  // each answer takes latency + [0, jitter) more
  double others = 0;  // share of the limit someone else uses (a request every 1/(others x rate))
  double storms = 0;  // share of requests answered 429 whatever the bucket holds
  double window = 0;  // the service counts fixed windows of this many seconds instead
  int64_t serial_first = 0;  // this many one at a time first (a list's pages), then the workers
};

// `requests` requests through `pacer` (which reads `clock`) against a fresh bucket.
Run drive(const Scenario& sc, Pacer& pacer, double& clock, Bucket& bucket) {
  enum Kind { kAdmit, kAnswer };
  struct Event {
    double at;
    int64_t seq;
    Kind kind;
    int worker;
    double sent;
    int retry_after;
    bool operator>(const Event& o) const { return std::tie(at, seq) > std::tie(o.at, o.seq); }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events;
  int64_t seq = 0, left = sc.requests;
  double next_other = clock;
  const double start = clock;
  Run run;
  std::vector<bool> busy(static_cast<size_t>(sc.workers), false);  // holds a retried request
  int64_t serial_done = 0;
  bool others_started = sc.serial_first == 0;
  for (int w = 0; w < (others_started ? sc.workers : 1); ++w)
    events.push({clock, seq++, kAdmit, w, 0, 0});
  while (!events.empty()) {
    Event e = events.top();
    events.pop();
    clock = e.at;
    if (e.kind == kAdmit) {
      if (!busy[e.worker]) {
        if (left == 0) continue;
        --left;
        busy[e.worker] = true;
      }
      const auto ticket = pacer.admit("pc", sc.start_rate);
      if (ticket.wait > 0) {
        events.push({clock + ticket.wait, seq++, kAdmit, e.worker, 0, 0});
        continue;
      }
      const double there =
          clock + (sc.latency + sc.jitter * draw(2 * static_cast<uint64_t>(seq))) / 2;
      // Someone else's requests, taken from the same bucket up to this one's arrival.
      for (; sc.others > 0 && next_other <= there; next_other += 1 / (sc.others * sc.rate))
        bucket.take(next_other);
      const bool storm = sc.storms > 0 && draw(2 * static_cast<uint64_t>(seq) + 1) < sc.storms;
      const int ra = storm ? 1 : bucket.take(there);
      events.push({2 * there - clock, seq++, kAnswer, e.worker, ticket.sent, ra});
    } else {
      pacer.answered("pc", e.sent, e.retry_after > 0, e.retry_after);
      if (e.retry_after > 0) {
        ++run.throttled;
        events.push({clock + e.retry_after, seq++, kAdmit, e.worker, 0, 0});
      } else {
        busy[e.worker] = false;
        run.makespan = clock - start;
        if (!others_started && ++serial_done == sc.serial_first) {
          others_started = true;
          for (int w = 1; w < sc.workers; ++w) events.push({clock, seq++, kAdmit, w, 0, 0});
        }
        events.push({clock, seq++, kAdmit, e.worker, 0, 0});
      }
    }
  }
  return run;
}

Run scan(const Scenario& sc, Pacer* shared = nullptr, double* shared_clock = nullptr) {
  double own_clock = 0;
  double& clock = shared_clock ? *shared_clock : own_clock;
  Pacer own([&clock] { return clock; });
  Pacer& pacer = shared ? *shared : own;
  Bucket bucket(sc.rate, sc.burst);
  bucket.last = clock;
  bucket.window = sc.window;
  if (sc.window > 0) bucket.capacity = bucket.tokens = sc.rate * sc.window;
  Run run = drive(sc, pacer, clock, bucket);
  // What the service admits, less what others take of it.
  const double rate = sc.rate * (1 - sc.others);
  run.floor = std::max(0.0, static_cast<double>(sc.requests) - bucket.capacity) / rate;
  return run;
}

}  // namespace

TEST_CASE("pacer: at most 1.05 times the floor and 1% answered 429, whatever the bucket's burst",
          "[pacer]") {
  for (double burst : {1.0, 10.0, 60.0}) {
    for (int64_t requests : {1000, 10000}) {
      // The benchmark's scans: 1,000 tenants at the real limits, 10,000 at limits x10 (whole
      // seconds of Retry-After weigh ten times as much there), and 10,000 at the real limits.
      for (double scale : {1.0, 10.0}) {
        if (requests == 1000 && scale > 1) continue;
        Scenario sc;
        sc.burst = burst;
        sc.requests = requests;
        sc.rate *= scale;
        sc.start_rate *= scale;
        sc.latency /= scale;
        if (scale > 1) sc.burst /= scale;  // the same bucketful, refilled 10 times faster
        sc.serial_first = requests / 100;  // the customer list's pages come first, one by one
        const Run run = scan(sc);
        INFO("burst " << burst << " s, " << requests << " requests, x" << scale << ": "
                      << run.makespan << " s against a floor of " << run.floor << " s, "
                      << run.throttled << " answered 429");
        CHECK(run.ratio() <= 1.05);
        CHECK(run.throttled <= requests / 100);
      }
    }
  }
}

TEST_CASE("pacer: learns the rate the service grants, within 3%, from a wrong start either way",
          "[pacer]") {
  for (double start : {0.75, 0.96, 1.5}) {
    for (double burst : {1.0, 60.0}) {
      Scenario sc;
      sc.burst = burst;
      sc.requests = 3000;
      sc.serial_first = 30;
      sc.start_rate = sc.rate * start;
      double clock = 0;
      Pacer pacer([&clock] { return clock; });
      const Run run = scan(sc, &pacer, &clock);
      const auto learnt = pacer.learnt("pc");
      INFO("start " << start << " x the rate, burst " << burst << " s: measured " << learnt.measured
                    << " a second (the service grants " << sc.rate << "), ratio " << run.ratio()
                    << ", " << run.throttled << " answered 429");
      CHECK(learnt.measured == Approx(sc.rate).epsilon(0.03));
      CHECK(learnt.measured <= sc.rate * 1.001);  // never above what the service grants
      CHECK(run.ratio() <= 1.05);
      CHECK(run.throttled <= 30);  // 1%
    }
  }
}

TEST_CASE("pacer: jittered answers and a limit shared with someone else", "[pacer]") {
  SECTION("answers take 50 to 350 ms") {
    Scenario sc;
    sc.burst = 10;
    sc.requests = 3000;
    sc.jitter = 0.3;
    const Run run = scan(sc);
    INFO(run.makespan << " s against " << run.floor << " s, " << run.throttled << " 429s");
    CHECK(run.ratio() <= 1.05);
    CHECK(run.throttled <= 30);
  }
  SECTION("another client takes a fifth of the rate: the pacer settles under the rest") {
    Scenario sc;
    sc.burst = 10;
    sc.requests = 3000;
    sc.others = 0.2;
    double clock = 0;
    Pacer pacer([&clock] { return clock; });
    const Run run = scan(sc, &pacer, &clock);
    INFO(run.makespan << " s against " << run.floor << " s, " << run.throttled << " 429s");
    CHECK(run.ratio() <= 1.05);
    CHECK(run.throttled <= 30);
    CHECK(pacer.learnt("pc").measured <= sc.rate * 0.8 * 1.001);
  }
}

TEST_CASE("pacer: 429s that are not the bucket's slow a scan at most to half the rate", "[pacer]") {
  // Graph throttles a tenant or an app across all its callers: 429s come whatever the pace.
  for (double storms : {0.005, 0.02}) {
    Scenario sc;
    sc.burst = 10;
    sc.requests = 3000;
    sc.storms = storms;
    const Run run = scan(sc);
    INFO(storms << ": " << run.makespan << " s against " << run.floor << " s");
    CHECK(run.ratio() <= 2.1);
  }
}

TEST_CASE("pacer: a second scan starts with what the first learnt, its burst at once", "[pacer]") {
  Scenario sc;
  sc.burst = 60;
  sc.requests = 1000;
  double clock = 0;
  Pacer pacer([&clock] { return clock; });
  const Run first = scan(sc, &pacer, &clock);
  const auto learnt = pacer.learnt("pc");
  CHECK_FALSE(learnt.probing);
  CHECK(learnt.capacity == Approx(500).epsilon(0.1));  // the bucket holds a minute: 500
  clock += 3600;                                       // an hour later, the bucket full again
  const Run second = scan(sc, &pacer, &clock);
  INFO("first " << first.makespan << " s, 429s " << first.throttled << "; second "
                << second.makespan << " s, 429s " << second.throttled << "; floor " << second.floor
                << " s");
  CHECK(second.ratio() <= 1.05);
  CHECK(second.throttled <= first.throttled + 2);
}

TEST_CASE("pacer: between scans it keeps only the scopes that learnt something", "[pacer]") {
  double clock = 0;
  Pacer pacer([&clock] { return clock; });
  for (int i = 0; i < 100; ++i) {
    const std::string scope = "graph|tenant-" + std::to_string(i);
    const auto ticket = pacer.admit(scope, 300);
    pacer.answered(scope, ticket.sent, false);
  }
  const auto ticket = pacer.admit("pc|partner", 8);
  clock += 0.1;
  pacer.answered("pc|partner", ticket.sent, true, 1);
  CHECK(pacer.forgetUnthrottled() == 1);
  CHECK(pacer.learnt("pc|partner").throttled == 1);
  CHECK(pacer.learnt("graph|tenant-7").throttled == 0);  // forgotten: as new
}
