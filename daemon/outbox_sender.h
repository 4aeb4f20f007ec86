// SPDX-License-Identifier: Apache-2.0
// Delivers the outbox's due messages through a transport: each delivered message is marked
// sent (once); a temporary failure is retried with backoff (doubling from `first_retry` up to
// `max_retry`); a permanent one, or any past `give_up_after`, is marked failed and kept, with
// the server's answer, for `cspwatch alerts outbox` and the next digest. Not thread-safe.
#pragma once

#include "alerts/transport.h"
#include "common/clock.h"
#include "storage/outbox.h"

namespace cspwatch::daemon {

struct SenderOptions {
  Seconds first_retry = Seconds(60);
  Seconds max_retry = Seconds(3600);
  Seconds give_up_after = Seconds(24 * 3600);
  Seconds lease = Seconds(600);  // a claimed message waits this long if its sender dies
};

inline constexpr int kSendBatch = 50;  // messages deliverDue takes at a time

struct SendReport {
  int delivered = 0, retrying = 0, failed = 0;
};

Result<SendReport> deliverDue(storage::Outbox& outbox, alerts::Transport& transport,
                              const Clock& clock, const SenderOptions& options = {});
// deliverDue batch after batch until nothing is due (critical messages first). Ends when a
// batch comes back short or holds only messages already tried in this call, so a failing
// server is tried once per message, not in a loop.
Result<SendReport> deliverAllDue(storage::Outbox& outbox, alerts::Transport& transport,
                                 const Clock& clock, const SenderOptions& options = {});

}  // namespace cspwatch::daemon
