// SPDX-License-Identifier: Apache-2.0
// `tenants show` and `report` (issue 19, item 3) over the demo inventory: one tenant by id, name
// or domain with its findings and could-not-check items; the account managers' report in HTML
// and CSV; neither creates the database.
#include <sstream>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "tests/support/cli_runner.h"
#include "tests/support/demo_partner.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::Contains;
using testing::cliRun;
using testing::sourcePath;
using testing::TempDir;

namespace {

std::string demoConfig(const TempDir& dir) {
  return dir.write("cspwatch.yaml", testing::kDemoPartnerYaml +
                                        "sources:\n  inventory:\n    path: " +
                                        sourcePath("etc/demo/inventory.json") +
                                        "\nstorage:\n  path: " + dir.file("cspwatch.db") +
                                        "\nrules:\n  paths: [" + sourcePath("etc/rules.d") + "]\n");
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// Ashgrove Podiatry, the demo's first tenant by name.
const std::string kId = "ce4c68ab-6972-49b1-bc20-d7dc4c572a80";

}  // namespace

TEST_CASE("tenants show: one tenant by id, name or domain, without creating the database") {
  TempDir dir;
  const std::string cfg = demoConfig(dir);
  for (const std::string& key :
       {kId, std::string("ashgrove PODIATRY"), std::string("AshgrovePodiatry.com.au")}) {
    auto r = cliRun({"-c", cfg, "tenants", "show", key});
    INFO(key << r.out << r.err);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Contains("Ashgrove Podiatry"));
    CHECK_THAT(r.out, Contains(kId));
    CHECK_THAT(r.out, Contains("read live from the sources"));
    CHECK_THAT(r.out, Contains("no scan yet"));
  }
  CHECK_FALSE(exists(dir.file("cspwatch.db")));

  auto typo = cliRun({"-c", cfg, "tenants", "show", "Ashgrove Podiatyr"});
  CHECK(typo.code == 2);
  CHECK_THAT(typo.err, Contains("did you mean 'Ashgrove Podiatry'?"));
  auto none = cliRun({"-c", cfg, "tenants", "show", "zzzz"});
  CHECK(none.code == 2);
  CHECK_THAT(none.err, Contains("no tenant has the id, name or domain 'zzzz'"));
  CHECK_FALSE(exists(dir.file("cspwatch.db")));
}

TEST_CASE("tenants show: an ambiguous name lists the candidates and exits 2") {
  TempDir dir;
  dir.write("inventory.csv",
            "tenant_id,name,domain,tags\n"
            "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c,Contoso,contoso.com,gold\n"
            "62eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c,contoso,contoso-nz.com,\n");
  const std::string cfg = dir.write("cspwatch.yaml", testing::kDemoPartnerYaml +
                                                         "sources:\n  inventory:\n    path: "
                                                         "inventory.csv\nrules:\n  paths: [" +
                                                         sourcePath("etc/rules.d") + "]\n");
  auto r = cliRun({"-c", cfg, "tenants", "show", "Contoso"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("'Contoso' names 2 tenants"));
  CHECK_THAT(r.err, Contains("52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c  Contoso  contoso.com"));
  CHECK_THAT(r.err, Contains("62eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c  contoso  contoso-nz.com"));
  auto one = cliRun({"-c", cfg, "tenants", "show", "contoso-nz.com", "--format", "json"});
  CHECK(one.code == 0);
  CHECK(testing::parseObject(one.out)->getObject("tenant")->getValue<std::string>("id") ==
        "62eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c");
}

TEST_CASE("tenants show and report: findings and could-not-check items from the last scan") {
  TempDir dir;
  const std::string cfg = demoConfig(dir);
  auto noscan = cliRun({"-c", cfg, "report"});
  CHECK(noscan.code == 0);  // as every read-only command: said, not an error
  CHECK_THAT(noscan.err, Contains("no scan yet"));
  CHECK(noscan.out.empty());
  CHECK_FALSE(exists(dir.file("cspwatch.db")));
  REQUIRE(cliRun({"-c", cfg, "scan", "--once", "--now", "2026-11-25T00:00:00Z"}).code == 0);

  auto json = cliRun({"-c", cfg, "report", "--format", "csv"});
  INFO(json.err);
  REQUIRE(json.code == 0);
  CHECK_THAT(json.out, Catch::StartsWith("tenant_id,tenant_name,kind,rule,title,severity,subject,"
                                         "what_is_wrong,fix,since,suppressed\r\n"));
  CHECK_THAT(json.out, Contains(",finding,"));
  CHECK_THAT(json.out, Contains(",could_not_check,"));

  // A tenant with a finding: the report's first finding row names it.
  const size_t row = json.out.find("\r\n") + 2;
  const std::string tenant = json.out.substr(row, 36);
  auto show = cliRun({"-c", cfg, "tenants", "show", tenant, "--format", "json"});
  INFO(show.err);
  REQUIRE(show.code == 0);
  auto doc = testing::parseObject(show.out);
  CHECK(doc->getValue<std::string>("read") == "live");
  auto stored = doc->getObject("stored");
  CHECK(stored->getValue<bool>("scanned"));
  CHECK(stored->getValue<std::string>("last_scan_at") == "2026-11-25T00:00:00Z");
  CHECK(stored->getArray("findings")->size() + stored->getArray("could_not_check")->size() > 0);
  auto table = cliRun({"-c", cfg, "tenants", "show", tenant});
  CHECK_THAT(table.out, Contains("open findings: "));
  CHECK_THAT(table.out, Contains("could not be checked: "));

  auto one = cliRun({"-c", cfg, "report", "--format", "csv", "--tenant", tenant});
  CHECK(one.code == 0);
  std::istringstream rows(one.out);
  std::string line;
  std::getline(rows, line);  // the header
  size_t others = 0, lines = 0;
  while (std::getline(rows, line)) {
    ++lines;
    others += line.rfind(tenant, 0) == 0 ? 0 : 1;
  }
  CHECK(lines > 0);
  CHECK(others == 0);
  auto unknown = cliRun({"-c", cfg, "report", "--tenant", "zzzz"});
  CHECK(unknown.code == 2);
}

TEST_CASE("report: self-contained HTML, everything escaped, written to --output") {
  TempDir dir;
  dir.write("inventory.csv",
            "tenant_id,name,domain,tags\n"
            "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c,<script>alert(1)</script> & Co,"
            "contoso.com,gold\n");
  const std::string cfg = dir.write(
      "cspwatch.yaml", testing::kDemoPartnerYaml +
                           "sources:\n  inventory:\n    path: inventory.csv\nstorage:\n  path: " +
                           dir.file("cspwatch.db") + "\nrules:\n  paths: [" +
                           sourcePath("etc/rules.d") + "]\n");
  REQUIRE(cliRun({"-c", cfg, "scan", "--once", "--now", "2026-11-25T00:00:00Z"}).code == 0);
  auto r = cliRun({"-c", cfg, "report", "--output", dir.file("report.html")});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.empty());
  const std::string html = testing::readFile(dir.file("report.html"));
  CHECK_THAT(html, Catch::StartsWith("<!DOCTYPE html>"));
  CHECK_THAT(html, Contains("<meta name=\"viewport\""));
  CHECK_THAT(html, Contains("<style>"));
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK_THAT(html, Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
  CHECK_THAT(html, Contains("1 tenant(s)"));
}
