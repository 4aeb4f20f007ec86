// SPDX-License-Identifier: Apache-2.0
#include "sim/truth.h"

#include <algorithm>
#include <optional>
#include <set>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/text.h"
#include "tenants/tenant_json.h"

namespace cspwatch::sim {

namespace {

using tenants::AdminRelationship;
using tenants::Tenant;

const std::set<std::string> kCheckedPurposes = {"admin_credentials", "billing", "company",
                                                "technical_notification", "invitation"};

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// What cspwatch sees of one tenant through Partner Center, Graph and the inventory.
struct Observed {
  bool in_inventory = false;
  bool listed = false;
  std::optional<bool> dap;                           // unknown when details are denied
  std::vector<AdminRelationship> ours;               // our relationships only
  std::optional<std::vector<std::string>> verified;  // unknown without organization access
  std::optional<std::vector<tenants::CustomerPartner>> partners;
  std::vector<tenants::ContactEmail> contacts;  // those read
  std::set<std::string> unread_purposes;        // contacts that could not be read
};

Observed observe(const Tenant& t, const World& world) {
  const PartnerIdentity& us = world.partner;
  const TenantAccess access = world.accessOf(t.id);
  Observed o;
  o.in_inventory = t.hasSource(tenants::kSourceInventory);
  o.listed = t.in_customer_list.value_or(false);
  o.dap = o.listed ? t.dap_enabled : std::optional<bool>(false);
  if (t.admin_relationships)
    for (const auto& r : *t.admin_relationships)
      if (r.partner_tenant_id == us.tenant_id) o.ours.push_back(r);
  o.verified = t.verified_domains;
  o.partners = t.partners;
  // Knowledge is per contact: the inventory's; Partner Center's (customers only): billing and
  // company when the details are readable, company unknown when they are withheld; Graph's
  // technical contacts, unknown when the organization cannot be read or only its basics can.
  const bool details = o.listed && t.dap_enabled.has_value();
  const bool organization = t.verified_domains.has_value() && !access.organization_basic_only;
  const bool company = world.companyDetailsVisible(t);
  if (o.listed && !details) o.unread_purposes.insert({"billing", "company"});
  if (details && !company) o.unread_purposes.insert("company");
  if (!organization) o.unread_purposes.insert("technical_notification");
  for (const auto& c : t.contacts.value_or(std::vector<tenants::ContactEmail>{})) {
    if (c.source == tenants::kSourceInventory && o.in_inventory) o.contacts.push_back(c);
    if (c.source == tenants::kSourcePartnerCenter && details && (c.purpose != "company" || company))
      o.contacts.push_back(c);
    if (c.source == tenants::kSourceGraph && organization) o.contacts.push_back(c);
  }
  return o;
}

bool active(const AdminRelationship& r) { return r.status == "active" || r.status == "expiring"; }

bool noAutoExtend(const AdminRelationship& r) {
  if (!r.auto_extend_duration) return true;
  auto d = parseDuration(*r.auto_extend_duration);
  return d && d->count() == 0;
}

int64_t wholeDaysBetween(Timestamp from, Timestamp to) {
  int64_t s = toUnixSeconds(to) - toUnixSeconds(from);
  return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

}  // namespace

std::vector<TruthEntry> computeTruth(const World& world, Timestamp now) {
  std::vector<TruthEntry> out;
  const PartnerIdentity& us = world.partner;
  for (const auto& t : world.tenants) {
    const Observed o = observe(t, world);
    if (!o.in_inventory && !o.listed) continue;  // cspwatch never hears of it
    auto add = [&](const char* rule, const std::string& subject, const char* outcome = "fail") {
      out.push_back({rule, t.id, subject, outcome});
    };
    std::vector<const AdminRelationship*> ours_active;
    for (const auto& r : o.ours)
      if (r.kind == "gdap" && active(r)) ours_active.push_back(&r);

    if (o.in_inventory && !o.listed) add("partner-not-listed", "");

    if (!o.partners) {
      add("incumbent-admin-access", "", "unknown");
    } else {
      std::set<std::string> holders;
      for (const auto& r : o.ours)
        if (active(r)) holders.insert(r.partner_tenant_id);
      for (const auto& p : *o.partners)
        if (p.is_service_provider) holders.insert(p.tenant_id);
      for (const auto& h : holders)
        if (h != us.tenant_id && !contains(us.distributor_tenant_ids, h) &&
            !contains(us.trusted_partner_tenant_ids, h))
          add("incumbent-admin-access", h);
    }

    if (!o.dap)
      add("dap-enabled", "", "unknown");
    else if (*o.dap)
      add("dap-enabled", "");

    for (const auto* r : ours_active) {
      if (r->end_at && *r->end_at < now + std::chrono::hours(24 * 30) && noAutoExtend(*r))
        add("gdap-expiring", r->id);
      if (contains(r->role_definition_ids, kGlobalAdminRole)) add("gdap-global-admin", r->id);
    }
    if (o.listed && ours_active.empty()) add("gdap-missing", "");
    if (!ours_active.empty() && std::all_of(ours_active.begin(), ours_active.end(), [](auto* r) {
          return startsWith(r->display_name, "MLT_");
        }))
      add("gdap-mlt-only", "");
    for (const auto& r : o.ours) {
      if (r.kind != "gdap") continue;
      const bool ended = r.status == "expired" || r.status == "terminationRequested" ||
                         r.status == "terminating" || r.status == "terminated";
      const bool waiting = r.status == "approvalPending" || (r.partner_consent_pending && !ended);
      if (waiting && r.created_at && wholeDaysBetween(*r.created_at, now) > 30)
        add("gdap-approval-stale", r.id);
    }

    // Each contact read is checked; each one that could not be read leaves the rule undecided
    // for that contact, beside whatever the others show (a fail then also has an unknown row).
    std::set<std::string> failing;
    bool undecided = false;
    for (const auto& p : o.unread_purposes) undecided = undecided || kCheckedPurposes.count(p);
    for (const auto& c : o.contacts) {
      if (!kCheckedPurposes.count(c.purpose)) continue;
      const std::string domain = emailDomain(c.address);
      if (contains(us.email_domains, domain)) continue;
      if (!o.verified) {
        undecided = true;
        continue;
      }
      if (!contains(*o.verified, domain)) failing.insert(toLowerAscii(c.address));
    }
    for (const auto& s : failing) add("admin-email-unverified", s);
    if (undecided) add("admin-email-unverified", "", "unknown");
  }
  std::sort(out.begin(), out.end(), [](const TruthEntry& a, const TruthEntry& b) {
    return std::tie(a.rule, a.tenant_id, a.subject, a.outcome) <
           std::tie(b.rule, b.tenant_id, b.subject, b.outcome);
  });
  return out;
}

std::string truthToJson(const std::vector<TruthEntry>& truth, Timestamp now) {
  Poco::JSON::Object::Ptr doc = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  doc->set("schema_version", 1);
  doc->set("now", formatTimestamp(now));
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
  for (const auto& e : truth) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("rule", e.rule);
    o->set("tenant_id", e.tenant_id);
    o->set("subject", e.subject);
    o->set("outcome", e.outcome);
    list->add(o);
  }
  doc->set("findings", list);
  return tenants::jsonText(doc, true);
}

}  // namespace cspwatch::sim
