// SPDX-License-Identifier: Apache-2.0
#include "sim/generator.h"

#include <algorithm>
#include <random>

#include "common/text.h"

namespace cspwatch::sim {

namespace {

using tenants::AdminRelationship;
using tenants::ContactEmail;
using tenants::Tenant;

const char* kPartnerId = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
const char* kDistributor = "8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73";
const char* kTrusted = "b7e4d1a9-2c6f-4b83-9e05-7a1d3c8f2e56";
const char* kIncumbents[] = {"5e9a3c7d-1b4f-4d28-8a6e-0c2f7b9d3e41",
                             "0d4b8f2c-6e1a-4c97-b3d5-9f7e2a1c8b60",
                             "c2a8e6f1-4b9d-4d37-8e5a-3f1b7c9d0e28"};
const char* kIncumbentNames[] = {"Adatum Managed Services", "Litware Technology Group",
                                 "Proseware Cloud Solutions"};
const char* kLeastPrivilege[] = {
    "729827e3-9c14-49f7-bb1b-9608f156bbb8", "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451", "4d6ac14f-3453-41d0-bef9-a3e0c569773a"};
const char* kFirst[] = {"Kowhai",    "Harbour",    "Tasman",     "Southern", "Bluegum",  "Wattle",
                        "Ironbark",  "Pohutukawa", "Matai",      "Rimu",     "Kauri",    "Coral",
                        "Lakeside",  "Ridgeway",   "Riverstone", "Westgate", "Eastwood", "Ashgrove",
                        "Greenhill", "Bayside",    "Clearwater", "Norfolk",  "Otago",    "Waitaki"};
const char* kSecond[] = {"Dental",     "Legal",         "Builders",   "Accounting",
                         "Medical",    "Freight",       "Motors",     "Realty",
                         "Vineyards",  "Physiotherapy", "Plumbing",   "Electrical",
                         "Architects", "Bookkeeping",   "Veterinary", "Orthodontics",
                         "Joinery",    "Landscaping",   "Financial",  "Engineering"};
const char* kSuffix[] = {"Ltd", "Pty Ltd", "Group", "Partners", "Co", "Services"};
const char* kFreeMail[] = {"gmail.com", "outlook.com", "bigpond.com", "xtra.co.nz", "hotmail.com"};

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  // Uniform in [0, n): plain modulo on 64-bit draws keeps the sequence the same everywhere
  // (std::uniform_int_distribution is not specified to be portable).
  uint64_t below(uint64_t n) { return engine_() % n; }
  bool chance(double p) { return static_cast<double>(engine_() >> 11) / 9007199254740992.0 < p; }
  std::string guid() {
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < 32; ++i) {
      if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
      char c = hex[below(16)];
      if (i == 12) c = '4';
      if (i == 16) c = hex[8 + below(4)];
      s += c;
    }
    return s;
  }
  template <size_t N>
  const char* pick(const char* (&a)[N]) {
    return a[below(N)];
  }

 private:
  std::mt19937_64 engine_;
};

std::string slug(const std::string& name) {
  std::string out;
  for (char c : toLowerAscii(name))
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
  return out;
}

Timestamp days(Timestamp t, int64_t n) { return t + std::chrono::hours(24 * n); }

AdminRelationship ourGdap(Rng& r, const std::string& tenant_id, Timestamp now) {
  AdminRelationship g;
  g.id = r.guid() + "-" + tenant_id;
  g.display_name = "NWIT_Standard_" + tenant_id.substr(0, 8);
  g.kind = "gdap";
  g.partner_tenant_id = kPartnerId;
  g.status = "active";
  g.role_definition_ids = {kLeastPrivilege[0], kLeastPrivilege[1 + r.below(3)]};
  const int64_t age = 60 + static_cast<int64_t>(r.below(500));
  g.created_at = days(now, -age - 1);
  g.activated_at = days(now, -age);
  g.duration = "P730D";
  g.end_at = days(*g.activated_at, 730);
  g.auto_extend_duration = "P180D";
  return g;
}

// The partner, and other partners' names as Graph's findTenantInformationByTenantId gives them.
World partnerWorld() {
  World w;
  w.partner = {"Northwind IT Services", kPartnerId, {"5123456"},
               {kDistributor},          {kTrusted}, {"northwind-it.com.au"}};
  w.directory = {
      {kPartnerId, "Northwind IT Services", "northwindit.onmicrosoft.com"},
      {kDistributor, "Harbour Distribution Pty Ltd", "harbourdistribution.onmicrosoft.com"},
      {kTrusted, "Fabrikam Dynamics Specialists", "fabrikamdynamics.onmicrosoft.com"}};
  const char* kIncumbentDomains[] = {"adatum.onmicrosoft.com", "litwaretech.onmicrosoft.com",
                                     "prosewarecloud.onmicrosoft.com"};
  for (size_t k = 0; k < 3; ++k)
    w.directory.push_back({kIncumbents[k], kIncumbentNames[k], kIncumbentDomains[k]});
  return w;
}

// A tenant as it is being made: its relationships and contacts are set on it at the end.
struct Draft {
  Tenant t;
  std::string domain;  // its own mail domain
  std::vector<AdminRelationship> rels;
  std::vector<ContactEmail> contacts;
};

// The `i`th tenant (from 0) with nothing wrong: a reseller customer of ours through our
// distributor, with a GDAP relationship of ours and the usual contacts.
Draft healthyTenant(Rng& r, size_t i, Timestamp now) {
  Draft d;
  Tenant& t = d.t;
  t.id = r.guid();
  t.name = std::string(r.pick(kFirst)) + " " + r.pick(kSecond) + " " + r.pick(kSuffix) + " " +
           std::to_string(i + 1);
  d.domain = slug(t.name) + ".com.au";
  t.default_domain = slug(t.name) + ".onmicrosoft.com";
  t.tags = {r.chance(0.2) ? "tier:gold" : "tier:silver", r.chance(0.5) ? "region:au" : "region:nz"};
  t.sources = {"inventory", "partner_center"};
  t.verified_domains = std::vector<std::string>{t.default_domain, d.domain};
  t.in_customer_list = true;
  t.relationship_to_partner = "reseller";
  t.partners = std::vector<tenants::CustomerPartner>{
      {kPartnerId, std::string("Northwind IT Services"), std::string("5123456"), true},
      {kDistributor, std::string("Harbour Distribution Pty Ltd"), std::string("4102938"), true}};
  t.indirect_relationships = std::vector<tenants::IndirectRelationship>{
      {kDistributor, "Harbour Distribution Pty Ltd", std::string("4102938"),
       "is_indirect_cloud_solution_provider_of"}};
  d.rels = {ourGdap(r, t.id, now)};
  t.dap_enabled = false;
  d.contacts = {{"csp-admin@northwind-it.com.au", "admin_credentials", "inventory"},
                {"accounts@" + d.domain, "billing", "partner_center"},
                {"it@" + d.domain, "technical_notification", "graph"},
                {"office@" + d.domain, "company", "partner_center"}};
  t.created_at = days(now, -static_cast<int64_t>(200 + r.below(2000)));
  t.onboarded_at = days(now, -static_cast<int64_t>(r.below(1000)));
  return d;
}

// Problem 0: the tenant never accepted our reseller relationship.
void neverAccepted(Draft& d) {
  Tenant& t = d.t;
  t.in_customer_list = false;
  t.relationship_to_partner.reset();
  t.sources = {"inventory"};
  t.partners = std::vector<tenants::CustomerPartner>{
      {kDistributor, std::string("Harbour Distribution Pty Ltd"), std::string("4102938"), true}};
  t.indirect_relationships = std::vector<tenants::IndirectRelationship>{};
  d.rels.clear();
  t.verified_domains.reset();  // no access to read the customer's organization either
  t.fetch_problems = {{"organization", "HTTP 403 Forbidden: no admin access"}};
}

// About a third of tenants get one problem (a few get two, as in life): `problem` below 13
// names one, anything else none.
void giveProblem(Draft& d, uint64_t problem, Rng& r, size_t i, Timestamp now) {
  Tenant& t = d.t;
  auto& rels = d.rels;
  auto& contacts = d.contacts;
  switch (problem) {
    case 0:
      neverAccepted(d);
      break;
    case 1: {  // incumbent still listed as the customer's service provider
      size_t k = r.below(3);
      t.partners->push_back({kIncumbents[k], std::string(kIncumbentNames[k]), std::nullopt, true});
      break;
    }
    case 2:
      t.dap_enabled = true;
      break;
    case 3:  // our GDAP ends soon without auto-extend
      rels[0].auto_extend_duration = "PT0S";
      rels[0].activated_at = days(now, -730 + 5 + static_cast<int64_t>(r.below(20)));
      rels[0].end_at = days(*rels[0].activated_at, 730);
      break;
    case 4:  // Global Administrator, which blocks auto-extend
      rels[0].role_definition_ids.push_back(kGlobalAdminRole);
      rels[0].auto_extend_duration = "PT0S";
      break;
    case 5:  // lapsed: only an expired relationship
      rels[0].status = "expired";
      rels[0].end_at = days(now, -static_cast<int64_t>(1 + r.below(60)));
      break;
    case 6:  // only the Microsoft-led transition relationship
      rels[0].display_name = "MLT_" + t.id.substr(0, 8);
      break;
    case 7: {  // a request never approved
      AdminRelationship p = ourGdap(r, t.id, now);
      p.status = "approvalPending";
      p.activated_at.reset();
      p.end_at.reset();
      p.created_at = days(now, -static_cast<int64_t>(31 + r.below(55)));
      rels.push_back(p);
      break;
    }
    case 8:  // admin email: a typo of our domain
      contacts[0].address = "csp-admin@northwind-it.com.ua";
      break;
    case 9:  // admin email: a personal mailbox
      contacts[0].address = "owner." + slug(t.name).substr(0, 8) + "@" + r.pick(kFreeMail);
      break;
    case 10:  // billing email on an unrelated domain
      contacts[1].address = "accounts@oldprovider-it.com.au";
      break;
    case 11:  // the customer-side partner list could not be read
      t.partners.reset();
      t.fetch_problems = {{"partners", "HTTP 403 Forbidden: Authorization_RequestDenied"}};
      break;
    case 12:  // company email: the owner's personal mailbox
      contacts[3].address = "accounts." + slug(t.name).substr(0, 6) + "@" + kFreeMail[i % 5];
      break;
    default:
      break;
  }
}

// Where Microsoft hides data instead of refusing: about one tenant in ten lets us read only
// the basics of its organization (technical contacts unknown). Partner Center shows the
// company details with DAP or a GDAP role such as Global Reader: seven in eight tenants get
// Global Reader in our relationships; of the rest, those whose roles hold none of the roles
// Partner Center asks for have their company email withheld. About one tenant in six also
// lists an ordinary B2B partner (a supplier's tenant): not a service provider, and not in the
// directory, so its name cannot be looked up.
void showAccess(World& w, Draft& d, Rng& access) {
  Tenant& t = d.t;
  t.contacts = d.contacts;
  TenantAccess a;
  a.organization_basic_only = access.chance(0.1);
  if (a.organization_basic_only) w.access[t.id] = a;
  const char* kGlobalReader = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";
  if (access.chance(0.875))
    for (auto& rel : d.rels)
      if (std::find(rel.role_definition_ids.begin(), rel.role_definition_ids.end(),
                    kGlobalReader) == rel.role_definition_ids.end())
        rel.role_definition_ids.push_back(kGlobalReader);
  t.admin_relationships = d.rels;
  if (t.partners && access.chance(1.0 / 6))
    t.partners->push_back({access.guid(), std::nullopt, std::nullopt, false});
}

}  // namespace

World generateWorld(size_t count, uint64_t seed, Timestamp now) {
  Rng r(seed);
  // What our access shows of each tenant comes from a stream of its own, so that the tenants
  // and their problems stay what they were for a seed.
  Rng access(seed ^ 0xacce55ULL);
  World w = partnerWorld();
  w.tenants.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    Draft d = healthyTenant(r, i, now);
    giveProblem(d, r.below(36), r, i, now);
    showAccess(w, d, access);
    w.tenants.push_back(std::move(d.t));
  }
  return w;
}

}  // namespace cspwatch::sim
