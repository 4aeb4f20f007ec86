// SPDX-License-Identifier: Apache-2.0
// One webhook event (docs/alerts.md#outputs): a finding opened, reopened or resolved, or a check
// that could not be made for `could_not_check_after_scans` scans in a row, as the JSON object
// docs/webhook-event.schema.json describes, and the signature that proves it came from us.
//
// Ids are stable: the same event (what it is about, its kind, the scan and the scan's time) for
// the same output always has the same id, so a resend after a crash between "posted" and
// "marked sent" carries the id the receiver already saw (it is also the Idempotency-Key).
// Pure: no clock, no files.
#pragma once

#include <cstdint>
#include <string>

#include "alerts/digest.h"
#include "common/time.h"

namespace cspwatch::alerts {

inline constexpr int kWebhookSchemaVersion = 1;

// The event a digest section's item is: "opened" (kNew), "reopened", "resolved",
// "could_not_check"; nullptr for the sections that are no event (reminders, suppressions).
const char* webhookEventName(Section section);

// Who sends the event, and when: the same for every event of one scan.
struct EventContext {
  std::string partner_name, partner_tenant_id;
  int64_t scan_id = 0;
  Timestamp occurred_at;  // the scan's time
};

// "evt_" and 32 lowercase hex digits (128 bits of a SHA-256) of the event's kind, what it is
// about (the finding's id; for a check, the tenant, rule, reason and when the streak began),
// the scan, its time and `target`, the output it goes to.
std::string webhookEventId(const std::string& event, const AlertItem& item,
                           const EventContext& context, const std::string& target);

// The event as compact JSON, keys in the schema's order. Text that may quote a server's answer
// (a check's reason) is redacted (common/redact.h).
std::string webhookEventJson(const std::string& event, const std::string& event_id,
                             const AlertItem& item, const EventContext& context);

// "sha256=" and the 64 lowercase hex digits of HMAC-SHA256(secret, body): the value of the
// X-Cspwatch-Signature header, over the exact bytes posted.
std::string webhookSignature(const std::string& secret, const std::string& body);

}  // namespace cspwatch::alerts
