// SPDX-License-Identifier: Apache-2.0
// Which fields of `tenant` a compiled rule set reads (RuleSet::tenantFieldsRead()): what a scan
// fetches follows it (tenants/fetch_plan.h), so a field read anywhere must be recorded, and a use
// of `tenant` whole must count as reading everything.
#include <catch2/catch.hpp>

#include "rules/rule_loader.h"
#include "tenants/tenant_value.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::rules;

namespace {

using Fields = std::set<std::string>;

// The reads of one rule file whose rule `r` has `keys` (YAML lines indented for a rule) after
// its title (and a remediation unless they have one), with `macros` (YAML lines under macros:)
// before it.
FieldsRead readsOf(const std::string& keys, const std::string& macros = "") {
  const std::string text =
      (macros.empty() ? "" : "macros:\n" + macros) +
      "rules:\n"
      "  - id: r\n"
      "    title: t\n"
      "    severity: low\n"
      "    description: d\n" +
      keys + (keys.find("remediation:") == std::string::npos ? "    remediation: x\n" : "");
  LoadResult loaded = loadRules({{"r.yaml", text}}, {&tenants::tenantType()});
  INFO(text << "\n" << loaded.diagnostics.renderText());
  REQUIRE(loaded.ok());
  return loaded.rules->tenantFieldsRead();
}

}  // namespace

TEST_CASE("fields read: a field selected in a condition, through has(), in a subject") {
  FieldsRead r = readsOf(
      "    when: tenant.dap_enabled && has(tenant.created_at) && partner.name != \"\"\n"
      "    message: m\n");
  CHECK(r.fields == Fields{"dap_enabled", "created_at"});
  CHECK_FALSE(r.all);
  CHECK(r.reads("dap_enabled"));
  CHECK_FALSE(r.reads("indirect_relationships"));
}

TEST_CASE("fields read: a field read only in a message or remediation template") {
  FieldsRead r = readsOf(
      "    when: 'true'\n"
      "    message: \"{{ tenant.name }} has {{ size(tenant.indirect_relationships) }}\"\n"
      "    remediation: \"since {{ tenant.onboarded_at }}\"\n");
  CHECK(r.fields == Fields{"name", "indirect_relationships", "onboarded_at"});
  CHECK_FALSE(r.all);
}

TEST_CASE("fields read: a field read inside a macro, and in a macro a macro uses") {
  FieldsRead r = readsOf("    when: known_domain\n    message: m\n",
                         "  domains: tenant.verified_domains\n"
                         "  known_domain: domains.exists(d, d == tenant.default_domain)\n");
  CHECK(r.fields == Fields{"verified_domains", "default_domain"});
  CHECK_FALSE(r.all);
}

TEST_CASE("fields read: a comprehension over a field, for_each, and exceptions") {
  FieldsRead r = readsOf(
      "    for_each: c in tenant.contacts\n"
      "    subject: c.address\n"
      "    when: tenant.admin_relationships.exists(r, r.status == \"active\")\n"
      "    exceptions:\n"
      "      - name: vip\n"
      "        fields: [tenant.tags]\n"
      "        comps: [contains]\n"
      "        values: [vip]\n"
      "    message: m\n");
  CHECK(r.fields == Fields{"contacts", "admin_relationships", "tags"});
  CHECK_FALSE(r.all);
  // A comprehension variable that shadows `tenant` is not the tenant: its fields are not
  // tenant fields, and using it whole reads nothing more.
  FieldsRead shadowed = readsOf(
      "    when: tenant.partners.exists(tenant, tenant.is_service_provider && tenant != null)\n"
      "    message: m\n");
  CHECK(shadowed.fields == Fields{"partners"});
  CHECK_FALSE(shadowed.all);
}

TEST_CASE("fields read: tenant used whole reads every field") {
  const std::vector<std::pair<std::string, std::string>> whole = {
      {"passed to a function", "    when: string(tenant) != \"\"\n    message: m\n"},
      {"compared", "    when: tenant == tenant\n    message: m\n"},
      {"bound in a comprehension",
       "    when: '[tenant].exists(t, t.dap_enabled)'\n    message: m\n"},
      {"rendered in a template", "    when: tenant.dap_enabled\n    message: \"{{ tenant }}\"\n"},
      {"as the list of a for_each",
       "    for_each: t in [tenant]\n    subject: t.id\n"
       "    when: t.dap_enabled\n"
       "    message: m\n"},
  };
  for (const auto& [how, keys] : whole) {
    INFO(how);
    CHECK(readsOf(keys).all);
  }
  // A macro that stands for the tenant: its fields are read through it, so every field counts.
  CHECK(readsOf("    when: t.dap_enabled\n    message: m\n", "  t: tenant\n").all);
}

TEST_CASE("fields read: disabled rules read nothing, as they are never evaluated") {
  LoadResult loaded = loadRules({{"r.yaml", R"y(
rules:
  - id: on
    title: t
    severity: low
    description: d
    when: tenant.dap_enabled
    message: m
    remediation: x
  - id: off
    title: t
    severity: low
    description: d
    enabled: false
    when: size(tenant.indirect_relationships) > 0 && string(tenant) != ""
    message: m
    remediation: x
)y"}},
                                {&tenants::tenantType()});
  INFO(loaded.diagnostics.renderText());
  REQUIRE(loaded.ok());
  CHECK(loaded.rules->tenantFieldsRead().fields == Fields{"dap_enabled"});
  CHECK_FALSE(loaded.rules->tenantFieldsRead().all);
}

TEST_CASE("fields read: the default rule pack never reads indirect_relationships") {
  std::vector<RuleSource> sources;
  for (const char* f :
       {"00-lists.yaml", "10-partner.yaml", "20-admin-access.yaml", "30-email.yaml"}) {
    const std::string path = testing::sourcePath(std::string("etc/rules.d/") + f);
    sources.push_back({path, testing::readFile(path)});
  }
  LoadResult loaded = loadRules(sources, {&tenants::tenantType()});
  INFO(loaded.diagnostics.renderText());
  REQUIRE(loaded.ok());
  const FieldsRead& r = loaded.rules->tenantFieldsRead();
  CHECK_FALSE(r.all);
  // (No longer "id": since issue 18 no remediation quotes an API call with the tenant's id.)
  CHECK(r.fields == Fields{"admin_relationships", "contacts", "dap_enabled", "default_domain",
                           "in_customer_list", "name", "partners", "sources", "verified_domains"});
}
