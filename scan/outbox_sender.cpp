// SPDX-License-Identifier: Apache-2.0
#include "scan/outbox_sender.h"

#include <algorithm>
#include <set>

#include "common/logging.h"

namespace cspwatch::scan {

Result<SendReport> deliverDue(storage::Outbox& outbox, alerts::Transport& transport,
                              const Clock& clock, const SenderOptions& options) {
  SendReport report;
  auto due = outbox.due(clock.now(), kSendBatch);
  if (!due) return due.status();
  for (const auto& m : *due) {
    if (options.stop && options.stop()) break;
    // Another sender (a second cspwatch process) may have taken it since due() read it.
    auto mine = outbox.claim(m.id, clock.now(), options.lease);
    if (!mine) return mine.status();
    if (!*mine) continue;
    alerts::Delivery d = transport.deliver({m.message_id, m.recipients, m.body});
    const Timestamp now = clock.now();
    if (d.delivered) {
      if (Status s = outbox.markSent(m.id, now); !s) return s;
      log().info("delivered {} to {}: {}", m.message_id, m.recipients, d.reply);
      ++report.delivered;
      continue;
    }
    // Backoff doubles with each attempt; a permanent failure gives up at once.
    Seconds wait = options.first_retry * (int64_t{1} << std::min(m.attempts, 12));
    wait = std::min(wait, options.max_retry);
    const Seconds give_up = d.permanent ? Seconds(0) : options.give_up_after;
    if (Status s = outbox.markAttemptFailed(m.id, d.reply, now, wait, give_up); !s) return s;
    const bool gave_up = d.permanent || (now + wait) - m.created_at > options.give_up_after;
    log().warn("could not deliver {} to {}: {}{}", m.message_id, m.recipients, d.reply,
               gave_up ? " (giving up: reported as failed)" : "");
    ++(gave_up ? report.failed : report.retrying);
  }
  return report;
}

Result<SendReport> deliverAllDue(storage::Outbox& outbox, alerts::Transport& transport,
                                 const Clock& clock, const SenderOptions& options) {
  SendReport total;
  std::set<int64_t> tried;
  for (;;) {
    auto due = outbox.due(clock.now(), kSendBatch);
    if (!due) return due.status();
    bool fresh = false;
    for (const auto& m : *due) fresh = tried.insert(m.id).second || fresh;
    if (due->empty() || !fresh || (options.stop && options.stop())) break;
    auto r = deliverDue(outbox, transport, clock, options);
    if (!r) return r.status();
    total.delivered += r->delivered;
    total.retrying += r->retrying;
    total.failed += r->failed;
    if (static_cast<int>(due->size()) < kSendBatch) break;
  }
  return total;
}

}  // namespace cspwatch::scan
