// SPDX-License-Identifier: Apache-2.0
// `scan --once --dry-run` streams its output: each tenant's lines as its outcome arrives, in the
// order the tenants are read, the table with fixed column widths and the JSON document written a
// piece at a time ("tenants" last). Its memory does not grow with the number of tenants: the real
// binary over 2,000 and 20,000 tenants, its peak resident memory from wait4().
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/table.h"
#include "common/text.h"
#include "rules/rule_set.h"
#include "tenants/inventory_source.h"
#include "tests/support/cli_runner.h"
#include "tests/support/sanitizers.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using cspwatch::testing::cliRun;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

const char* kNow = "2026-11-25T00:00:00Z";

// The demo inventory's tenant names, in file order.
std::vector<std::string> demoTenantNames() {
  auto inv = tenants::loadInventoryFile(sourcePath("etc/demo/inventory.json"));
  REQUIRE(inv);
  std::vector<std::string> names;
  for (const auto& t : inv->tenants) names.push_back(t.name);
  return names;
}

int severityRank(const std::string& name) {
  const auto& names = rules::severityNames();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  FAIL("unknown severity " << name);
  return -1;
}

// One printed line, as the order is checked: tenant, then (fail before unknown, severity, rule).
struct Line {
  std::string tenant, outcome, severity, rule;
};

// Tenants appear in `order` (each in one block), and each block is sorted.
void checkOrder(const std::vector<Line>& lines, const std::vector<std::string>& order) {
  REQUIRE_FALSE(lines.empty());
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < order.size(); ++i) index[order[i]] = i;
  for (size_t i = 1; i < lines.size(); ++i) {
    const Line& a = lines[i - 1];
    const Line& b = lines[i];
    INFO("line " << i << ": " << a.tenant << " " << a.rule << " then " << b.tenant << " "
                 << b.rule);
    REQUIRE(index.count(b.tenant));
    if (a.tenant != b.tenant) {
      CHECK(index[a.tenant] < index[b.tenant]);
      continue;
    }
    if (a.outcome != b.outcome) {
      CHECK(a.outcome == "fail");
      continue;
    }
    if (a.severity != b.severity) {
      CHECK(severityRank(a.severity) < severityRank(b.severity));
      continue;
    }
    CHECK(a.rule <= b.rule);
  }
}

Poco::JSON::Object::Ptr parse(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("dry run: each tenant's lines in the order tenants are read, sorted within the tenant") {
  const std::vector<std::string> order = demoTenantNames();
  auto json = cliRun({"--config", sourcePath("etc/demo/cspwatch.yaml"), "scan", "--once",
                      "--dry-run", "--format", "json", "--now", kNow});
  INFO(json.err);
  REQUIRE(json.code == 0);
  auto findings = parse(json.out)->getArray("findings");
  std::vector<Line> lines;
  for (size_t i = 0; i < findings->size(); ++i) {
    auto f = findings->getObject(static_cast<unsigned>(i));
    lines.push_back({f->getValue<std::string>("tenant_name"), f->getValue<std::string>("outcome"),
                     f->getValue<std::string>("severity"), f->getValue<std::string>("rule")});
  }
  checkOrder(lines, order);
  // Several tenants have lines, and failures of one come after another's could-not-check: the
  // order is the tenants', not a sort over every line.
  std::set<std::string> with_lines;
  for (const auto& l : lines) with_lines.insert(l.tenant);
  CHECK(with_lines.size() > 10);

  // The table: the same lines in the same order (the tenant column holds the names whole), on
  // a terminal 140 wide (in a pipe nothing would be cut: docs/cli.md#tables).
  ::setenv("COLUMNS", "140", 1);
  auto table = cliRun({"--config", sourcePath("etc/demo/cspwatch.yaml"), "scan", "--once",
                       "--dry-run", "--now", kNow});
  ::unsetenv("COLUMNS");
  REQUIRE(table.code == 0);
  std::istringstream in(table.out);
  std::string text;
  std::getline(in, text);  // the header
  std::vector<std::string> rows;
  while (std::getline(in, text)) rows.push_back(text);
  REQUIRE(rows.size() == lines.size() + 1);  // and the count line
  // SEVERITY is 8 wide, RULE 22 (the longest rule id): the tenant's name starts at column 34,
  // in 30 columns (the demo's names are ASCII).
  for (size_t i = 0; i < lines.size(); ++i) {
    INFO(rows[i]);
    CHECK(rows[i].find(lines[i].rule) == 10);
    const std::string& name = lines[i].tenant;
    CHECK(trim(rows[i].substr(34, 30)) == (name.size() <= 30 ? name : name.substr(0, 27) + "..."));
    CHECK(startsWith(rows[i], lines[i].outcome == "fail" ? lines[i].severity : "unknown"));
  }
}

TEST_CASE("dry run: the JSON document keeps its fields, schema_version first and tenants last") {
  auto r = cliRun({"--config", sourcePath("etc/demo/cspwatch.yaml"), "scan", "--once", "--dry-run",
                   "--format", "json", "--now", kNow});
  REQUIRE(r.code == 0);
  CHECK(startsWith(r.out,
                   "{\n  \"schema_version\": 1,\n  \"now\": \"2026-11-25T00:00:00Z\",\n"
                   "  \"rule_set\": \""));
  const size_t tenants = demoTenantNames().size();
  CHECK(endsWith(r.out, "\n  ],\n  \"tenants\": " + std::to_string(tenants) + "\n}\n"));
  auto doc = parse(r.out);
  CHECK(doc->getValue<int>("schema_version") == 1);
  CHECK(doc->getValue<size_t>("tenants") == tenants);
  CHECK(doc->getValue<std::string>("rule_set").size() == 16);
  auto first = doc->getArray("findings")->getObject(0);
  for (const auto& key : {"rule", "tenant_id", "tenant_name", "subject", "outcome", "severity",
                          "message", "remediation"})
    CHECK(first->has(key));
  CHECK(first->size() == 8);
}

TEST_CASE("dry run: no tenant with a line is still a whole document and a whole table") {
  TempDir dir;
  dir.write("inventory.csv", "tenant_id,name\n");
  const std::string config =
      dir.write("cspwatch.yaml",
                "partner:\n  name: Northwind\n  tenant_id: "
                "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n  email_domains: [northwind.com]\n"
                "sources:\n  inventory:\n    path: inventory.csv\n"
                "rules:\n  paths: [" +
                    sourcePath("etc/rules.d") + "]\n");
  auto json = cliRun(
      {"--config", config, "scan", "--once", "--dry-run", "--format", "json", "--now", kNow});
  INFO(json.err);
  REQUIRE(json.code == 0);
  auto doc = parse(json.out);
  CHECK(doc->getArray("findings")->size() == 0);
  CHECK(doc->getValue<int>("tenants") == 0);
  auto table = cliRun({"--config", config, "scan", "--once", "--dry-run", "--now", kNow});
  REQUIRE(table.code == 0);
  CHECK(startsWith(table.out, "SEVERITY  RULE"));
  CHECK_THAT(table.out, Catch::EndsWith("\n0 tenant(s), 9 rule(s): 0 finding(s), 0 could not be "
                                        "checked\n"));
}

TEST_CASE("dry run: the table's columns have fixed widths, whatever the rows hold") {
  TempDir dir;
  const std::string long_name = "Very Long Customer Name Holdings International Group Pty Ltd";
  dir.write("inventory.csv",
            "tenant_id,name,admin_email\n"
            "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c,Short,admin@short.com\n"
            "6b1f0a3e-2d4c-4e8f-9a7b-1c3d5e7f9a0b," +
                long_name + ",admin@long.com\n");
  const std::string config =
      dir.write("cspwatch.yaml",
                "partner:\n  name: Northwind\n  tenant_id: "
                "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n  email_domains: [northwind.com]\n"
                "sources:\n  inventory:\n    path: inventory.csv\n"
                "rules:\n  paths: [" +
                    sourcePath("etc/rules.d") + "]\n");
  ::setenv("COLUMNS", "140", 1);  // a terminal 140 wide (a pipe gets every cell whole)
  auto r = cliRun({"--config", config, "scan", "--once", "--dry-run", "--now", kNow});
  ::unsetenv("COLUMNS");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  std::istringstream in(r.out);
  std::string header;
  std::getline(in, header);
  // SEVERITY 8, RULE as wide as the longest rule id (admin-email-unverified, 22), TENANT 30,
  // the subject the remaining 74 (a GDAP relationship's id, 73, whole).
  const size_t rule_at = 10, tenant_at = rule_at + 22 + 2, subject_at = tenant_at + 30 + 2;
  CHECK(header.find("RULE") == rule_at);
  CHECK(header.find("TENANT") == tenant_at);
  CHECK(header.find("SUBJECT / WHY UNKNOWN") == subject_at);
  std::string line;
  size_t rows = 0;
  bool cut = false;
  while (std::getline(in, line) && line.find("tenant(s)") == std::string::npos) {
    ++rows;
    INFO(line);
    CHECK(cli::displayWidth(line) <= 140);
    CHECK(line[tenant_at - 1] == ' ');
    CHECK(line[tenant_at] != ' ');
    CHECK(line[subject_at - 1] == ' ');
    CHECK(line[subject_at] != ' ');
    if (line.compare(tenant_at, 30, long_name.substr(0, 27) + "...") == 0) cut = true;
  }
  CHECK(rows > 2);
  CHECK(cut);  // the long name cut to the column, not the column widened
}

TEST_CASE("dry run: the streamed table makes cells safe and cuts them as Table does") {
  std::ostringstream out;
  cli::StreamedTable table(out, {{"NAME", 10}, {"NOTE", 6}});
  table.printRow({"evil\x1b[2J\r\nname", "Contoso \u202emoc"});
  table.printRow({"Müller GmbH", "ok"});
  CHECK(table.rows() == 2);
  CHECK(out.str().find('\x1b') == std::string::npos);
  CHECK(out.str().find("\u202e") == std::string::npos);  // shown escaped, then cut
  CHECK(out.str() ==
        "NAME        NOTE\n"
        "evil [2...  Con...\n"
        "Müller ...  ok\n");
}

namespace {

// `n` tenants as an inventory CSV: the fastest way to many tenants (every rule that needs a
// service's data is could-not-check, a line each, so the output grows with them too). Rows of
// about 250 bytes: the file of 20,000 (5 MB) would not go unseen if it were held.
std::string csvInventory(int n) {
  std::string text = "tenant_id,name,domain,admin_email,onboarded_at,tags\n";
  char row[512];
  for (int i = 0; i < n; ++i) {
    std::snprintf(row, sizeof row,
                  "%08x-13a1-4e3b-9c2b-5f5f0e7b1a2c,Customer %d Holdings (South Pacific "
                  "Trading and Professional Services) Ltd,customer%d.onmicrosoft.com,%s,"
                  "2024-05-01,tier:gold;region:nz;industry:professional-services;"
                  "onboarded-by:service-desk\n",
                  i, i, i, i % 3 == 0 ? "someone@gmail.com" : "csp-admin@northwind.com");
    text += row;
  }
  return text;
}

struct Peak {
  int exit_code = -1;
  long max_rss_kib = 0;
};

// Runs the real cspwatch with stdout and stderr into files; its peak resident memory from the
// kernel's rusage of the child (ru_maxrss, KiB), which no sampling can miss.
Peak runMeasured(const std::vector<std::string>& args, const std::string& out,
                 const std::string& err) {
  const std::string binary = std::string(CSPWATCH_BIN_DIR) + "/cspwatch";
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (o < 0 || e < 0 || ::dup2(o, STDOUT_FILENO) < 0 || ::dup2(e, STDERR_FILENO) < 0) _exit(127);
    ::execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  while (::wait4(pid, &status, 0, &usage) < 0) REQUIRE(errno == EINTR);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, usage.ru_maxrss};
}

}  // namespace

TEST_CASE("dry run: peak memory does not grow with the number of tenants", "[memory]") {
  if (testing::kAddressSanitizer) {
    // ASan's shadow memory and quarantine make resident memory meaningless, and the sizes slow.
    WARN("skipped under AddressSanitizer: resident memory is not the program's there");
    return;
  }
  TempDir dir;
  const std::string config =
      dir.write("cspwatch.yaml",
                "partner:\n  name: Northwind\n  tenant_id: "
                "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n  email_domains: [northwind.com]\n"
                "sources:\n  inventory:\n    path: inventory.csv\n"
                "rules:\n  paths: [" +
                    sourcePath("etc/rules.d") + "]\n");
  for (const char* format : {"table", "json"}) {
    std::map<int, long> peak;
    for (int n : {2000, 20000}) {
      dir.write("inventory.csv", csvInventory(n));
      const Peak p = runMeasured(
          {"--config", config, "scan", "--once", "--dry-run", "--format", format, "--now", kNow},
          dir.file("out"), dir.file("err"));
      INFO(format << ", " << n << " tenants: " << testing::readFile(dir.file("err")));
      REQUIRE(p.exit_code == 0);
      peak[n] = p.max_rss_kib;
      // The whole output came out: the last line counts every tenant.
      const std::string out = testing::readFile(dir.file("out"));
      CHECK_THAT(out, Catch::Contains(std::string(format) == "json"
                                          ? "\"tenants\": " + std::to_string(n) + "\n}"
                                          : std::to_string(n) + " tenant(s)"));
    }
    WARN(format << ": peak RSS " << peak[2000] << " KiB at 2,000 tenants, " << peak[20000]
                << " KiB at 20,000");
    // Ten times the tenants: what grows is the ids kept to find duplicates (about 40 bytes a
    // tenant, 0.7 MB here) and allocator noise. Holding the lines, the tenants or the file grew
    // it by 100 to 500 MB.
    CHECK(peak[20000] - peak[2000] < 4096);
  }
}
