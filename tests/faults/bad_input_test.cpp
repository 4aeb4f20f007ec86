// SPDX-License-Identifier: Apache-2.0
// Bad input (issue "Bad input"): the corpus in tests/faults/bad_input/ (README.md there says how
// a case is written). Each case runs the real cspwatch binary as a child with an address-space
// limit of 1 GiB, a file-size limit and a time limit, and must end with an exit status (never a
// signal: no crash, no memory blow-up, no flood of output) within the limit, with a clear error
// on stderr that names the file (and for YAML and CSV the line and column). The scan cases start
// from a database that holds a good scan's findings and must leave them as they were: nothing
// resolved, nothing new; a tenant whose API answer was bad is reported as could-not-check.
//
// The runs: bad_input_run.h; the corpus's cases: bad_input_cases.h; the world and the good scan:
// bad_input_world.h.
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/DeflatingStream.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "common/text.h"
#include "sim/api.h"
#include "tests/faults/bad_input_cases.h"
#include "tests/faults/bad_input_run.h"
#include "tests/faults/bad_input_world.h"
#include "tests/support/cli_runner.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::testing::bad_input;
using cspwatch::testing::TempDir;

namespace {

// Summary for the log: the costliest run of a kind.
void report(const std::string& kind, size_t cases, double slowest, const std::string& which) {
  WARN(cases << " " << kind << " case(s); the costliest run took " << slowest << " s of CPU ("
             << which << ")");
}

std::string gzip(const std::string& plain) {
  std::ostringstream out;
  Poco::DeflatingOutputStream z(out, Poco::DeflatingStreamBuf::STREAM_GZIP, 1);
  z << plain;
  z.close();
  return out.str();
}

}  // namespace

TEST_CASE("bad input: a malformed config is a clear error in bounded time", "[faults][bad-input]") {
  TempDir tmp;
  double slowest = 0;
  std::string which;
  const auto cases = loadCases("config");
  for (const auto& c : cases) {
    const std::string path = tmp.file(c.name);
    place(c, path);
    Run r = runCspwatch({"-c", path, "config", "check"}, tmp.path());
    checkRun(c, r, path, {2});
    if (r.cpu_seconds > slowest) slowest = r.cpu_seconds, which = c.name;
  }
  report("config", cases.size(), slowest, which);
}

TEST_CASE("bad input: a malformed rule file is a clear error and changes nothing stored",
          "[faults][bad-input]") {
  TempDir tmp;
  World world;
  const auto& good = world.baseline("json", tmp);
  double slowest = 0;
  std::string which;
  const auto cases = loadCases("rules");
  for (const auto& c : cases) {
    // In a rules directory of its own, as /etc/cspwatch/rules.d would hold it.
    const std::string dir = tmp.file("rules-" + c.name);
    const std::string rules_dir = dir + "/rules.d";
    REQUIRE(makeDirectories(rules_dir, 0755));
    const std::string path = rules_dir + "/" + c.name;
    place(c, path);
    Run r = runCspwatch({"rules", "check", rules_dir}, dir);
    checkRun(c, r, path, {1});
    if (r.cpu_seconds > slowest) slowest = r.cpu_seconds, which = c.name;
    if (r.exit_code != 1) continue;  // a rule set that loads (an empty file: a warning)
    // A scan with this rule set refuses to start and leaves the database as it was.
    const std::string cfg = world.prepare(dir, "inventory.json", rules_dir);
    World::restore(good, dir);
    Run scan = runCspwatch({"-c", cfg, "scan", "--once", "--now", kLater}, dir);
    INFO(c.name << ": the scan: " << scan.describe());
    CHECK(scan.exit_code == 2);
    CHECK(storedFindings(cfg) == good.findings);
  }
  report("rules", cases.size(), slowest, which);
}

TEST_CASE("bad input: a malformed inventory is a clear error and resolves nothing",
          "[faults][bad-input]") {
  TempDir tmp;
  World world;
  double slowest = 0;
  std::string which;
  const auto cases = loadCases("inventory");
  for (const auto& c : cases) {
    const auto& good = world.baseline(c.extension() == "csv" ? "csv" : "json", tmp);
    const std::string dir = tmp.file("inventory-" + c.name);
    const std::string name = "inventory." + std::string(c.extension() == "csv" ? "csv" : "json");
    const std::string cfg = world.prepare(dir, name);
    World::restore(good, dir);
    const std::string path = dir + "/" + name;
    place(c, path, world.inventoryVars());
    Run r = runCspwatch({"-c", cfg, "scan", "--once", "--format", "json", "--now", kLater}, dir);
    checkRun(c, r, path, {0, 1});
    if (r.cpu_seconds > slowest) slowest = r.cpu_seconds, which = c.name;
    INFO(c.name << ": " << r.describe());
    // Rows that could not be read count nothing towards tenant-gone (tenant_gone_after_scans
    // is 1 here): the stored findings are those of the good scan.
    CHECK(storedFindings(cfg) == good.findings);
    if (r.exit_code == 0) {
      auto doc = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
      CHECK(doc->getValue<std::string>("status") == "partial");
      CHECK(doc->getObject("findings")->getValue<int>("resolved") == 0);
    }
  }
  report("inventory", cases.size(), slowest, which);
}

TEST_CASE(
    "bad input: a malformed API answer leaves its tenant could-not-check and resolves nothing",
    "[faults][bad-input]") {
  TempDir tmp;
  World world;
  const auto& good = world.baseline("json", tmp);
  const std::string target = world.target();
  double slowest = 0;
  std::string which;
  const auto cases = loadCases("api");
  for (const auto& c : cases) {
    const std::string dir = tmp.file("api-" + c.name);
    const std::string cfg = world.prepare(dir, "inventory.json");
    World::restore(good, dir);
    // Which requests get the bad answer: one of the target tenant's, or a whole list's.
    const std::map<std::string, std::string> routes = {
        {"customer", "/pc/v1/customers/" + target},
        {"relationships", "/pc/v1/customers/" + target + "/relationships"},
        {"organization", "/graph/v1.0/organization"},
        {"partners", "/graph/v1.0/policies/crossTenantAccessPolicy/partners"},
        {"customers", "/pc/v1/customers"},
        {"admin-relationships", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships"}};
    INFO(c.name);
    REQUIRE(routes.count(c.route) == 1);
    const std::string route_path = routes.at(c.route);
    const bool customer_side = c.route == "organization" || c.route == "partners";
    const bool whole_list = c.route == "customers" || c.route == "admin-relationships";
    const std::string body = c.gzip ? gzip(c.content()) : c.content();
    world.api().setOverride(
        [&](const sim::Request& req, const std::string& tenant) -> std::optional<sim::Response> {
          if (req.path != route_path || (customer_side && tenant != target)) return std::nullopt;
          sim::Response resp;
          resp.status = c.status;
          std::string self = req.base_url + req.path;
          for (const auto& [k, v] : req.query)
            self += (self.find('?') == std::string::npos ? "?" : "&") + k + "=" + v;
          resp.body = replaceAll(body, "@@self@@", self);
          resp.headers = c.headers;
          if (c.gzip) resp.headers.push_back({"Content-Encoding", "gzip"});
          return resp;
        });
    Run r = runCspwatch({"-c", cfg, "scan", "--once", "--format", "json", "--now", kLater}, dir);
    world.api().setOverride(nullptr);
    checkRun(c, r, "", {0});
    if (r.cpu_seconds > slowest) slowest = r.cpu_seconds, which = c.name;
    INFO(r.describe());
    if (r.exit_code != 0) continue;
    // Nothing stored changed: the bad answer neither resolved nor added a finding.
    CHECK(storedFindings(cfg) == good.findings);
    // And the tenant (for a list: every tenant) is reported could-not-check, saying why.
    auto diff = testing::cliRun({"-c", cfg, "scans", "diff", "1", "2", "--format", "json"});
    REQUIRE(diff.code == 0);
    auto doc = Poco::JSON::Parser().parse(diff.out).extract<Poco::JSON::Object::Ptr>();
    CHECK(doc->getArray("resolved")->size() == 0);
    CHECK(doc->getArray("new")->size() == 0);
    auto unknown = doc->getArray("became_unknown");
    std::string reasons;
    for (size_t i = 0; i < unknown->size(); ++i) {
      auto u = unknown->getObject(static_cast<unsigned>(i));
      if (whole_list || u->getValue<std::string>("tenant_id") == target)
        reasons += u->getValue<std::string>("reason") + "\n";
    }
    INFO("could-not-check reasons of " << target << ":\n" << reasons);
    CHECK(!reasons.empty());
    for (const auto& e : c.expects) {
      INFO("expected in the reason: " << e);
      CHECK(reasons.find(e) != std::string::npos);
    }
  }
  report("api", cases.size(), slowest, which);
}

TEST_CASE("bad input: valid answers of unusual shape are read, not refused as malformed",
          "[faults][bad-input]") {
  // Found by review of the strict readers: Partner Center answers "items": null (or leaves it
  // out) for a customer without indirect resellers, and an open GDAP invitation names a
  // customer whose tenantId is still null or empty. Neither is malformed: refusing them made
  // every such customer could-not-check.
  TempDir tmp;
  World world;
  const auto& good = world.baseline("json", tmp);
  const std::string target = world.target();
  const std::vector<std::pair<std::string, std::string>> answers = {
      {"/pc/v1/customers/" + target + "/relationships",
       R"({"totalCount":0,"items":null,"attributes":{"objectType":"Collection"}})"},
      {"/pc/v1/customers/" + target + "/relationships",
       R"({"totalCount":0,"attributes":{"objectType":"Collection"}})"},
      {"/graph/v1.0/tenantRelationships/delegatedAdminRelationships",
       R"({"value":[{"id":"inv-1","displayName":"open invitation","status":"created",)"
       R"("customer":{"tenantId":null,"displayName":null}},{"id":"inv-2","status":"created",)"
       R"("customer":{"tenantId":"","displayName":""}}]})"}};
  int n = 0;
  for (const auto& answer : answers) {
    const std::string& path = answer.first;  // not a structured binding: lambdas capture it
    const std::string& body = answer.second;
    const std::string dir = tmp.file("valid-" + std::to_string(++n));
    const std::string cfg = world.prepare(dir, "inventory.json");
    World::restore(good, dir);
    world.api().setOverride(
        [&](const sim::Request& req, const std::string&) -> std::optional<sim::Response> {
          if (req.path != path) return std::nullopt;
          sim::Response resp;
          resp.status = 200;
          resp.body = body;
          return resp;
        });
    Run r = runCspwatch({"-c", cfg, "scan", "--once", "--format", "json", "--now", kLater}, dir);
    world.api().setOverride(nullptr);
    INFO(path << " answered " << body << "\n" << r.describe());
    REQUIRE(r.exit_code == 0);
    auto diff = testing::cliRun({"-c", cfg, "scans", "diff", "1", "2", "--format", "json"});
    REQUIRE(diff.code == 0);
    auto doc = Poco::JSON::Parser().parse(diff.out).extract<Poco::JSON::Object::Ptr>();
    auto unknown = doc->getArray("became_unknown");
    for (size_t i = 0; i < unknown->size(); ++i) {
      const std::string reason =
          unknown->getObject(static_cast<unsigned>(i))->getValue<std::string>("reason");
      INFO(reason);
      CHECK(reason.find("malformed") == std::string::npos);
    }
  }
}
