// SPDX-License-Identifier: Apache-2.0
#include "msapi/pacer.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <optional>

namespace cspwatch::msapi {

namespace {

double steadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Pacer::Pacer(std::function<double()> seconds)
    : seconds_(seconds ? std::move(seconds) : steadySeconds) {}

Pacer::Scope& Pacer::scope(const std::string& name, double start_rate, double now) {
  auto it = scopes_.find(name);
  if (it != scopes_.end()) return it->second;
  Scope s;
  s.start_rate = s.pace = std::max(start_rate, 1e-6);
  s.probe_rate = s.pace * kProbeFactor;
  s.tokens = kProbeStart;
  s.last = now;
  s.probe_start = now;
  return scopes_.emplace(name, s).first->second;
}

Pacer::Ticket Pacer::admit(const std::string& name, double start_rate) {
  std::lock_guard<std::mutex> lock(mutex_);
  const double now = seconds_();
  Scope& s = scope(name, start_rate, now);
  if (now < s.hold_until) return {s.hold_until - now, 0};
  const double elapsed = now - s.last;
  s.last = now;
  if (s.probing) {
    // The first kProbeStart at once, then spaced at probe_rate: the bucket is spent far faster
    // than it refills, yet few requests are on their way when it runs out (each of them is
    // answered 429 and waits its Retry-After).
    s.tokens = std::max(s.tokens, std::min(1.0, s.tokens + elapsed * s.probe_rate));
  } else {
    s.tokens = std::min(s.capacity, s.tokens + elapsed * s.pace);
    // The model bucket ran full: fewer requests were asked for than the pace allows, so the
    // next 429 measures nothing (the service's bucket may have overflowed meanwhile).
    if (s.tokens >= s.capacity) s.overflowed = true;
    // Idle long enough for the service's bucket to be full again (between scans): probe again,
    // from one request and faster with each admitted, so that a bucket that grew is found. A
    // bucket too small to matter is not probed again: every probe costs a few 429s.
    if (s.capacity >= kMinSample && s.tokens >= s.capacity &&
        now - s.last_admit >= s.capacity / s.pace) {
      s.probing = true;
      s.probe_start = now;
      s.probe_admitted = 0;
      s.probe_rate = s.pace * kProbeFactor;
      s.tokens = 1;
    }
  }
  const double rate = s.probing ? s.probe_rate : s.pace;
  // (A token that is 1 but for rounding counts: the wait for it was computed to be exact.)
  if (s.tokens >= 1 - 1e-9) {
    s.tokens -= 1;
    s.last_admit = now;
    return {0, now};
  }
  s.binding = true;  // the pace, not the demand, holds requests back: raising it means something
  return {(1 - s.tokens) / rate, 0};
}

void Pacer::answered(const std::string& name, double sent, bool throttled, double retry_after) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = scopes_.find(name);
  if (it == scopes_.end()) return;
  Scope& s = it->second;
  const double now = seconds_();
  if (throttled) {
    throttledAt(s, sent, retry_after, now);
    return;
  }
  if (s.anchor >= 0 && sent > s.anchor) ++s.since_anchor;
  if (sent > s.last_throttle_sent) ++s.since_throttle;
  if (s.probing) {
    if (sent >= s.probe_start) ++s.probe_admitted;
    // Nothing throttled yet: the bucket may be far larger than the pace guessed.
    s.probe_rate *= 1 + kProbeGrow;
  } else if (!s.binding) {
    // Fewer requests were asked for than the pace allows: a higher pace would change nothing.
  } else if (s.precise) {
    s.pace *= 1 + kProbeUp;
    s.binding = false;
  } else {
    s.binding = false;
    // Faster while the rate is a guess, yet never past what probing starts at.
    s.pace =
        std::min(s.pace * (1 + kProbeUpUnmeasured), std::max(s.pace, s.start_rate * kProbeFactor));
  }
}

void Pacer::throttledAt(Scope& s, double sent, double retry_after, double now) {
  ++s.throttled;
  // The service's bucket was empty when this request came: so is the model, from now on.
  s.tokens = std::min(s.tokens, 0.0);
  s.last = now;
  // Sent before the last 429 was known: the bucket was already known to be empty, and the pace
  // has already been set for it (several requests in flight meet the same empty bucket).
  if (sent <= s.last_throttle_seen) return;
  // Pacing did not help: a request sent after the last 429 was known met an empty bucket with
  // nothing admitted since. The service counts otherwise (a fixed window, a limit shared with
  // others): the whole scope waits what it asks.
  if (s.last_throttle_seen >= 0 && s.since_throttle == 0 && retry_after > 0)
    s.hold_until = std::max(s.hold_until, now + retry_after);
  if (s.probing) {
    // The bucket's size: what it let through since probing began, less its refill meanwhile
    // (at the rate measured, else at the starting pace).
    const double rate = s.measured > 0 ? s.measured : s.pace;
    // A probe that asked for less than the bucket refilled (one request at a time, as list
    // pages go) learns only that it is at least what went at once.
    s.capacity = std::max(kProbeStart,
                          static_cast<double>(s.probe_admitted) - rate * (sent - s.probe_start));
    s.probing = false;
    if (s.measured > 0) s.pace = s.measured * (1 - kMargin);
  } else if (s.anchor >= 0 && sent > s.anchor) {
    measure(s, sent - s.anchor);
  } else {
    s.pace = std::min(s.pace, (s.measured > 0 ? s.measured : s.pace) * (1 - kMargin));
  }
  // Never under a share of the best known rate: 429s that are not the bucket's doing (Graph
  // throttles a tenant or an app across all its callers) must not stop a scan.
  s.pace = std::max(s.pace, kFloorShare * std::max(s.start_rate, s.measured));
  // Every 429 is a moment the bucket was empty; a measure runs from one to another with at
  // least kMinSample admitted between them (the 429s in between change nothing in the count).
  if (s.anchor < 0 || s.overflowed || s.since_anchor >= kMinSample || sent <= s.anchor) {
    s.anchor = sent;
    s.since_anchor = 0;
    s.overflowed = false;
  }
  s.last_throttle_sent = sent;
  s.since_throttle = 0;
  s.last_throttle_seen = now;
}

void Pacer::measure(Scope& s, double span) {
  // From empty to empty the service admitted what it refilled, to one request: one less than
  // the admitted count over the time is at most the rate (precise from kMinSample on; a 429
  // that is not the bucket's doing gives less), and one more over the time at least the rate,
  // however few came.
  const int64_t n = s.since_anchor;
  // Both need the bucket empty at both ends and never full between. When the model ran full
  // (fewer requests were asked for than the pace allows) the service's may have overflowed: it
  // admitted less than it refilled, and the count measures the demand, not the rate.
  const std::optional<double> at_most =
      s.overflowed ? std::nullopt : std::optional<double>(static_cast<double>(n + 1) / span);
  const double estimate = n >= kMinSample && at_most ? static_cast<double>(n - 1) / span : 0;
  if (!s.precise) {
    // No precise measure yet (the starting pace was a guess): a rough one while few come.
    if (estimate > 0) {
      s.precise = true;
      remember(s, estimate);
    } else if (at_most) {
      s.measured = std::min(s.measured > 0 ? s.measured : s.pace, *at_most);
    }
    s.pace = s.measured > 0 ? s.measured * (1 - kMargin) : s.pace * (1 - kMargin);
    return;
  }
  if (at_most && *at_most < std::min(s.measured, s.pace) * (1 - 2 * kMargin)) {
    // Clearly less than the rate known and than the pace asked for: the limit fell, or someone
    // else now shares it. (A 429 that is not the bucket's doing comes after what the pace sent
    // was admitted.)
    s.recent_count = 0;
    if (estimate > 0)
      remember(s, estimate);
    else
      s.measured = *at_most;
    s.pace = s.measured * (1 - kMargin);
    return;
  }
  // A 429 that is not the bucket's doing (Graph throttles a tenant or an app across all its
  // callers) measures less than the rate, never more: the rate is the highest of the last few
  // measures, and such a 429 only starts the climb again, no lower than under the rate.
  if (estimate > 0) remember(s, estimate);
  s.pace = std::min(s.pace, s.measured * (1 - kMargin));
}

void Pacer::remember(Scope& s, double estimate) {
  s.recent[static_cast<size_t>(s.recent_next)] = estimate;
  s.recent_next = (s.recent_next + 1) % kRecent;
  s.recent_count = std::min(s.recent_count + 1, kRecent);
  s.measured = 0;
  for (int i = 0; i < s.recent_count; ++i)
    s.measured = std::max(s.measured, s.recent[static_cast<size_t>(i)]);
}

size_t Pacer::forgetUnthrottled() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = scopes_.begin(); it != scopes_.end();)
    it = it->second.throttled == 0 ? scopes_.erase(it) : std::next(it);
  return scopes_.size();
}

Pacer::Learnt Pacer::learnt(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = scopes_.find(name);
  if (it == scopes_.end()) return {};
  const Scope& s = it->second;
  return {s.probing, s.capacity > 0 ? s.pace : 0, s.measured, s.precise, s.capacity, s.throttled};
}

}  // namespace cspwatch::msapi
