// SPDX-License-Identifier: Apache-2.0
#include "scan/outbox_sender.h"

#include <algorithm>
#include <set>

#include "alerts/route_outputs.h"
#include "common/logging.h"
#include "scan/fault_points.h"

namespace cspwatch::scan {

namespace {

// The channels `t` can deliver; {} for all of them.
std::vector<std::string> channelsOf(const Transports& t) {
  if (t.email != nullptr && t.outputs != nullptr) return {};
  if (t.email != nullptr) return {alerts::kChannelEmail};
  return {alerts::kChannelWebhook, alerts::kChannelTeams};
}

alerts::Transport* transportFor(const Transports& t, const std::string& channel) {
  return channel == alerts::kChannelEmail ? t.email : t.outputs;
}

// Where a message goes, for the log: its recipients, or an output and its URL without secrets.
std::string destination(const storage::OutboxMessage& m) {
  if (m.channel == alerts::kChannelEmail) return m.recipients;
  return m.target + " (" + m.recipients + ")";
}

// The wait before the next attempt: doubling with each attempt up to max_retry, and no less
// than what the server asked for.
Seconds retryWait(const storage::OutboxMessage& m, const alerts::Delivery& d,
                  const SenderOptions& options) {
  Seconds wait = options.first_retry * (int64_t{1} << std::min(m.attempts, 12));
  wait = std::min(wait, options.max_retry);
  if (d.retry_after) wait = std::max(wait, *d.retry_after);
  return wait;
}

}  // namespace

Result<SendReport> deliverDue(storage::Outbox& outbox, const Transports& transports,
                              const Clock& clock, const SenderOptions& options) {
  SendReport report;
  if (transports.email == nullptr && transports.outputs == nullptr) return report;
  auto due = outbox.due(clock.now(), kSendBatch, channelsOf(transports));
  if (!due) return due.status();
  for (const auto& m : *due) {
    if (options.stop && options.stop()) break;
    // Another sender (a second cspwatch process) may have taken it since due() read it.
    auto mine = outbox.claim(m.id, clock.now(), options.lease);
    if (!mine) return mine.status();
    if (!*mine) continue;
    alerts::Delivery d =
        transportFor(transports, m.channel)
            ->deliver({m.message_id, m.recipients, m.body, m.channel, m.target, m.kind});
    const Timestamp now = clock.now();
    if (d.delivered) {
      faults::messageDelivered();  // tests only: a crash here resends under the same id
      if (Status s = outbox.markSent(m.id, now); !s) return s;
      log().info("delivered {} to {}: {}", m.message_id, destination(m), d.reply);
      ++report.delivered;
      continue;
    }
    // A permanent failure gives up at once.
    const Seconds wait = retryWait(m, d, options);
    const Seconds give_up = d.permanent ? Seconds(0) : options.give_up_after;
    if (Status s = outbox.markAttemptFailed(m.id, d.reply, now, wait, give_up); !s) return s;
    const bool gave_up = d.permanent || (now + wait) - m.created_at > options.give_up_after;
    log().warn("could not deliver {} to {}: {}{}", m.message_id, destination(m), d.reply,
               gave_up ? " (giving up: reported as failed)" : "");
    ++(gave_up ? report.failed : report.retrying);
  }
  return report;
}

Result<SendReport> deliverAllDue(storage::Outbox& outbox, const Transports& transports,
                                 const Clock& clock, const SenderOptions& options) {
  SendReport total;
  if (transports.email == nullptr && transports.outputs == nullptr) return total;
  std::set<int64_t> tried;
  for (;;) {
    auto due = outbox.due(clock.now(), kSendBatch, channelsOf(transports));
    if (!due) return due.status();
    bool fresh = false;
    for (const auto& m : *due) fresh = tried.insert(m.id).second || fresh;
    if (due->empty() || !fresh || (options.stop && options.stop())) break;
    auto r = deliverDue(outbox, transports, clock, options);
    if (!r) return r.status();
    total.delivered += r->delivered;
    total.retrying += r->retrying;
    total.failed += r->failed;
    if (static_cast<int>(due->size()) < kSendBatch) break;
  }
  return total;
}

}  // namespace cspwatch::scan
