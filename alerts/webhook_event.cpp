// SPDX-License-Identifier: Apache-2.0
#include "alerts/webhook_event.h"

#include <sstream>

#include <Poco/DigestEngine.h>
#include <Poco/HMACEngine.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/SHA2Engine.h>

#include "alerts/json_util.h"
#include "alerts/links.h"
#include "common/redact.h"

namespace cspwatch::alerts {

namespace {

using Poco::JSON::Object;

// Poco 1.11's SHA2Engine lacks the BLOCK_SIZE and DIGEST_SIZE that HMACEngine reads (1.12 adds
// SHA2Engine256 for this): SHA-256 with them.
class Sha256Engine : public Poco::SHA2Engine {
 public:
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256Engine() : Poco::SHA2Engine(SHA_256) {}
};

Poco::Dynamic::Var timeOrNull(const std::optional<Timestamp>& t) {
  return t ? Poco::Dynamic::Var(formatTimestamp(*t)) : Poco::Dynamic::Var();
}

Poco::Dynamic::Var textOrNull(const std::string& s) {
  return s.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(s);
}

Object::Ptr findingJson(const AlertItem& item) {
  Object::Ptr f = object();
  f->set("id", item.finding_id);
  f->set("rule_id", item.rule_id);
  f->set("rule_title", item.rule_title);
  f->set("severity", item.severity);
  f->set("subject", item.subject);
  if (!item.subject_label.empty()) f->set("subject_label", item.subject_label);
  f->set("message", item.message);
  f->set("remediation", item.remediation);
  f->set("first_seen", formatTimestamp(item.first_seen));
  f->set("times_reopened", item.times_reopened);
  f->set("resolved_at", timeOrNull(item.resolved_at));
  f->set("resolved_reason", textOrNull(item.resolved_reason));
  return f;
}

Object::Ptr couldNotCheckJson(const AlertItem& item) {
  Object::Ptr c = object();
  c->set("rule_id", item.rule_id);  // "*": nothing about the tenant could be read
  c->set("rule_title", item.rule_id == "*" ? std::string("the whole tenant") : item.rule_title);
  c->set("severity", textOrNull(item.severity));
  c->set("reason", redactSecrets(item.reason));
  // In an admin's words, as the digest says it: what could not be read, and what would let
  // cspwatch read it.
  if (!item.unchecked_what.empty()) c->set("what", item.unchecked_what);
  if (!item.unchecked_fix.empty()) c->set("fix", item.unchecked_fix);
  c->set("since", timeOrNull(item.since));
  c->set("scans_in_a_row", item.scans_in_a_row);
  return c;
}

}  // namespace

const char* webhookEventName(Section section) {
  switch (section) {
    case Section::kNew:
      return "opened";
    case Section::kReopened:
      return "reopened";
    case Section::kResolved:
      return "resolved";
    case Section::kCouldNotCheck:
      return "could_not_check";
    case Section::kReminders:
    case Section::kExpiring:
      break;
  }
  return nullptr;
}

std::string webhookEventId(const std::string& event, const AlertItem& item,
                           const EventContext& context, const std::string& target) {
  std::string about = "finding/" + std::to_string(item.finding_id);
  if (event == "could_not_check")
    about = "check/" + item.tenant_id + "/" + item.rule_id + "/" + item.reason + "/" +
            std::to_string(item.since ? toUnixSeconds(*item.since) : 0);
  // The scan's time keeps ids unique if the database is ever recreated and ids start again.
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(event + "\n" + about + "\n" + std::to_string(context.scan_id) + "\n" +
             std::to_string(toUnixSeconds(context.occurred_at)) + "\n" + target);
  return "evt_" + Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 32);
}

std::string webhookEventJson(const std::string& event, const std::string& event_id,
                             const AlertItem& item, const EventContext& context) {
  Object::Ptr e = object();
  e->set("schema_version", kWebhookSchemaVersion);
  e->set("event_id", event_id);
  e->set("event", event);
  e->set("occurred_at", formatTimestamp(context.occurred_at));
  e->set("scan_id", context.scan_id);
  Object::Ptr partner = object();
  partner->set("name", context.partner_name);
  partner->set("tenant_id", context.partner_tenant_id);
  e->set("partner", partner);
  Object::Ptr tenant = object();
  tenant->set("id", item.tenant_id);
  tenant->set("name", item.tenant_name);
  e->set("tenant", tenant);
  if (isTenantGuid(item.tenant_id)) {
    // The tenant's pages, as the digest links them (alerts/links.h).
    Object::Ptr links = object();
    links->set("admin_center", adminCenterUrl(item.tenant_id));
    links->set("partner_center", partnerCenterUrl(item.tenant_id));
    e->set("links", links);
  }
  if (event == "could_not_check")
    e->set("could_not_check", couldNotCheckJson(item));
  else
    e->set("finding", findingJson(item));
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(e, out, Poco::JSON_WRAP_STRINGS);
  return out.str();
}

std::string webhookSignature(const std::string& secret, const std::string& body) {
  Poco::HMACEngine<Sha256Engine> hmac(secret);
  hmac.update(body);
  return "sha256=" + Poco::DigestEngine::digestToHex(hmac.digest());
}

}  // namespace cspwatch::alerts
