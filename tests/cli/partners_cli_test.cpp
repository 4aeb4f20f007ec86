// SPDX-License-Identifier: Apache-2.0
// --partner NAME over a configuration with `partners:` (docs/cli.md#partner-accounts): required
// with several accounts (a usage error naming them), optional with one, each command on the
// named account's sources and store; the commands that act on every account refuse it; `config
// check` checks every account, each problem at its entry, and names each account's store.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/support/cli_runner.h"
#include "tests/support/demo_partner.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::Contains;
using cspwatch::testing::cliRun;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

const std::string kT0 = "2026-11-25T00:00:00Z";

// One entry of partners (9 lines, the inventory's path on the last, its value at column 15):
// the demo partner, reading `inventory`.
std::string entry(const std::string& name, const std::string& inventory) {
  return "  - name: " + name +
         "\n"
         "    partner:\n"
         "      name: Northwind IT Services\n"
         "      tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n"
         "      distributor_tenant_ids: [8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73]\n"
         "      email_domains: [northwind-it.com.au]\n"
         "    sources:\n"
         "      inventory:\n"
         "        path: " +
         inventory + "\n";
}

// The sections every account shares: the store's directory in `dir`, the shipped rules.
std::string shared(const TempDir& dir) {
  return "storage:\n  path: " + dir.file("cspwatch.db") + "\nrules:\n  paths: [" +
         sourcePath("etc/rules.d") + "]\nhttp:\n  enabled: false\n";
}

// contoso (lines 2-10), reading the demo inventory, and fabrikam (lines 11-19), reading
// `fabrikam_inventory` (the demo inventory when empty).
std::string twoAccounts(const TempDir& dir, const std::string& fabrikam_inventory = "") {
  const std::string demo = sourcePath("etc/demo/inventory.json");
  return dir.write("cspwatch.yaml",
                   "partners:\n" + entry("contoso", demo) +
                       entry("fabrikam", fabrikam_inventory.empty() ? demo : fabrikam_inventory) +
                       shared(dir));
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("with two partner accounts --partner is required: a usage error naming them") {
  TempDir dir;
  const std::string cfg = twoAccounts(dir);
  // Through the real binary: the exit code and the streams as an operator sees them.
  const auto scans = testing::runBinary("cspwatch", {"-c", cfg, "scans", "list"});
  CHECK(scans.exit_code == 2);
  CHECK(scans.out.empty());
  CHECK_THAT(scans.err, Contains("cspwatch: --partner NAME is needed: contoso, fabrikam"));
  const std::vector<std::vector<std::string>> commands = {
      {"tenants", "list"},  {"findings", "list"},
      {"rules", "list"},    {"scan", "--once", "--dry-run"},
      {"alerts", "outbox"}, {"report"}};
  for (const auto& command : commands) {
    std::vector<std::string> args = {"-c", cfg};
    args.insert(args.end(), command.begin(), command.end());
    const auto run = cliRun(args);
    INFO(command.front() << ": " << run.out << run.err);
    CHECK(run.code == 2);
    CHECK_THAT(run.err, Contains("--partner NAME is needed: contoso, fabrikam"));
  }
  const auto typo = cliRun({"-c", cfg, "--partner", "contso", "scans", "list"});
  CHECK(typo.code == 2);
  CHECK_THAT(typo.err, Contains("no partner account 'contso'"));
  CHECK_THAT(typo.err, Contains("did you mean 'contoso'?"));
  CHECK_THAT(typo.err, Contains("(configured: contoso, fabrikam)"));
}

TEST_CASE("a command given --partner NAME acts on that account's sources and store") {
  TempDir dir;
  const std::string cfg = twoAccounts(dir);
  const auto scan = cliRun({"-c", cfg, "--partner", "contoso", "scan", "--once", "--now", kT0});
  INFO(scan.out << scan.err);
  REQUIRE(scan.code == 0);
  CHECK(exists(dir.file("cspwatch-contoso.db")));
  CHECK_FALSE(exists(dir.file("cspwatch-fabrikam.db")));
  CHECK_FALSE(exists(dir.file("cspwatch.db")));  // the instances' own: no account's data

  // --partner before or after the command.
  const auto contoso = cliRun({"-c", cfg, "scans", "list", "--partner", "contoso"});
  INFO(contoso.err);
  CHECK(contoso.code == 0);
  CHECK_THAT(contoso.out, Contains(kT0 + "  completed"));
  const auto findings = cliRun({"-c", cfg, "--partner", "contoso", "findings", "list"});
  CHECK(findings.code == 0);
  CHECK_FALSE(findings.out.empty());

  const auto fabrikam = cliRun({"-c", cfg, "--partner", "fabrikam", "scans", "list"});
  CHECK(fabrikam.code == 0);
  CHECK(fabrikam.out.empty());
  CHECK_THAT(fabrikam.err, Contains("no scan yet"));
  CHECK_FALSE(exists(dir.file("cspwatch-fabrikam.db")));  // read-only commands create nothing

  // The account's own sources: fabrikam's inventory is not there, contoso's is.
  const TempDir other;
  const std::string broken = twoAccounts(other, other.file("missing.json"));
  CHECK(cliRun({"-c", broken, "--partner", "contoso", "tenants", "list"}).code == 0);
  const auto missing = cliRun({"-c", broken, "--partner", "fabrikam", "tenants", "list"});
  CHECK(missing.code != 0);
  CHECK_THAT(missing.err, Contains(other.file("missing.json")));
}

TEST_CASE("with one partner account --partner may be left out, or name that account") {
  TempDir dir;
  const std::string single =
      dir.write("single.yaml", testing::kDemoPartnerYaml + "sources:\n  inventory:\n    path: " +
                                   sourcePath("etc/demo/inventory.json") + "\n" + shared(dir));
  CHECK(cliRun({"-c", single, "scans", "list"}).code == 0);
  CHECK(cliRun({"-c", single, "--partner", "default", "scans", "list"}).code == 0);
  const auto other = cliRun({"-c", single, "--partner", "contoso", "scans", "list"});
  CHECK(other.code == 2);
  CHECK_THAT(other.err, Contains("no partner account 'contoso'"));
  CHECK_THAT(other.err, Contains("(configured: default)"));

  const std::string one = dir.write(
      "one.yaml",
      "partners:\n" + entry("contoso", sourcePath("etc/demo/inventory.json")) + shared(dir));
  CHECK(cliRun({"-c", one, "scans", "list"}).code == 0);
  CHECK(cliRun({"-c", one, "--partner", "contoso", "scans", "list"}).code == 0);
}

TEST_CASE("run, config check and scan --now act on every account and refuse --partner") {
  TempDir dir;
  const std::string cfg = twoAccounts(dir);
  const std::vector<std::vector<std::string>> commands = {
      {"run"}, {"config", "check"}, {"scan", "--now"}};
  for (const auto& command : commands) {
    std::vector<std::string> args = {"-c", cfg, "--partner", "contoso"};
    args.insert(args.end(), command.begin(), command.end());
    const auto run = cliRun(args);
    INFO(run.out << run.err);
    CHECK(run.code == 2);
    CHECK_THAT(run.err, Contains("takes no --partner"));
  }
}

TEST_CASE("config check: every partner account, each problem at its entry, each store named") {
  TempDir dir;
  const std::string missing = dir.file("fabrikam.json");
  const std::string cfg = twoAccounts(dir, missing);
  const auto broken = testing::runBinary("cspwatch", {"-c", cfg, "config", "check"});
  INFO(broken.out << broken.err);
  CHECK(broken.exit_code == 1);
  CHECK_THAT(broken.err, Contains(cfg + ":19:15: error: partner 'fabrikam': inventory file " +
                                  missing + " cannot be read"));
  CHECK_THAT(broken.err, Contains("[config.missing-file]"));
  CHECK_THAT(broken.err, Contains("1 problem(s) would stop the next scan"));

  dir.write("fabrikam.json", testing::readFile(sourcePath("etc/demo/inventory.json")));
  const auto ok = testing::runBinary("cspwatch", {"-c", cfg, "config", "check"});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == cfg + ": OK\n2 partner account(s), each with its own store:\n  contoso: " +
                      dir.file("cspwatch-contoso.db") +
                      "\n  fabrikam: " + dir.file("cspwatch-fabrikam.db") + "\n");
}
