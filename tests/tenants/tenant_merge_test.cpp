// SPDX-License-Identifier: Apache-2.0
// The live source's merge without HTTP: what the customer list, the GDAP relationship list and
// the inventory say of each tenant before it is read, and what each per-tenant read's answer,
// or its failure, makes of the tenant.
#include "tenants/tenant_merge.h"

#include <catch2/catch.hpp>

#include "tenants/read_advice.h"

using namespace cspwatch;
using namespace cspwatch::tenants;

namespace {

const std::string kA = "aaaaaaaa-0000-4000-8000-000000000001";
const std::string kB = "bbbbbbbb-0000-4000-8000-000000000002";
const std::string kC = "cccccccc-0000-4000-8000-000000000003";
const std::string kUs = "99999999-0000-4000-8000-000000000009";

Tenant customer(const std::string& id, const std::string& name, const std::string& domain = "") {
  Tenant t;
  t.id = id;
  t.name = name;
  t.default_domain = domain;
  t.relationship_to_partner = "reseller";
  t.addSource(kSourcePartnerCenter);
  return t;
}

Tenant record(const std::string& id, const std::string& name, std::vector<std::string> tags = {}) {
  Tenant t;
  t.id = id;
  t.name = name;
  t.default_domain = name + ".example";
  t.tags = std::move(tags);
  t.onboarded_at = parseTimestamp("2024-05-01");
  t.contacts = std::vector<ContactEmail>{
      {"it@" + name + ".example", kPurposeAdminCredentials, kSourceInventory}};
  t.addSource(kSourceInventory);
  return t;
}

AdminRelationship gdap(const std::string& name) {
  AdminRelationship r;
  r.id = name;
  r.display_name = name;
  r.kind = "gdap";
  r.partner_tenant_id = kUs;
  r.status = "active";
  return r;
}

using Customers = std::map<std::string, Tenant>;
using Relationships = std::map<std::string, std::vector<AdminRelationship>>;

ListsRead lists(Customers customers, Relationships relationships = {}) {
  return {std::move(customers), std::move(relationships)};
}

const TenantToRead* find(const MergedLists& m, const std::string& id) {
  for (const auto& w : m.tenants)
    if (w.tenant.id == id) return &w;
  return nullptr;
}

std::vector<std::string> ids(const MergedLists& m) {
  std::vector<std::string> out;
  for (const auto& w : m.tenants) out.push_back(w.tenant.id);
  return out;
}

std::vector<std::string> problemParts(const Tenant& t) {
  std::vector<std::string> out;
  for (const auto& p : t.fetch_problems) out.push_back(p.part);
  return out;
}

std::vector<std::string> purposes(const Tenant& t) {
  std::vector<std::string> out;
  for (const auto& c : t.contacts.value_or(std::vector<ContactEmail>{})) out.push_back(c.purpose);
  return out;
}

}  // namespace

TEST_CASE("merge: a customer only in Partner Center is read as our customer") {
  Inventory inv;
  auto m = mergeLists(lists({{kA, customer(kA, "Contoso", "contoso.example")}},
                            {{kA, {gdap("first"), gdap("second")}}}),
                      &inv);
  CHECK(m.complete);
  CHECK(m.problems.empty());
  CHECK_FALSE(m.unreachable);
  CHECK(m.customers == 1);
  REQUIRE(m.tenants.size() == 1);
  const TenantToRead& w = m.tenants[0];
  CHECK(w.customer == std::optional<bool>(true));
  CHECK(w.tenant.name == "Contoso");
  CHECK(w.tenant.sources == std::vector<std::string>{kSourcePartnerCenter});
  CHECK(w.tenant.in_customer_list == std::optional<bool>(true));
  CHECK(w.tenant.relationship_to_partner == std::optional<std::string>("reseller"));
  // Every relationship of the tenant, in the list's order.
  REQUIRE(w.tenant.admin_relationships);
  REQUIRE(w.tenant.admin_relationships->size() == 2);
  CHECK(w.tenant.admin_relationships->at(0).id == "first");
  CHECK(w.tenant.admin_relationships->at(1).id == "second");
  // Not in the inventory, which read whole: no contact of its own, known.
  REQUIRE(w.tenant.contacts);
  CHECK(w.tenant.contacts->empty());
  CHECK(w.tenant.tags.empty());
  CHECK(w.tenant.fetch_problems.empty());
}

TEST_CASE("merge: without an inventory every tenant's contacts are known and none") {
  auto m = mergeLists(lists({{kA, customer(kA, "Contoso")}}), nullptr);
  REQUIRE(m.tenants.size() == 1);
  REQUIRE(m.tenants[0].tenant.contacts);
  CHECK(m.tenants[0].tenant.contacts->empty());
  // A customer no relationship names has none, known.
  REQUIRE(m.tenants[0].tenant.admin_relationships);
  CHECK(m.tenants[0].tenant.admin_relationships->empty());
}

TEST_CASE("merge: a tenant only in the inventory is its record, not our customer") {
  Inventory inv;
  Tenant r = record(kB, "fabrikam", {"gold"});
  r.verified_domains = std::vector<std::string>{"fabrikam.example"};  // a JSON inventory's snapshot
  inv.tenants = {r};
  auto m = mergeLists(lists({}, {{kB, {gdap("to-b")}}}), &inv);
  CHECK(m.customers == 0);
  REQUIRE(m.tenants.size() == 1);
  const TenantToRead& w = m.tenants[0];
  CHECK(w.customer == std::optional<bool>(false));
  CHECK(w.tenant.name == "fabrikam");
  CHECK(w.tenant.sources == std::vector<std::string>{kSourceInventory});
  CHECK(w.tenant.in_customer_list == std::optional<bool>(false));
  CHECK(w.tenant.tags == std::vector<std::string>{"gold"});
  CHECK(w.tenant.verified_domains == r.verified_domains);
  REQUIRE(w.tenant.admin_relationships);
  CHECK(w.tenant.admin_relationships->size() == 1);
  REQUIRE(w.tenant.contacts);
  REQUIRE(w.tenant.contacts->size() == 1);
  CHECK(w.tenant.contacts->at(0).address == "it@fabrikam.example");
}

TEST_CASE("merge: a tenant in both keeps Partner Center's name and takes the inventory's tags") {
  Inventory inv;
  inv.tenants = {record(kA, "contoso-crm", {"gold", "nz"})};
  Tenant unnamed = customer(kB, "", "");
  inv.tenants.push_back(record(kB, "fabrikam-crm"));
  auto m = mergeLists(lists({{kA, customer(kA, "Contoso Ltd", "contoso.example")}, {kB, unnamed}}),
                      &inv);
  REQUIRE(m.tenants.size() == 2);  // once each
  const Tenant& a = find(m, kA)->tenant;
  CHECK(find(m, kA)->customer == std::optional<bool>(true));
  CHECK(a.name == "Contoso Ltd");
  CHECK(a.default_domain == "contoso.example");
  CHECK(a.sources == std::vector<std::string>{kSourceInventory, kSourcePartnerCenter});
  CHECK(a.tags == std::vector<std::string>{"gold", "nz"});
  CHECK(a.onboarded_at == parseTimestamp("2024-05-01"));
  REQUIRE(a.contacts);
  REQUIRE(a.contacts->size() == 1);
  CHECK(a.contacts->at(0).purpose == kPurposeAdminCredentials);
  // A name or domain Partner Center leaves empty is the inventory's.
  const Tenant& b = find(m, kB)->tenant;
  CHECK(b.name == "fabrikam-crm");
  CHECK(b.default_domain == "fabrikam-crm.example");
}

TEST_CASE("merge: customers come by id, then the inventory's other tenants in its order") {
  Inventory inv;
  inv.tenants = {record(kC, "c"), record(kA, "a"), record(kB, "b")};
  auto m = mergeLists(lists({{kB, customer(kB, "B")}}), &inv);
  CHECK(ids(m) == std::vector<std::string>{kB, kC, kA});
  CHECK(m.customers == 1);
  // Relationships to a tenant neither list nor inventory knows are not a tenant to read.
  auto only = mergeLists(lists({{kA, customer(kA, "A")}}, {{kC, {gdap("to-c")}}}), nullptr);
  CHECK(ids(only) == std::vector<std::string>{kA});
}

TEST_CASE("merge: an inventory with unreadable rows makes an absent tenant's inventory unknown") {
  Inventory inv;
  inv.tenants = {record(kB, "b")};
  inv.unreadable = 2;
  inv.skipped = 3;
  inv.diagnostics.error("inventory.bad-row", {"inv.csv", 4, 1}, "bad");
  auto m = mergeLists(lists({{kA, customer(kA, "A")}}), &inv);
  // The inventory's diagnostics are the source's problems; its completeness is the caller's.
  CHECK(m.complete);
  REQUIRE(m.problems.items().size() == 1);
  CHECK(m.problems.items()[0].code == "inventory.bad-row");
  const Tenant& a = find(m, kA)->tenant;
  REQUIRE(a.fetch_problems.size() == 1);
  CHECK(a.fetch_problems[0].part == "inventory");
  CHECK(a.fetch_problems[0].reason ==
        "2 inventory row(s) could not be read; this tenant's may be one");
  REQUIRE(a.contacts);
  REQUIRE(a.contacts->size() == 1);
  const ContactEmail& admin = a.contacts->at(0);
  CHECK(admin.address.empty());
  CHECK(admin.purpose == kPurposeAdminCredentials);
  CHECK(admin.source == kSourceInventory);
  CHECK(admin.unread == std::optional<std::string>(
                            "inventory could not be read: 2 inventory row(s) could not be read; "
                            "this tenant's may be one"));
  // A tenant whose row was read is not touched.
  CHECK(find(m, kB)->tenant.fetch_problems.empty());
}

TEST_CASE("merge: an unreadable GDAP relationship list makes the scan partial") {
  Inventory inv;
  inv.tenants = {record(kB, "b")};
  ListsRead read{Customers{{kA, customer(kA, "A")}},
                 Status::unavailable("HTTP 503; a passing fault, the next scan retries")};
  auto m = mergeLists(std::move(read), &inv);
  CHECK_FALSE(m.complete);
  CHECK_FALSE(m.unreachable);  // Partner Center answered
  REQUIRE(m.problems.items().size() == 1);
  CHECK(m.problems.items()[0].code == "source.admin-relationships");
  CHECK(m.problems.items()[0].message ==
        "the GDAP relationship list could not be read: HTTP 503; a passing fault, the next scan "
        "retries");
  REQUIRE(m.tenants.size() == 2);
  for (const auto& w : m.tenants) {
    CHECK_FALSE(w.tenant.admin_relationships);
    REQUIRE(w.tenant.fetch_problems.size() == 1);
    CHECK(w.tenant.fetch_problems[0].part == "admin_relationships");
    CHECK(w.tenant.fetch_problems[0].reason == "HTTP 503; a passing fault, the next scan retries");
    CHECK(w.tenant.in_customer_list.has_value());
  }
  CHECK(find(m, kA)->customer == std::optional<bool>(true));
  CHECK(find(m, kB)->customer == std::optional<bool>(false));
}

TEST_CASE("merge: an unreadable customer list leaves whether a tenant is our customer unknown") {
  Inventory inv;
  Tenant r = record(kB, "b");
  inv.tenants = {r};
  ListsRead read{Status::corruption("malformed answer from pc: 'items' is not a list"),
                 Relationships{{kB, {gdap("to-b")}}}};
  auto m = mergeLists(std::move(read), &inv);
  CHECK_FALSE(m.complete);
  CHECK_FALSE(m.unreachable);
  CHECK(m.customers == 0);
  REQUIRE(m.problems.items().size() == 1);
  CHECK(m.problems.items()[0].code == "source.customer-list");
  CHECK(m.problems.items()[0].message ==
        "the Partner Center customer list could not be read: malformed answer from pc: 'items' is "
        "not a list");
  REQUIRE(m.tenants.size() == 1);
  const TenantToRead& w = m.tenants[0];
  CHECK_FALSE(w.customer);
  CHECK_FALSE(w.tenant.in_customer_list);
  CHECK(problemParts(w.tenant) == std::vector<std::string>{"customer_list"});
  CHECK(w.tenant.fetch_problems[0].reason == "malformed answer from pc: 'items' is not a list");
  REQUIRE(w.tenant.admin_relationships);
  CHECK(w.tenant.admin_relationships->size() == 1);
}

TEST_CASE("merge: both lists unavailable means the services are unreachable") {
  auto m = mergeLists({Status::unavailable("pc down"), Status::unavailable("graph down")}, nullptr);
  CHECK_FALSE(m.complete);
  CHECK(m.tenants.empty());
  REQUIRE(m.problems.items().size() == 2);
  CHECK(m.problems.items()[0].code == "source.customer-list");
  CHECK(m.problems.items()[1].code == "source.admin-relationships");
  CHECK(m.unreachable == std::optional<std::string>("not read: graph down"));
  // Any other failure of either is not: each tenant is still asked.
  CHECK_FALSE(
      mergeLists({Status::unavailable("pc down"), Status::corruption("bad")}, nullptr).unreachable);
  CHECK_FALSE(mergeLists({Status::ioError("refused"), Status::unavailable("graph down")}, nullptr)
                  .unreachable);
}

TEST_CASE("merge: a list's failure is redacted where it becomes a problem") {
  const std::string token = "Bearer abcdefghijklmnopqrstuvwxyz0123";
  Inventory inv;
  inv.tenants = {record(kB, "b")};
  auto m = mergeLists({Status::unavailable("echo: " + token), Relationships{}}, &inv);
  REQUIRE(m.problems.items().size() == 1);
  CHECK(m.problems.items()[0].message.find("abcdefghij") == std::string::npos);
  CHECK(m.tenants[0].tenant.fetch_problems[0].reason.find("abcdefghij") == std::string::npos);
}

TEST_CASE("merge: the inventory's diagnostics come after the lists' problems") {
  Inventory inv;
  inv.diagnostics.warning("inventory.unknown-column", {"inv.csv", 1, 9}, "column 'x'");
  auto m = mergeLists({Status::ioError("refused"), Relationships{}}, &inv);
  REQUIRE(m.problems.items().size() == 2);
  CHECK(m.problems.items()[0].code == "source.customer-list");
  CHECK(m.problems.items()[1].code == "inventory.unknown-column");
}

TEST_CASE("tenant details: a customer's details give DAP and its contacts") {
  Tenant t;
  t.contacts =
      std::vector<ContactEmail>{{"it@a.example", kPurposeAdminCredentials, kSourceInventory}};
  CustomerDetails d;
  d.dap_enabled = true;
  d.billing_email = "bill@a.example";
  d.company_email = "info@a.example";
  mergeCustomerDetails(t, d);
  CHECK(t.dap_enabled == std::optional<bool>(true));
  CHECK(purposes(t) ==
        std::vector<std::string>{kPurposeAdminCredentials, kPurposeBilling, kPurposeCompany});
  CHECK(t.contacts->at(2).address == "info@a.example");
  CHECK(t.contacts->at(2).source == kSourcePartnerCenter);

  Tenant hidden;
  CustomerDetails h;
  h.company_email_hidden = true;
  mergeCustomerDetails(hidden, h);
  CHECK(hidden.dap_enabled == std::optional<bool>(false));
  REQUIRE(hidden.contacts);
  REQUIRE(hidden.contacts->size() == 1);
  CHECK(hidden.contacts->at(0).unread == std::optional<std::string>(kCompanyEmailHidden));
  CHECK(hidden.fetch_problems.empty());
}

TEST_CASE("tenant details: details that could not be read leave DAP and both contacts unknown") {
  Tenant t;
  mergeCustomerDetails(t, Status::unavailable("HTTP 403: no GDAP access"));
  CHECK_FALSE(t.dap_enabled);
  CHECK(problemParts(t) == std::vector<std::string>{"customer_details"});
  CHECK(t.fetch_problems[0].reason == "HTTP 403: no GDAP access");
  CHECK(purposes(t) == std::vector<std::string>{kPurposeBilling, kPurposeCompany});
  for (const auto& c : *t.contacts)
    CHECK(c.unread == std::optional<std::string>(
                          "customer_details could not be read: HTTP 403: no GDAP access"));
}

TEST_CASE("tenant details: the organization gives domains, technical contacts and creation") {
  Tenant t;
  OrganizationInfo org;
  org.verified_domains = std::vector<std::string>{"a.example"};
  org.technical_mails = std::vector<std::string>{"t1@a.example", "t2@a.example"};
  org.created_at = parseTimestamp("2020-01-02");
  mergeOrganization(t, org);
  CHECK(t.verified_domains == org.verified_domains);
  CHECK(purposes(t) ==
        std::vector<std::string>{kPurposeTechnicalNotification, kPurposeTechnicalNotification});
  CHECK(t.created_at == org.created_at);
  CHECK(t.fetch_problems.empty());

  // Nulls: domains unknown with what would fix it, technical contacts hidden.
  Tenant basic;
  mergeOrganization(basic, OrganizationInfo{});
  CHECK_FALSE(basic.verified_domains);
  REQUIRE(basic.fetch_problems.size() == 1);
  CHECK(basic.fetch_problems[0].reason ==
        "Graph returned verifiedDomains as null; " + whatWouldFix(Call::kOrganization));
  REQUIRE(basic.contacts);
  CHECK(basic.contacts->at(0).unread == std::optional<std::string>(kTechnicalContactsHidden));

  Tenant failed;
  mergeOrganization(failed, Status::unavailable("no consent"));
  CHECK(problemParts(failed) == std::vector<std::string>{"organization"});
  CHECK(failed.contacts->at(0).unread ==
        std::optional<std::string>("organization could not be read: no consent"));
}

TEST_CASE("tenant details: relationships and partners, read or not") {
  Tenant t;
  mergeIndirectRelationships(t, std::vector<IndirectRelationship>{{kB, "Reseller", {}, "x"}});
  mergePartners(t, std::vector<CustomerPartner>{});
  REQUIRE(t.indirect_relationships);
  CHECK(t.indirect_relationships->size() == 1);
  REQUIRE(t.partners);
  CHECK(t.partners->empty());  // read, none

  Tenant u;
  mergeIndirectRelationships(u, Status::unauthenticated("needs App+User sign-in"));
  mergePartners(u, Status::unavailable("no GDAP access"));
  CHECK_FALSE(u.indirect_relationships);
  CHECK_FALSE(u.partners);
  CHECK(problemParts(u) == std::vector<std::string>{"indirect_relationships", "partners"});
  CHECK_FALSE(u.contacts);  // neither carries a contact
}

TEST_CASE("tenant details: not our customer means no DAP and no indirect relationship, known") {
  Tenant t;
  notOurCustomer(t);
  CHECK(t.dap_enabled == std::optional<bool>(false));
  REQUIRE(t.indirect_relationships);
  CHECK(t.indirect_relationships->empty());
  CHECK(t.fetch_problems.empty());
}

TEST_CASE("tenant details: without the customer list the Partner Center parts are unknown") {
  Tenant t;
  t.contacts = std::vector<ContactEmail>{};
  customerPartsUnknown(t);
  CHECK_FALSE(t.dap_enabled);
  CHECK_FALSE(t.indirect_relationships);
  CHECK(problemParts(t) == std::vector<std::string>{"customer_details", "indirect_relationships"});
  for (const auto& p : t.fetch_problems)
    CHECK(p.reason == "not read: the customer list could not be read");
  CHECK(purposes(t) == std::vector<std::string>{kPurposeBilling, kPurposeCompany});
}

TEST_CASE("tenant details: unreachable services leave every part unknown for one reason") {
  Tenant t;
  t.contacts =
      std::vector<ContactEmail>{{"it@a.example", kPurposeAdminCredentials, kSourceInventory}};
  everyPartUnknown(t, "not read: graph down");
  CHECK(problemParts(t) == std::vector<std::string>{"customer_details", "indirect_relationships",
                                                    "organization", "partners"});
  for (const auto& p : t.fetch_problems) CHECK(p.reason == "not read: graph down");
  CHECK(purposes(t) == std::vector<std::string>{kPurposeAdminCredentials, kPurposeBilling,
                                                kPurposeCompany, kPurposeTechnicalNotification});
  CHECK(t.contacts->at(3).unread ==
        std::optional<std::string>("organization could not be read: not read: graph down"));
}
