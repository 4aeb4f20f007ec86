// SPDX-License-Identifier: Apache-2.0
// Delivers the outbox's due messages through the transport of each one's channel (mail, or the
// HTTP outputs: webhooks and Teams): each delivered message is marked sent (once); a temporary
// failure is retried with backoff (doubling from `first_retry` up to `max_retry`, and no sooner
// than the server's Retry-After); a permanent one, or any past `give_up_after`, is marked failed
// and kept, with the server's answer, for `cspwatch alerts outbox` and the next digest. Not
// thread-safe.
#pragma once

#include <functional>

#include "alerts/transport.h"
#include "common/clock.h"
#include "storage/outbox.h"

namespace cspwatch::scan {

struct SenderOptions {
  Seconds first_retry = Seconds(60);
  Seconds max_retry = Seconds(3600);
  Seconds give_up_after = Seconds(24 * 3600);
  Seconds lease = Seconds(600);  // a claimed message waits this long if its sender dies
  std::function<bool()> stop;    // when it returns true (shutdown), no further message is tried
};

inline constexpr int kSendBatch = 50;  // messages deliverDue takes at a time

// The options from alerts.retry_first, retry_max and give_up_after.
inline SenderOptions senderOptions(Seconds first_retry, Seconds max_retry, Seconds give_up_after,
                                   std::function<bool()> stop = {}) {
  SenderOptions o;
  o.first_retry = first_retry;
  o.max_retry = max_retry;
  o.give_up_after = give_up_after;
  o.stop = std::move(stop);
  return o;
}

struct SendReport {
  int delivered = 0, retrying = 0, failed = 0;
};

// The transports by channel. A channel without one keeps its messages queued, untried (the
// mail transport could not be made: the webhooks still go).
struct Transports {
  alerts::Transport* email = nullptr;
  alerts::Transport* outputs = nullptr;  // "webhook" and "teams" (alerts/http_post_transport.h)
};

Result<SendReport> deliverDue(storage::Outbox& outbox, const Transports& transports,
                              const Clock& clock, const SenderOptions& options = {});
// deliverDue batch after batch until nothing is due (critical messages first). Ends when a
// batch comes back short or holds only messages already tried in this call, so a failing
// server is tried once per message, not in a loop.
Result<SendReport> deliverAllDue(storage::Outbox& outbox, const Transports& transports,
                                 const Clock& clock, const SenderOptions& options = {});

// Every channel through one transport (a test's, or an outbox known to hold only mail).
inline Result<SendReport> deliverDue(storage::Outbox& outbox, alerts::Transport& transport,
                                     const Clock& clock, const SenderOptions& options = {}) {
  return deliverDue(outbox, Transports{&transport, &transport}, clock, options);
}
inline Result<SendReport> deliverAllDue(storage::Outbox& outbox, alerts::Transport& transport,
                                        const Clock& clock, const SenderOptions& options = {}) {
  return deliverAllDue(outbox, Transports{&transport, &transport}, clock, options);
}

}  // namespace cspwatch::scan
