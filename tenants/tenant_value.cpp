// SPDX-License-Identifier: Apache-2.0
#include "tenants/tenant_value.h"

namespace cspwatch::tenants {

namespace {

using K = Type::Kind;

Type str() { return Type::of(K::kString); }
Type boolean() { return Type::of(K::kBool); }
Type ts() { return Type::of(K::kTimestamp); }
Type listOfStrings() { return Type::listOf(str()); }

const ObjectType& partnerType() {
  static const ObjectType t{"CustomerPartner",
                            {{"tenant_id", str(), "the partner's tenant id"},
                             {"name", str(), "display name, or null"},
                             {"mpn_id", str(), "Partner ID, or null"},
                             {"is_service_provider", boolean(), "a CSP of the customer"},
                             {"default_domain", str(), "default domain, or null"}}};
  return t;
}

const ObjectType& indirectType() {
  static const ObjectType t{"IndirectRelationship",
                            {{"tenant_id", str(), "the other partner's tenant id"},
                             {"name", str(), "its name"},
                             {"mpn_id", str(), "its Partner ID, or null"},
                             {"type", str(), "relationshipType from Partner Center"}}};
  return t;
}

const ObjectType& adminType() {
  static const ObjectType t{
      "AdminRelationship",
      {{"id", str(), "relationship id"},
       {"display_name", str(), "display name (MLT_ = Microsoft-led)"},
       {"kind", str(), "gdap or dap"},
       {"partner_tenant_id", str(), "the partner holding the access"},
       {"status", str(), "active, approvalPending, expired, ..."},
       {"role_definition_ids", listOfStrings(), "Entra role template ids"},
       {"created_at", ts(), "created, or null"},
       {"activated_at", ts(), "activated, or null"},
       {"end_at", ts(), "ends, or null"},
       {"duration", str(), "ISO 8601 duration, or null"},
       {"auto_extend_duration", str(), "ISO 8601; PT0S = no auto-extend; or null"},
       {"is_reseller_relationship", boolean(), "created by the distributor"},
       {"indirect_provider_tenant_id", str(), "the distributor, or null"},
       {"partner_consent_pending", boolean(), "awaiting our consent"}}};
  return t;
}

const ObjectType& contactType() {
  static const ObjectType t{"ContactEmail",
                            {{"address", str(), "the email address (unknown when unread)"},
                             {"purpose", str(), "admin_credentials, billing, company, ..."},
                             {"source", str(), "partner_center, graph or inventory"}}};
  return t;
}

const ObjectType& problemType() {
  static const ObjectType t{
      "FetchProblem",
      {{"part", str(), "the part that could not be read"}, {"reason", str(), "why"}}};
  return t;
}

Value optString(const std::optional<std::string>& s) {
  return s ? Value::string(*s) : Value::null();
}

Value optTime(const std::optional<Timestamp>& t) {
  return t ? Value::timestamp(*t) : Value::null();
}

Value stringList(const std::vector<std::string>& v) {
  ValueList out;
  out.reserve(v.size());
  for (const auto& s : v) out.push_back(Value::string(s));
  return Value::list(std::move(out));
}

// The error value standing for a part that could not be read.
Value unknownPart(const Tenant& t, Part part, const char* field) {
  std::string reason = "not read";
  for (const auto& p : t.fetch_problems)
    if (p.part == partName(part)) reason = p.reason;
  return Value::error(std::string("tenant.") + field + " is unknown (" + partName(part) +
                      " could not be read: " + reason + ")");
}

template <typename T, typename Fn>
Value knownListValue(const Tenant& t, const Known<std::vector<T>>& v, Part part, const char* field,
                     Fn fn) {
  if (!v) return unknownPart(t, part, field);
  ValueList out;
  out.reserve(v->size());
  for (const auto& item : *v) out.push_back(fn(item));
  return Value::list(std::move(out));
}

}  // namespace

const ObjectType& tenantType() {
  static const ObjectType t{
      "Tenant",
      {{"id", str(), "tenant id (lower-case GUID)"},
       {"name", str(), "company name"},
       {"default_domain", str(), "default domain"},
       {"tags", listOfStrings(), "operator's tags"},
       {"sources", listOfStrings(), "sources that know the tenant"},
       {"verified_domains", listOfStrings(), "verified domains (organization)"},
       {"in_customer_list", boolean(), "in our Partner Center customer list (customer_list)"},
       {"relationship_to_partner", str(), "reseller, advisor, none, ... or null"},
       {"partners", Type::listOf(Type::objectOf(&partnerType())), "partners seen by the customer"},
       {"indirect_relationships", Type::listOf(Type::objectOf(&indirectType())),
        "indirect providers/resellers (Partner Center)"},
       {"admin_relationships", Type::listOf(Type::objectOf(&adminType())), "DAP and GDAP"},
       {"dap_enabled", boolean(), "our DAP still on (customer_details)"},
       {"contacts", Type::listOf(Type::objectOf(&contactType())), "email addresses on file"},
       {"created_at", ts(), "tenant created, or null"},
       {"onboarded_at", ts(), "first known to us, or null"},
       {"fetch_problems", Type::listOf(Type::objectOf(&problemType())), "parts not read"}}};
  return t;
}

Value tenantToValue(const Tenant& t) {
  std::vector<Value> f;
  f.reserve(16);
  f.push_back(Value::string(t.id));
  f.push_back(Value::string(t.name));
  f.push_back(Value::string(t.default_domain));
  f.push_back(stringList(t.tags));
  f.push_back(stringList(t.sources));
  f.push_back(t.verified_domains ? stringList(*t.verified_domains)
                                 : unknownPart(t, Part::kOrganization, "verified_domains"));
  f.push_back(t.in_customer_list ? Value::boolean(*t.in_customer_list)
                                 : unknownPart(t, Part::kCustomerList, "in_customer_list"));
  f.push_back(optString(t.relationship_to_partner));
  f.push_back(
      knownListValue(t, t.partners, Part::kPartners, "partners", [](const CustomerPartner& p) {
        return Value::object(&partnerType(),
                             {Value::string(p.tenant_id), optString(p.name), optString(p.mpn_id),
                              Value::boolean(p.is_service_provider), optString(p.default_domain)});
      }));
  f.push_back(knownListValue(
      t, t.indirect_relationships, Part::kIndirectRelationships, "indirect_relationships",
      [](const IndirectRelationship& r) {
        return Value::object(&indirectType(), {Value::string(r.tenant_id), Value::string(r.name),
                                               optString(r.mpn_id), Value::string(r.type)});
      }));
  f.push_back(knownListValue(
      t, t.admin_relationships, Part::kAdminRelationships, "admin_relationships",
      [](const AdminRelationship& r) {
        return Value::object(
            &adminType(),
            {Value::string(r.id), Value::string(r.display_name), Value::string(r.kind),
             Value::string(r.partner_tenant_id), Value::string(r.status),
             stringList(r.role_definition_ids), optTime(r.created_at), optTime(r.activated_at),
             optTime(r.end_at), optString(r.duration), optString(r.auto_extend_duration),
             Value::boolean(r.is_reseller_relationship), optString(r.indirect_provider_tenant_id),
             Value::boolean(r.partner_consent_pending)});
      }));
  f.push_back(t.dap_enabled ? Value::boolean(*t.dap_enabled)
                            : unknownPart(t, Part::kCustomerDetails, "dap_enabled"));
  // Contacts come from several parts; the first failed one is named.
  Part contacts_part = Part::kCustomerDetails;
  for (const auto& p : t.fetch_problems)
    if (p.part == partName(Part::kOrganization) || p.part == partName(Part::kInventory)) {
      contacts_part = *partFromName(p.part);
      break;
    }
  f.push_back(knownListValue(t, t.contacts, contacts_part, "contacts", [](const ContactEmail& c) {
    // An unread contact's address is an error value whose message is the reason: every rule
    // that reads it comes out unknown for that contact, with that reason.
    Value address = c.unread ? Value::error(*c.unread) : Value::string(c.address);
    return Value::object(&contactType(),
                         {std::move(address), Value::string(c.purpose), Value::string(c.source)});
  }));
  f.push_back(optTime(t.created_at));
  f.push_back(optTime(t.onboarded_at));
  ValueList problems;
  for (const auto& p : t.fetch_problems)
    problems.push_back(
        Value::object(&problemType(), {Value::string(p.part), Value::string(p.reason)}));
  f.push_back(Value::list(std::move(problems)));
  return Value::object(&tenantType(), std::move(f));
}

}  // namespace cspwatch::tenants
