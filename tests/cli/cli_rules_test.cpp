// SPDX-License-Identifier: Apache-2.0
// `rules check`, `rules test` and `scan --once --dry-run` through the CLI.
#include <set>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "cli/cli.h"
#include "config/app_config.h"
#include "tests/support/cli_runner.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::cli;
using namespace cspwatch::config;
using cspwatch::testing::cliRun;
using Run = cspwatch::testing::CliRun;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

const char* kGoodRule = R"y(rules:
  - id: dap-on
    title: DAP on
    severity: high
    description: d
    when: tenant.dap_enabled
    message: "{{ tenant.name }}"
    remediation: r
)y";

const char* kPartner = R"y(partner:
  name: Northwind
  tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64
  email_domains: [northwind.com]
now: 2026-11-25T00:00:00Z
)y";

}  // namespace

TEST_CASE("cli rules check: clean files exit 0 with a summary") {
  TempDir dir;
  dir.write("rules/10-a.yaml", kGoodRule);
  Run r = cliRun({"rules", "check", dir.file("rules")});
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("1 rules (1 enabled) from 1 file(s)"));
}

TEST_CASE("cli rules check: errors exit 1 with file:line:column, caret and hint") {
  TempDir dir;
  std::string path = dir.write("bad.yaml", std::string(kGoodRule) + "    severty: low\n");
  Run r = cliRun({"rules", "check", path});
  CHECK(r.code == 1);
  CHECK_THAT(r.err,
             Catch::Contains(
                 path + ":9:5: error: rule 'dap-on': unknown key 'severty' [rules.unknown-key]"));
  CHECK_THAT(r.err, Catch::Contains("    severty: low\n      ^\n  hint: did you mean 'severity'?"));
  CHECK_THAT(r.err, Catch::Contains("the rule set is rejected"));

  Run json = cliRun({"rules", "check", "--format", "json", path});
  CHECK(json.code == 1);
  Poco::JSON::Object::Ptr doc =
      Poco::JSON::Parser().parse(json.out).extract<Poco::JSON::Object::Ptr>();
  CHECK(doc->getValue<int>("errors") == 1);
  auto first = doc->getArray("diagnostics")->getObject(0);
  CHECK(first->getValue<std::string>("code") == "rules.unknown-key");
  CHECK(first->getValue<int>("line") == 9);
  CHECK(first->getValue<int>("column") == 5);
  CHECK(first->getValue<std::string>("hint") == "did you mean 'severity'?");
}

TEST_CASE("cli rules check: a missing path or an empty directory is an error") {
  TempDir dir;
  Run missing = cliRun({"rules", "check", dir.file("nope")});
  CHECK(missing.code == 1);
  CHECK_THAT(missing.err, Catch::Contains("rules.unreadable"));
  Run empty = cliRun({"rules", "check", dir.path()});
  CHECK(empty.code == 1);
  CHECK_THAT(empty.err, Catch::Contains("no rule files found"));
}

TEST_CASE("cli rules test: passing tests exit 0, a failing expectation exits 1 and says why") {
  TempDir dir;
  dir.write("r/10-a.yaml", kGoodRule);
  dir.write("r/10-a.test.yaml", std::string(kPartner) + R"y(tests:
  - name: dap on fails
    tenant: {id: 52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c, dap_enabled: true}
    expect: {dap-on: fail}
  - name: dap unknown is unknown
    tenant: {id: 52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c}
    expect: {'*': unknown}
)y");
  Run ok = cliRun({"rules", "test", dir.file("r")});
  INFO(ok.err);
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Catch::Contains("2 passed, 0 failed"));

  dir.write("r/b.test.yaml", std::string(kPartner) + R"y(tests:
  - name: wrong expectation
    tenant: {id: 52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c, dap_enabled: false}
    expect: {dap-on: fail}
rules: [dap-on]
)y");
  Run bad = cliRun({"rules", "test", dir.file("r")});
  CHECK(bad.code == 1);
  CHECK_THAT(bad.out,
             Catch::Contains("FAIL  " + dir.file("r/b.test.yaml") + ":7:5: wrong expectation"));
  CHECK_THAT(bad.out, Catch::Contains("dap-on: expected fail, got pass"));
  CHECK_THAT(bad.out, Catch::Contains("2 passed, 1 failed"));

  dir.write("r/b.test.yaml",
            std::string(kPartner) +
                "tests:\n  - name: x\n    tenant: {id: 52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c}\n    "
                "expect: {dap-of: fail}\nrules: [dap-on]\n");
  Run typo = cliRun({"rules", "test", dir.file("r")});
  CHECK(typo.code == 1);
  CHECK_THAT(typo.err, Catch::Contains("no rule 'dap-of'"));
  CHECK_THAT(typo.err, Catch::Contains("did you mean 'dap-on'?"));
}

TEST_CASE("cli scan --once --dry-run: the demo's findings as JSON, with unknowns") {
  Run r = cliRun({"--config", sourcePath("etc/demo/cspwatch.yaml"), "scan", "--once", "--dry-run",
                  "--format", "json", "--now", "2026-11-25T00:00:00Z"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  Poco::JSON::Object::Ptr doc =
      Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  CHECK(doc->getValue<std::string>("now") == "2026-11-25T00:00:00Z");
  auto findings = doc->getArray("findings");
  std::set<std::string> seen;
  size_t unknown = 0;
  for (size_t i = 0; i < findings->size(); ++i) {
    auto f = findings->getObject(i);
    for (const char* key : {"rule", "tenant_id", "subject", "outcome", "severity", "message"})
      CHECK(f->has(key));
    seen.insert(f->getValue<std::string>("rule") + "/" + f->getValue<std::string>("tenant_name"));
    unknown += f->getValue<std::string>("outcome") == "unknown";
  }
  CHECK(seen.count("partner-not-listed/Bellbird Bookkeeping"));
  CHECK(seen.count("dap-enabled/Westgate Accounting Partners"));
  CHECK(seen.count("gdap-expiring/Clearwater Pools & Spas"));
  CHECK(seen.count("admin-email-unverified/Rangitoto Realty"));
  CHECK_FALSE(seen.count("gdap-missing/Bellbird Bookkeeping"));  // one finding per root cause
  // Two parts that could not be read (an organization, a partner list) and three contacts a
  // missing permission hides (two company emails, one tenant's technical contacts).
  CHECK(unknown == 5);
  CHECK(seen.count("admin-email-unverified/Kingfisher Electrical Services"));
  CHECK(seen.count("admin-email-unverified/Norfolk Pine Motors"));
}

TEST_CASE("cli scan --once --dry-run: the table names an incumbent partner by name and domain") {
  Run r = cliRun({"--config", sourcePath("etc/demo/cspwatch.yaml"), "scan", "--once", "--dry-run",
                  "--now", "2026-11-25T00:00:00Z"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("Adatum Managed Services (adatum.onmicrosoft.com)"));
  CHECK(r.out.find("5e9a3c7d-1b4f-4d28-8a6e-0c2f7b9d3e41") == std::string::npos);
}

TEST_CASE("cli scan: usage errors exit 2") {
  std::string config = sourcePath("etc/demo/cspwatch.yaml");
  CHECK(cliRun({"--config", config, "scan", "--once", "--dry-run", "--now", "tomorrow"}).code == 2);
  CHECK(cliRun({"--config", config, "scan", "--once", "--dry-run", "--format", "xml"}).code == 2);
}

TEST_CASE("cli rules check: nested list macros over tenant lists warn at the inner one, exit 0") {
  TempDir dir;
  const std::string path = dir.write("rules/10-costly.yaml", R"y(rules:
  - id: domain-pairs
    title: Domain pairs
    severity: low
    description: d
    when: >-
      tenant.verified_domains.exists(a,
        tenant.verified_domains.exists(b, a + b == "x"))
    message: m
    remediation: r
)y");
  Run r = cliRun({"rules", "check", dir.file("rules")});
  CHECK(r.code == 0);  // warnings do not reject the rule set
  CHECK_THAT(r.err, Catch::Contains(path +
                                    ":8:33: warning: rule 'domain-pairs': when: exists() over a "
                                    "tenant list runs once for each element of the exists() at " +
                                    path +
                                    ":7:31, also over a tenant list: it takes the product of "
                                    "their sizes in steps (1,000 elements each: 1,000,000) "
                                    "[rules.costly-nesting]"));
  CHECK_THAT(r.err, Catch::Contains("  hint: nested comprehensions over tenant lists cost the "
                                    "product of their sizes; filter the lists first"));
  CHECK_THAT(r.out, Catch::Contains("1 rules (1 enabled) from 1 file(s), 1 warning(s)"));

  Run json = cliRun({"rules", "check", "--format", "json", dir.file("rules")});
  CHECK(json.code == 0);
  Poco::JSON::Object::Ptr doc =
      Poco::JSON::Parser().parse(json.out).extract<Poco::JSON::Object::Ptr>();
  CHECK(doc->getValue<int>("errors") == 0);
  CHECK(doc->getValue<int>("warnings") == 1);
  auto w = doc->getArray("diagnostics")->getObject(0);
  CHECK(w->getValue<std::string>("severity") == "warning");
  CHECK(w->getValue<std::string>("code") == "rules.costly-nesting");
  CHECK(w->getValue<std::string>("file") == path);
  CHECK(w->getValue<int>("line") == 8);
  CHECK(w->getValue<int>("column") == 33);
}
