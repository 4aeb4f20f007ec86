// SPDX-License-Identifier: Apache-2.0
#include "tenants/tenant_json.h"

#include <algorithm>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>

#include "common/guid.h"
#include "common/text.h"
#include "common/yaml_util.h"

namespace cspwatch::tenants {

namespace {

const std::vector<std::string> kTenantKeys = {"id",
                                              "tenant_id",
                                              "name",
                                              "default_domain",
                                              "domain",
                                              "tags",
                                              "sources",
                                              "verified_domains",
                                              "in_customer_list",
                                              "relationship_to_partner",
                                              "partners",
                                              "indirect_relationships",
                                              "admin_relationships",
                                              "dap_enabled",
                                              "contacts",
                                              "admin_email",
                                              "created_at",
                                              "onboarded_at",
                                              "fetch_problems"};

const std::vector<std::string> kRelationshipStatuses = {
    "created",     "approvalPending", "approved",          "activating",
    "active",      "expiring",        "expired",           "terminationRequested",
    "terminating", "terminated",      "unknownFutureValue"};

const std::vector<std::string> kKnownSources = {kSourcePartnerCenter, kSourceGraph,
                                                kSourceInventory};

// Decoding state for one tenant record: the file, the diagnostics and whether all went well.
class Decoder {
 public:
  Decoder(std::string file, std::string prefix, Diagnostics& diags)
      : file_(std::move(file)), prefix_(std::move(prefix)), diags_(diags) {}

  bool ok() const { return diags_.errorCount() == errors_before_; }

  // Is the value of `key` present and not null (i.e. the part is known)?
  static bool known(YamlMap& m, const std::string& key) {
    YAML::Node v = m.get(key);
    return v.IsDefined() && !v.IsNull();
  }

  YamlMap map(const YAML::Node& node, const std::string& context) {
    return YamlMap(node, file_, prefix_, context, diags_);
  }

  // A known list of objects under `key`: each item decoded by `item_fn` (nullopt on error).
  template <typename T, typename Fn>
  std::optional<std::vector<T>> list(YamlMap& m, const std::string& key, Fn item_fn) {
    YAML::Node v = m.get(key);
    if (!v.IsSequence()) {
      m.error("wrong-type", m.valueLocation(key),
              "'" + key + "' must be a list (or null when not known), found " + describeNode(v));
      return std::nullopt;
    }
    std::vector<T> out;
    size_t index = 0;
    for (const auto& item : v) {
      YamlMap im = map(item, key + "[" + std::to_string(index++) + "]");
      if (!im.valid()) continue;
      std::optional<T> decoded = item_fn(im);
      if (decoded) out.push_back(std::move(*decoded));
    }
    return out;
  }

  // A string that must be one of `allowed`.
  std::optional<std::string> oneOf(YamlMap& m, const std::string& key,
                                   const std::vector<std::string>& allowed, bool required) {
    auto s = m.getString(key, required);
    if (!s) return std::nullopt;
    if (std::find(allowed.begin(), allowed.end(), *s) != allowed.end()) return s;
    std::string hint = didYouMean(*s, allowed);
    m.error("bad-value", m.valueLocation(key),
            "'" + key + "' must be one of " + join(allowed, ", ") + ", found '" + *s + "'", hint);
    return std::nullopt;
  }

  std::optional<CustomerPartner> partner(YamlMap& m) {
    m.checkKeys({"tenant_id", "name", "default_domain", "mpn_id", "is_service_provider"});
    CustomerPartner p;
    auto id = m.getGuid("tenant_id", true);
    if (id) p.tenant_id = *id;
    p.name = m.getString("name");
    if (auto d = m.getString("default_domain")) p.default_domain = toLowerAscii(*d);
    p.mpn_id = m.getString("mpn_id");
    p.is_service_provider = m.getBool("is_service_provider").value_or(false);
    return p;
  }

  std::optional<IndirectRelationship> indirect(YamlMap& m) {
    m.checkKeys({"tenant_id", "name", "mpn_id", "type"});
    IndirectRelationship r;
    auto id = m.getGuid("tenant_id", true);
    if (id) r.tenant_id = *id;
    r.name = m.getString("name").value_or("");
    r.mpn_id = m.getString("mpn_id");
    r.type = m.getString("type", true).value_or("");
    return r;
  }

  std::optional<AdminRelationship> admin(YamlMap& m) {
    m.checkKeys({"id", "display_name", "kind", "partner_tenant_id", "status", "role_definition_ids",
                 "created_at", "activated_at", "end_at", "duration", "auto_extend_duration",
                 "is_reseller_relationship", "indirect_provider_tenant_id",
                 "partner_consent_pending"});
    AdminRelationship r;
    r.id = m.getString("id", true).value_or("");
    r.display_name = m.getString("display_name").value_or("");
    r.kind = oneOf(m, "kind", {"gdap", "dap"}, true).value_or("");
    r.partner_tenant_id = m.getGuid("partner_tenant_id", true).value_or("");
    r.status = oneOf(m, "status", kRelationshipStatuses, true).value_or("");
    if (m.has("role_definition_ids"))
      r.role_definition_ids =
          m.getGuidList("role_definition_ids").value_or(std::vector<std::string>{});
    r.created_at = m.getTimestamp("created_at");
    r.activated_at = m.getTimestamp("activated_at");
    r.end_at = m.getTimestamp("end_at");
    r.duration = isoDuration(m, "duration");
    r.auto_extend_duration = isoDuration(m, "auto_extend_duration");
    r.is_reseller_relationship = m.getBool("is_reseller_relationship").value_or(false);
    r.indirect_provider_tenant_id = m.getGuid("indirect_provider_tenant_id");
    r.partner_consent_pending = m.getBool("partner_consent_pending").value_or(false);
    return r;
  }

  std::optional<std::string> isoDuration(YamlMap& m, const std::string& key) {
    auto s = m.getString(key);
    if (s && (!startsWith(*s, "P") || !parseDuration(*s))) {
      m.error(
          "bad-value", m.valueLocation(key),
          "'" + key + "' must be an ISO 8601 duration such as P180D or PT0S, found '" + *s + "'");
      return std::nullopt;
    }
    return s;
  }

  std::optional<ContactEmail> contact(YamlMap& m) {
    m.checkKeys({"address", "purpose", "source", "unread"});
    ContactEmail c;
    // An unread contact has a null address and says why in 'unread'.
    c.unread = m.getString("unread");
    if (c.unread && c.unread->empty())
      m.error("bad-value", m.valueLocation("unread"),
              "'unread' must say why the contact could not be read");
    if (c.unread && known(m, "address"))
      m.error("bad-value", m.valueLocation("address"),
              "a contact with 'unread' has no address (write address: null)");
    c.address = c.unread ? "" : m.getString("address", true).value_or("");
    if (!c.address.empty() && !looksLikeEmail(c.address))
      m.error("bad-value", m.valueLocation("address"),
              "'" + c.address + "' is not an email address");
    c.purpose = oneOf(m, "purpose", contactPurposes(), true).value_or("");
    c.source = oneOf(m, "source", kKnownSources, false).value_or(kSourceInventory);
    return c;
  }

  std::optional<FetchProblem> problem(YamlMap& m) {
    m.checkKeys({"part", "reason"});
    FetchProblem p;
    p.part = oneOf(m, "part", partNames(), true).value_or("");
    p.reason = m.getString("reason").value_or("");
    return p;
  }

  const std::string file_;
  const std::string prefix_;
  Diagnostics& diags_;
  const size_t errors_before_ = diags_.errorCount();
};

}  // namespace

std::optional<Tenant> tenantFromNode(const YAML::Node& node, const std::string& file,
                                     const std::string& code_prefix, Diagnostics& diags) {
  Decoder dec(file, code_prefix, diags);
  YamlMap m = dec.map(node, "tenant");
  if (!m.valid()) return std::nullopt;
  m.checkKeys(kTenantKeys);
  Tenant t;

  auto alias = [&](const char* key, const char* other) -> const char* {
    if (m.has(key) && m.has(other)) {
      m.error("duplicate-key", m.keyLocation(other),
              std::string("'") + other + "' and '" + key + "' name the same field",
              std::string("keep only '") + key + "'");
    }
    return m.has(other) && !m.has(key) ? other : key;
  };
  const char* id_key = alias("id", "tenant_id");
  if (auto id = m.getGuid(id_key, true)) t.id = *id;
  t.name = m.getString("name").value_or("");
  t.default_domain = toLowerAscii(m.getString(alias("default_domain", "domain")).value_or(""));
  t.tags = m.getStringList("tags").value_or(std::vector<std::string>{});
  for (const auto& s : m.getStringList("sources").value_or(std::vector<std::string>{})) {
    if (s != kSourcePartnerCenter && s != kSourceInventory) {
      m.error("bad-value", m.valueLocation("sources"),
              "sources may hold partner_center and inventory, found '" + s + "'");
      continue;
    }
    t.addSource(s);
  }

  if (Decoder::known(m, "verified_domains")) {
    if (auto d = m.getStringList("verified_domains")) {
      std::vector<std::string> lowered;
      for (const auto& x : *d) lowered.push_back(toLowerAscii(x));
      t.verified_domains = lowered;
    }
  }
  if (Decoder::known(m, "in_customer_list")) t.in_customer_list = m.getBool("in_customer_list");
  t.relationship_to_partner = m.getString("relationship_to_partner");
  if (Decoder::known(m, "partners"))
    t.partners =
        dec.list<CustomerPartner>(m, "partners", [&](YamlMap& im) { return dec.partner(im); });
  if (Decoder::known(m, "indirect_relationships"))
    t.indirect_relationships = dec.list<IndirectRelationship>(
        m, "indirect_relationships", [&](YamlMap& im) { return dec.indirect(im); });
  if (Decoder::known(m, "admin_relationships"))
    t.admin_relationships = dec.list<AdminRelationship>(m, "admin_relationships",
                                                        [&](YamlMap& im) { return dec.admin(im); });
  if (Decoder::known(m, "dap_enabled")) t.dap_enabled = m.getBool("dap_enabled");
  if (Decoder::known(m, "contacts"))
    t.contacts =
        dec.list<ContactEmail>(m, "contacts", [&](YamlMap& im) { return dec.contact(im); });
  if (auto admin = m.getString("admin_email")) {
    if (!looksLikeEmail(*admin)) {
      m.error("bad-value", m.valueLocation("admin_email"),
              "'" + *admin + "' is not an email address");
    } else {
      if (!t.contacts) t.contacts.emplace();
      t.contacts->push_back({*admin, kPurposeAdminCredentials, kSourceInventory});
    }
  }
  t.created_at = m.getTimestamp("created_at");
  t.onboarded_at = m.getTimestamp("onboarded_at");
  if (Decoder::known(m, "fetch_problems"))
    t.fetch_problems =
        dec.list<FetchProblem>(m, "fetch_problems", [&](YamlMap& im) { return dec.problem(im); })
            .value_or(std::vector<FetchProblem>{});
  if (!dec.ok()) return std::nullopt;
  return t;
}

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr newObject() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

Poco::Dynamic::Var optional(const std::optional<std::string>& v) {
  return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
}

Poco::Dynamic::Var optionalTime(const std::optional<Timestamp>& v) {
  return v ? Poco::Dynamic::Var(formatTimestamp(*v)) : Poco::Dynamic::Var();
}

Array::Ptr stringArray(const std::vector<std::string>& v) {
  Array::Ptr a = new Array();
  for (const auto& s : v) a->add(s);
  return a;
}

template <typename T, typename Fn>
Poco::Dynamic::Var knownListJson(const Known<std::vector<T>>& v, Fn fn) {
  if (!v) return Poco::Dynamic::Var();
  Array::Ptr a = new Array();
  for (const auto& item : *v) a->add(fn(item));
  return a;
}

}  // namespace

Poco::JSON::Object::Ptr tenantToJson(const Tenant& t) {
  Object::Ptr o = newObject();
  o->set("id", t.id);
  o->set("name", t.name);
  o->set("default_domain", t.default_domain);
  o->set("tags", stringArray(t.tags));
  o->set("sources", stringArray(t.sources));
  o->set("verified_domains", t.verified_domains
                                 ? Poco::Dynamic::Var(stringArray(*t.verified_domains))
                                 : Poco::Dynamic::Var());
  o->set("in_customer_list",
         t.in_customer_list ? Poco::Dynamic::Var(*t.in_customer_list) : Poco::Dynamic::Var());
  o->set("relationship_to_partner", optional(t.relationship_to_partner));
  o->set("partners", knownListJson(t.partners, [](const CustomerPartner& p) {
           Object::Ptr x = newObject();
           x->set("tenant_id", p.tenant_id);
           x->set("name", optional(p.name));
           x->set("default_domain", optional(p.default_domain));
           x->set("mpn_id", optional(p.mpn_id));
           x->set("is_service_provider", p.is_service_provider);
           return x;
         }));
  o->set("indirect_relationships",
         knownListJson(t.indirect_relationships, [](const IndirectRelationship& r) {
           Object::Ptr x = newObject();
           x->set("tenant_id", r.tenant_id);
           x->set("name", r.name);
           x->set("mpn_id", optional(r.mpn_id));
           x->set("type", r.type);
           return x;
         }));
  o->set("admin_relationships",
         knownListJson(t.admin_relationships, [](const AdminRelationship& r) {
           Object::Ptr x = newObject();
           x->set("id", r.id);
           x->set("display_name", r.display_name);
           x->set("kind", r.kind);
           x->set("partner_tenant_id", r.partner_tenant_id);
           x->set("status", r.status);
           x->set("role_definition_ids", stringArray(r.role_definition_ids));
           x->set("created_at", optionalTime(r.created_at));
           x->set("activated_at", optionalTime(r.activated_at));
           x->set("end_at", optionalTime(r.end_at));
           x->set("duration", optional(r.duration));
           x->set("auto_extend_duration", optional(r.auto_extend_duration));
           x->set("is_reseller_relationship", r.is_reseller_relationship);
           x->set("indirect_provider_tenant_id", optional(r.indirect_provider_tenant_id));
           x->set("partner_consent_pending", r.partner_consent_pending);
           return x;
         }));
  o->set("dap_enabled", t.dap_enabled ? Poco::Dynamic::Var(*t.dap_enabled) : Poco::Dynamic::Var());
  o->set("contacts", knownListJson(t.contacts, [](const ContactEmail& c) {
           Object::Ptr x = newObject();
           x->set("address", c.unread ? Poco::Dynamic::Var() : Poco::Dynamic::Var(c.address));
           x->set("purpose", c.purpose);
           x->set("source", c.source);
           if (c.unread) x->set("unread", *c.unread);
           return x;
         }));
  o->set("created_at", optionalTime(t.created_at));
  o->set("onboarded_at", optionalTime(t.onboarded_at));
  Array::Ptr problems = new Array();
  for (const auto& p : t.fetch_problems) {
    Object::Ptr x = newObject();
    x->set("part", p.part);
    x->set("reason", p.reason);
    problems->add(x);
  }
  o->set("fetch_problems", problems);
  return o;
}

std::string jsonText(const Poco::Dynamic::Var& value, bool pretty) {
  std::ostringstream out;
  if (pretty)
    Poco::JSON::Stringifier::stringify(value, out, 2, 2, Poco::JSON_WRAP_STRINGS);
  else
    Poco::JSON::Stringifier::condense(value, out, Poco::JSON_WRAP_STRINGS);
  return out.str();
}

std::string tenantsToJsonText(const std::vector<Tenant>& tenants, bool pretty) {
  Array::Ptr a = new Array();
  for (const auto& t : tenants) a->add(tenantToJson(t));
  return jsonText(a, pretty);
}

}  // namespace cspwatch::tenants
