// SPDX-License-Identifier: Apache-2.0
// The rule tools through the real binary: rule tests scoped to their own rule file (and the
// docs' own example of a new rule with its test file), `rules list`, `rules eval`, `scan --once
// --dry-run --rule/--tenant`, and the hints of `rules check` for a file checked alone.
#include <regex>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using cspwatch::testing::ProcessResult;
using cspwatch::testing::readFile;
using cspwatch::testing::runBinary;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

ProcessResult binary(const std::vector<std::string>& args) {
  return runBinary("cspwatch", args, {{"COLUMNS", "200"}});
}

// The fenced block of `markdown` whose first line is `first_line`, without the fences; "" if
// there is none.
std::string fencedBlock(const std::string& markdown, const std::string& first_line) {
  std::istringstream in(markdown);
  std::string line, block;
  bool inside = false, wanted = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      if (inside && wanted) return block;
      inside = !inside;
      block.clear();
      wanted = false;
      continue;
    }
    if (!inside) continue;
    if (block.empty() && !wanted) wanted = line == first_line;
    block += line + "\n";
  }
  return "";
}

const char* kPartner = R"y(partner:
  name: Northwind
  tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64
  email_domains: [northwind.com]
now: 2026-11-25T00:00:00Z
)y";

const char* kDapRule = R"y(rules:
  - id: dap-on
    title: DAP on
    severity: high
    description: d
    when: tenant.dap_enabled
    message: "{{ tenant.name }}"
    remediation: r
)y";

}  // namespace

TEST_CASE("rule tools: the docs' first rule and its test file pass next to the shipped pack") {
  const std::string docs = readFile(sourcePath("docs/rules.md"));
  const std::string rule = fencedBlock(docs, "# /etc/cspwatch/rules.d/60-inventory.yaml");
  const std::string test =
      fencedBlock(docs,
                  "# /etc/cspwatch/rules.d/60-inventory.test.yaml: tests of the rules in "
                  "60-inventory.yaml.");
  REQUIRE_THAT(rule, Catch::Contains("id: tenant-untagged"));
  REQUIRE_THAT(test, Catch::Contains("tenant-untagged: fail"));
  TempDir dir;
  dir.write("mydir/60-inventory.yaml", rule);
  dir.write("mydir/60-inventory.test.yaml", test);

  ProcessResult r = binary({"rules", "test", sourcePath("etc/rules.d"), dir.file("mydir")});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("FAIL") == std::string::npos);
  // Each test of the docs' file ran and passed.
  for (const char* name : {"a tagged tenant passes", "an untagged tenant of the inventory fails",
                           "a tenant only Partner Center knows has no inventory tags to check"})
    CHECK_THAT(r.out, Catch::Contains("PASS  " + dir.file("mydir/60-inventory.test.yaml") + ": " +
                                      name + "\n"));
  // The summary the docs show is the one printed.
  std::smatch summary;
  REQUIRE(std::regex_search(docs, summary, std::regex(R"(\n(\d+ passed, 0 failed)\n)")));
  CHECK_THAT(r.out, Catch::EndsWith(summary[1].str() + "\n"));
}

TEST_CASE("rule tools: a test file's '*' covers only the rules of its own rule file") {
  TempDir dir;
  dir.write("r/10-dap.yaml", kDapRule);
  dir.write("r/10-dap.test.yaml", std::string(kPartner) + R"y(tests:
  - name: dap off passes its own rules
    tenant: {id: 52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c, name: T, dap_enabled: false}
    expect: {'*': pass}
)y");
  // A second rule file that fails that tenant: it does not break 10-dap's test.
  dir.write("r/20-named.yaml", R"y(rules:
  - id: named-t
    title: Named T
    severity: low
    description: d
    when: tenant.name == "T"
    message: m
    remediation: r
)y");
  ProcessResult ok = binary({"rules", "test", dir.file("r")});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("1 passed, 0 failed"));

  // `rules:` names the rules '*' stands for instead.
  dir.write("r/10-dap.test.yaml", std::string(kPartner) + R"y(rules: [dap-on, named-t]
tests:
  - name: both rules
    tenant: {id: 52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c, name: T, dap_enabled: false}
    expect: {'*': pass}
)y");
  ProcessResult both = binary({"rules", "test", dir.file("r")});
  CHECK(both.exit_code == 1);
  CHECK_THAT(both.out, Catch::Contains("named-t: expected pass, got fail"));

  // A rule named explicitly is checked wherever it is defined.
  dir.write("r/10-dap.test.yaml", std::string(kPartner) + R"y(tests:
  - name: named explicitly
    tenant: {id: 52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c, name: T, dap_enabled: false}
    expect: {named-t: fail, '*': pass}
)y");
  CHECK(binary({"rules", "test", dir.file("r")}).exit_code == 0);
}

TEST_CASE("rule tools: a test file with no rule file of its own and no rules: is an error") {
  TempDir dir;
  dir.write("r/10-dap.yaml", kDapRule);
  const std::string path = dir.write("r/orphan.test.yaml", std::string(kPartner) + R"y(tests:
  - name: x
    tenant: {id: 52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c}
    expect: {'*': unknown}
)y");
  ProcessResult r = binary({"rules", "test", dir.file("r")});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains(path +
                                    ":1:1: error: this test file has no rule file of its "
                                    "own (" +
                                    dir.file("r/orphan.yaml") +
                                    " is not among the rules loaded) and names no rules "
                                    "[rule-test.no-rule-file]"));
  CHECK_THAT(r.err, Catch::Contains("hint: name it after the rule file it tests"));
  CHECK_THAT(r.err, Catch::Contains("rules: [rule-id, ...]"));

  // A misspelt id in rules: has a did-you-mean.
  dir.write("r/orphan.test.yaml", std::string(kPartner) + R"y(rules: [dap-of]
tests:
  - name: x
    tenant: {id: 52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c}
    expect: {'*': unknown}
)y");
  ProcessResult typo = binary({"rules", "test", dir.file("r")});
  CHECK(typo.exit_code == 1);
  CHECK_THAT(typo.err, Catch::Contains(path + ":6:9: error: no rule 'dap-of'"));
  CHECK_THAT(typo.err, Catch::Contains("did you mean 'dap-on'?"));
}

TEST_CASE("rule tools: rules list shows each rule with its file and line, as a table or JSON") {
  const std::string dir = sourcePath("etc/rules.d");
  ProcessResult table = binary({"rules", "list", dir});
  INFO(table.err);
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::StartsWith("ID "));
  for (const char* header : {"SEVERITY", "ENABLED", "TAGS", "FILE:LINE", "TITLE"})
    CHECK_THAT(table.out, Catch::Contains(header));
  CHECK_THAT(table.out, Catch::Contains(dir + "/20-admin-access.yaml:3 "));
  CHECK_THAT(table.out, Catch::Contains("9 rule(s), 9 enabled\n"));

  ProcessResult json = binary({"rules", "list", dir, "--format", "json"});
  REQUIRE(json.exit_code == 0);
  auto doc = Poco::JSON::Parser().parse(json.out).extract<Poco::JSON::Object::Ptr>();
  auto list = doc->getArray("rules");
  REQUIRE(list->size() == 9);
  bool seen = false;
  for (size_t i = 0; i < list->size(); ++i) {
    auto r = list->getObject(i);
    if (r->getValue<std::string>("id") != "gdap-global-admin") continue;
    seen = true;
    CHECK(r->getValue<std::string>("severity") == "medium");
    CHECK(r->getValue<bool>("enabled"));
    CHECK(r->getValue<std::string>("file") == dir + "/20-admin-access.yaml");
    CHECK(r->getValue<int>("line") == 46);
    CHECK(r->getArray("tags")->size() > 0);
    CHECK_FALSE(r->getValue<std::string>("title").empty());
  }
  CHECK(seen);
}

TEST_CASE("rule tools: rules eval prints an expression's value and type for a fixture") {
  const std::string config = sourcePath("etc/demo/cspwatch.yaml");
  const std::string fixture = sourcePath("etc/rules.d/fixtures/healthy-tenant.json");
  auto eval = [&](const std::string& expr, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {
        "--config", config, "rules", "eval", expr, "--now", "2026-11-25T00:00:00Z"};
    args.insert(args.end(), more.begin(), more.end());
    return binary(args);
  };
  ProcessResult b =
      eval("tenant.dap_enabled || size(our_active_gdap) == 0", {"--fixture", fixture});
  INFO(b.err);
  CHECK(b.exit_code == 0);
  CHECK(b.out == "false\ntype: bool\n");
  ProcessResult l = eval("our_gdap.map(r, r.display_name)", {"--fixture", fixture});
  CHECK(l.out == "[\"Northwind standard support\"]\ntype: list\n");
  ProcessResult n = eval("size(lists.access_statuses)", {"--fixture", fixture});
  CHECK(n.out == "2\ntype: int\n");

  ProcessResult json = eval("now", {"--fixture", fixture, "--format", "json"});
  REQUIRE(json.exit_code == 0);
  auto doc = Poco::JSON::Parser().parse(json.out).extract<Poco::JSON::Object::Ptr>();
  CHECK(doc->getValue<std::string>("type") == "timestamp");
  CHECK(doc->getValue<std::string>("value") == "2026-11-25T00:00:00Z");
  CHECK(doc->getValue<std::string>("tenant_name") == "Tasman Legal Pty Ltd");

  // A compile error: at its column under the expression, exit 1.
  ProcessResult bad = eval("tenant.dap_enabeld", {"--fixture", fixture});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("expression:1:8: error: "));
  CHECK_THAT(bad.err, Catch::Contains("  tenant.dap_enabeld\n         ^"));
  CHECK_THAT(bad.err, Catch::Contains("did you mean 'dap_enabled'?"));

  // One tenant is required: neither or both is a usage error.
  CHECK(eval("true").exit_code == 2);
  CHECK(eval("true", {"--fixture", fixture, "--tenant", "x"}).exit_code == 2);
}

TEST_CASE("rule tools: rules eval --tenant reads the tenant from the sources by name or domain") {
  const std::string config = sourcePath("etc/demo/cspwatch.yaml");
  for (const char* which : {"Westgate Accounting Partners", "westgateaccounting.com.au",
                            "f00b18d4-5934-42a6-8a64-9a6c06c7f30e"}) {
    ProcessResult r =
        binary({"--config", config, "rules", "eval", "tenant.dap_enabled", "--tenant", which});
    INFO(which << "\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "true\ntype: bool\n");
  }
  ProcessResult none =
      binary({"--config", config, "rules", "eval", "true", "--tenant", "no-such-tenant"});
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.err, Catch::Contains("no tenant has the id, name or default domain "
                                       "'no-such-tenant'"));

  // A name two tenants share is refused, listing both, not answered for the first.
  TempDir dir;
  std::string inventory = cspwatch::testing::readFile(sourcePath("etc/demo/inventory.json"));
  const std::string second = "\"name\": \"Ashgrove Podiatry\"";
  const size_t westgate = inventory.find("\"name\": \"Westgate Accounting Partners\"");
  REQUIRE(westgate != std::string::npos);
  inventory.replace(westgate, std::string("\"name\": \"Westgate Accounting Partners\"").size(),
                    second);
  dir.write("inventory.json", inventory);
  // The demo configuration, its relative paths made absolute, with this inventory.
  std::string yaml = cspwatch::testing::readFile(config);
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"path: inventory.json", "path: " + dir.file("inventory.json")},
           {"../../build/demo/", dir.path() + "/"},
           {"../rules.d", sourcePath("etc/rules.d")},
           {"../templates", sourcePath("etc/templates")},
           {"secret_file: webhook.secret",
            "secret_file: " + sourcePath("etc/demo/webhook.secret")}})
    for (size_t at = yaml.find(from); at != std::string::npos; at = yaml.find(from, at + 1))
      yaml.replace(at, from.size(), to);
  const std::string twins = dir.write("cspwatch.yaml", yaml);
  ProcessResult shared =
      binary({"--config", twins, "rules", "eval", "tenant.id", "--tenant", "ashgrove podiatry"});
  CHECK(shared.exit_code == 1);
  CHECK(shared.out.empty());
  CHECK_THAT(shared.err,
             Catch::Contains("'ashgrove podiatry' names 2 tenants; give the tenant id"));
  CHECK_THAT(shared.err, Catch::Contains("f00b18d4-5934-42a6-8a64-9a6c06c7f30e"));
}

TEST_CASE("rule tools: scan --once --dry-run --rule --tenant evaluates only those") {
  const std::string config = sourcePath("etc/demo/cspwatch.yaml");
  ProcessResult r = binary({"--config", config, "scan", "--once", "--dry-run", "--now",
                            "2026-11-25T00:00:00Z", "--format", "json", "--rule", "dap-enabled",
                            "--rule", "gdap-missing", "--tenant", "westgateaccounting.com.au"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  CHECK(doc->getValue<int>("tenants") == 1);
  auto findings = doc->getArray("findings");
  REQUIRE(findings->size() == 1);
  CHECK(findings->getObject(0)->getValue<std::string>("rule") == "dap-enabled");
  CHECK(findings->getObject(0)->getValue<std::string>("tenant_name") ==
        "Westgate Accounting Partners");

  // A rule alone, every tenant: only that rule's findings; the count line says 1 rule.
  ProcessResult one = binary({"--config", config, "scan", "--once", "--dry-run", "--now",
                              "2026-11-25T00:00:00Z", "--rule", "dap-enabled"});
  REQUIRE(one.exit_code == 0);
  CHECK_THAT(one.out, Catch::Contains(" tenant(s), 1 rule(s): "));
  CHECK(one.out.find("admin-email-unverified") == std::string::npos);

  // A misspelt rule, a tenant nobody has, and a recording scan are refused.
  ProcessResult typo =
      binary({"--config", config, "scan", "--once", "--dry-run", "--rule", "dap-enabeld"});
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::Contains("--rule dap-enabeld: no such rule; did you mean "
                                       "'dap-enabled'?"));
  ProcessResult nobody =
      binary({"--config", config, "scan", "--once", "--dry-run", "--tenant", "nobody.example"});
  CHECK(nobody.exit_code == 1);
  CHECK_THAT(nobody.err, Catch::Contains("no tenant has the id, name or default domain "
                                         "'nobody.example'"));
  // One --tenant that names nobody beside one that names a tenant: still a typo, exit 1.
  ProcessResult one_of_two = binary({"--config", config, "scan", "--once", "--dry-run", "--tenant",
                                     "westgateaccounting.com.au", "--tenant", "nobody.example"});
  CHECK(one_of_two.exit_code == 1);
  CHECK_THAT(one_of_two.err, Catch::Contains("no tenant has the id, name or default domain "
                                             "'nobody.example'"));
  CHECK(one_of_two.err.find("westgateaccounting") == std::string::npos);
  ProcessResult record = binary({"--config", config, "scan", "--once", "--rule", "dap-enabled"});
  CHECK(record.exit_code == 2);
  CHECK_THAT(record.err, Catch::Contains("--rule and --tenant need --dry-run"));
  // The service scans everything: asking it for one rule or tenant is refused, not ignored.
  for (const char* option : {"--rule", "--tenant"}) {
    ProcessResult now = binary({"--config", config, "scan", "--now", option, "dap-enabled"});
    CHECK(now.exit_code == 2);
    CHECK_THAT(now.err, Catch::Contains("'scan --now' takes neither"));
  }
}

TEST_CASE("rule tools: a file checked alone is told which file defines the macro it uses") {
  TempDir dir;
  const std::string lists = dir.write("r/00-lists.yaml", R"y(macros:
  is_vip: '"vip" in tenant.tags'
lists:
  vip_domains: [contoso.com]
)y");
  const std::string rule = dir.write("r/10-vip.yaml", R"y(rules:
  - id: vip-dap
    title: t
    severity: high
    description: d
    when: is_vip && tenant.default_domain in lists.vip_domains
    message: m
    remediation: r
)y");
  ProcessResult r = binary({"--config", dir.file("none.yaml"), "rules", "check", rule});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("hint: macro 'is_vip' is defined in " + lists +
                                    ":2:3, which was not checked with this file: check them "
                                    "together (cspwatch rules check " +
                                    rule + " " + lists + ")"));
  CHECK_THAT(r.err, Catch::Contains("hint: list 'vip_domains' is defined in " + lists + ":4:3"));
  // Checked together, both are found.
  CHECK(binary({"rules", "check", dir.file("r")}).exit_code == 0);
}

TEST_CASE("rule tools: rules test given only a test file says to give its rules' directory too") {
  ProcessResult r = binary({"rules", "test", sourcePath("etc/rules.d/10-partner.test.yaml")});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("a .test.yaml file holds tests, not rules: give the "
                                            "directories (or rule files) its rules are in too"));
}
