// SPDX-License-Identifier: Apache-2.0
#include "tenants/tenant_json.h"

#include <catch2/catch.hpp>

#include "common/yaml_util.h"

using namespace cspwatch;
using namespace cspwatch::tenants;

namespace {

std::optional<Tenant> decode(const std::string& text, Diagnostics& d) {
  auto doc = parseYamlDocument("t.json", text, "inventory", d);
  REQUIRE(doc);
  return tenantFromNode(*doc, "t.json", "inventory", d);
}

Tenant fullTenant() {
  Tenant t;
  t.id = "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c";
  t.name = "Contoso \"Legal\" Ltd";
  t.default_domain = "contoso.onmicrosoft.com";
  t.tags = {"tier:gold", "region:nz"};
  t.sources = {"inventory", "partner_center"};
  t.verified_domains = std::vector<std::string>{"contoso.onmicrosoft.com", "contoso.co.nz"};
  t.in_customer_list = true;
  t.relationship_to_partner = "reseller";
  t.partners = std::vector<CustomerPartner>{
      {"3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64", std::string("Northwind"), std::string("5123456"),
       true, std::string("northwindit.onmicrosoft.com")},
      {"5e9a3c7d-1b4f-4d28-8a6e-0c2f7b9d3e41", std::nullopt, std::nullopt, false}};
  t.indirect_relationships =
      std::vector<IndirectRelationship>{{"8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73", "Harbour",
                                         std::nullopt, "is_indirect_cloud_solution_provider_of"}};
  AdminRelationship r;
  r.id = "5d027261-3a4c-4b8e-9f12-8777b2401c3e-0f3b9a7d-6c21-4e5f-8a9b-2d4c6e8f1a3b";
  r.display_name = "Northwind standard";
  r.kind = "gdap";
  r.partner_tenant_id = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
  r.status = "active";
  r.role_definition_ids = {"729827e3-9c14-49f7-bb1b-9608f156bbb8"};
  r.created_at = parseTimestamp("2025-01-01T00:00:00Z");
  r.activated_at = parseTimestamp("2025-01-02T00:00:00Z");
  r.end_at = parseTimestamp("2027-01-02T00:00:00Z");
  r.duration = "P730D";
  r.auto_extend_duration = "P180D";
  r.is_reseller_relationship = true;
  r.indirect_provider_tenant_id = "8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73";
  r.partner_consent_pending = true;
  t.admin_relationships = std::vector<AdminRelationship>{r};
  t.dap_enabled = false;
  t.contacts = std::vector<ContactEmail>{
      {"it@contoso.co.nz", "billing", "partner_center"},
      {"", "company", "partner_center", std::string("company email hidden: no Global Reader")}};
  t.created_at = parseTimestamp("2024-05-01T10:00:00Z");
  t.onboarded_at = parseTimestamp("2024-05-02T00:00:00Z");
  t.fetch_problems = {{"partners", "HTTP 403"}};
  return t;
}

}  // namespace

TEST_CASE("the tenant model survives a JSON round trip field by field") {
  Tenant t = fullTenant();
  std::string text = jsonText(tenantToJson(t), true);
  Diagnostics d;
  auto back = decode(text, d);
  INFO(d.renderText());
  REQUIRE(back);
  CHECK(jsonText(tenantToJson(*back), true) == text);
  CHECK(back->name == t.name);
  CHECK(back->admin_relationships->at(0).role_definition_ids ==
        t.admin_relationships->at(0).role_definition_ids);
  CHECK(back->admin_relationships->at(0).end_at == t.admin_relationships->at(0).end_at);
  CHECK(back->admin_relationships->at(0).partner_consent_pending);
  CHECK(back->contacts->at(0).purpose == "billing");
  CHECK_FALSE(back->contacts->at(0).unread);
  CHECK(back->contacts->at(1).unread ==
        std::optional<std::string>("company email hidden: no Global Reader"));
  CHECK(back->contacts->at(1).address.empty());
  CHECK(text.find("\"address\": null") != std::string::npos);
  CHECK(back->partners->at(0).default_domain ==
        std::optional<std::string>("northwindit.onmicrosoft.com"));
  CHECK_FALSE(back->partners->at(1).name);
  CHECK(back->fetch_problems.at(0).part == "partners");
}

TEST_CASE("an unread contact needs its reason and has no address") {
  const std::string id = "\"id\": \"52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c\"";
  Diagnostics d;
  CHECK_FALSE(decode("{" + id +
                         ", \"contacts\": [{\"address\": \"a@b.c\", \"purpose\": \"company\","
                         " \"unread\": \"hidden\"}]}",
                     d));
  CHECK_THAT(d.renderText(), Catch::Contains("has no address"));
  Diagnostics d2;
  CHECK_FALSE(decode("{" + id +
                         ", \"contacts\": [{\"address\": null, \"purpose\": \"company\","
                         " \"unread\": \"\"}]}",
                     d2));
  CHECK_THAT(d2.renderText(), Catch::Contains("must say why"));
  Diagnostics d3;
  CHECK_FALSE(decode("{" + id + ", \"contacts\": [{\"address\": null, \"purpose\": \"company\"}]}",
                     d3));  // neither an address nor a reason
}

TEST_CASE("unknown parts stay unknown and empty parts stay empty through JSON") {
  Tenant t;
  t.id = "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c";
  t.partners = std::vector<CustomerPartner>{};  // known, none
  t.dap_enabled = false;                        // known false
  // admin_relationships, verified_domains, contacts, in_customer_list: unknown
  std::string text = jsonText(tenantToJson(t), false);
  CHECK(text.find("\"admin_relationships\":null") != std::string::npos);
  CHECK(text.find("\"partners\":[]") != std::string::npos);
  Diagnostics d;
  auto back = decode(text, d);
  REQUIRE(back);
  CHECK_FALSE(back->admin_relationships.has_value());
  CHECK_FALSE(back->verified_domains.has_value());
  CHECK_FALSE(back->contacts.has_value());
  CHECK_FALSE(back->in_customer_list.has_value());
  REQUIRE(back->partners.has_value());
  CHECK(back->partners->empty());
  REQUIRE(back->dap_enabled.has_value());
  CHECK_FALSE(*back->dap_enabled);
}

TEST_CASE("absent keys read as unknown, inventory spellings are accepted") {
  Diagnostics d;
  auto t = decode(R"({"tenant_id": "52EAAD04-13A1-4E3B-9C2B-5F5F0E7B1A2C", "domain": "Contoso.com",
                      "admin_email": "admin@contoso.com"})",
                  d);
  REQUIRE(t);
  CHECK(t->id == "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c");
  CHECK(t->default_domain == "contoso.com");
  REQUIRE(t->contacts);
  CHECK(t->contacts->at(0).purpose == "admin_credentials");
  CHECK(t->contacts->at(0).source == "inventory");
  CHECK_FALSE(t->admin_relationships);
}

TEST_CASE("bad tenant records are reported at the offending value") {
  Diagnostics d;
  auto t = decode(
      "{\"id\": \"52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c\",\n"
      " \"admin_relationships\": [{\"id\": \"r1\", \"kind\": \"gdpa\",\n"
      "   \"partner_tenant_id\": \"52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c\", \"status\": "
      "\"active\"}],\n"
      " \"verifed_domains\": []}",
      d);
  CHECK_FALSE(t);
  REQUIRE(d.errorCount() == 2);
  CHECK(d.items()[0].code == "inventory.unknown-key");
  CHECK(d.items()[0].location.line == 4);
  CHECK(d.items()[0].location.column == 2);
  CHECK(d.items()[0].hint == "did you mean 'verified_domains'?");
  CHECK(d.items()[1].code == "inventory.bad-value");
  CHECK(d.items()[1].location.line == 2);
  CHECK(d.items()[1].location.column == 47);
  CHECK(d.items()[1].hint == "did you mean 'gdap'?");
}
