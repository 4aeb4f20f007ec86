// SPDX-License-Identifier: Apache-2.0
// The shipped alerting rules (etc/prometheus/cspwatch.rules.yml) against the daemon's metrics:
// every cspwatch_* name a rule's expression uses, and every series its unit tests feed
// promtool, must be a family daemon/metrics.cpp exports (as a fresh registry's HELP and TYPE
// lines list them), so that renaming a metric or a typo in a rule fails here instead of
// silently never firing. promtool itself runs the rules (tests/prometheus/CMakeLists.txt).
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include "daemon/metrics.h"
#include "tests/support/prometheus.h"
#include "tests/support/temp_dir.h"

using cspwatch::testing::sourcePath;

namespace {

// Not exported yet: none (the list stays, so that a rule written ahead of its metric says so
// here; the test below fails once one on it is exported).
const std::set<std::string> kNotYetExported = {};

// The cspwatch_* names in `text` (a PromQL expression or a series selector).
std::set<std::string> metricNames(const std::string& text) {
  static const std::regex kName("cspwatch_[a-z_]+");
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it)
    out.insert(it->str());
  return out;
}

// The families a fresh registry writes (every family's HELP and TYPE lines are always there).
std::set<std::string> exportedFamilies() {
  const cspwatch::testing::Exposition x =
      cspwatch::testing::parse(cspwatch::daemon::Metrics().prometheusText());
  REQUIRE(x.errors.empty());
  std::set<std::string> out;
  for (const auto& [name, type] : x.types) out.insert(name);
  return out;
}

// Each rule's expression, by alert (or record) name.
std::vector<std::pair<std::string, std::string>> ruleExpressions() {
  const YAML::Node doc = YAML::LoadFile(sourcePath("etc/prometheus/cspwatch.rules.yml"));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& group : doc["groups"])
    for (const auto& rule : group["rules"]) {
      const std::string name =
          rule["alert"] ? rule["alert"].as<std::string>() : rule["record"].as<std::string>();
      out.emplace_back(name, rule["expr"].as<std::string>());
    }
  return out;
}

}  // namespace

TEST_CASE("prometheus: every metric the alerting rules name is one the daemon exports",
          "[prometheus]") {
  const std::set<std::string> exported = exportedFamilies();
  const auto rules = ruleExpressions();
  REQUIRE(rules.size() >= 10);
  std::set<std::string> used;
  for (const auto& [alert, expr] : rules) {
    const std::set<std::string> names = metricNames(expr);
    for (const auto& name : names) {
      INFO(alert << " uses " << name);
      CHECK((exported.count(name) == 1 || kNotYetExported.count(name) == 1));
      used.insert(name);
    }
  }
  // The parse found the rules' names: the core ones are there.
  for (const char* name :
       {"cspwatch_last_successful_scan_timestamp_seconds", "cspwatch_scan_interval_seconds",
        "cspwatch_sign_in_failing", "cspwatch_checks_unknown", "cspwatch_mail_failed_total",
        "cspwatch_outbox_oldest_queued_timestamp_seconds"}) {
    INFO(name);
    CHECK(used.count(name) == 1);
  }
  for (const auto& name : kNotYetExported) {
    INFO(name << " is exported now: take it off kNotYetExported");
    CHECK(exported.count(name) == 0);
    CHECK(used.count(name) == 1);
  }
}

TEST_CASE("prometheus: the rules' unit tests feed only series the daemon exports (and up)",
          "[prometheus]") {
  const std::set<std::string> exported = exportedFamilies();
  const YAML::Node doc = YAML::LoadFile(sourcePath("tests/prometheus/cspwatch.rules.test.yml"));
  size_t series = 0;
  for (const auto& test : doc["tests"])
    for (const auto& input : test["input_series"]) {
      const std::string selector = input["series"].as<std::string>();
      ++series;
      INFO(selector);
      const std::set<std::string> names = metricNames(selector);
      if (selector.rfind("up{", 0) == 0) {
        CHECK(names.empty());
        continue;
      }
      REQUIRE(names.size() == 1);
      CHECK((exported.count(*names.begin()) == 1 || kNotYetExported.count(*names.begin()) == 1));
    }
  CHECK(series > 20);
}

TEST_CASE("prometheus: the name finder reads names out of PromQL", "[prometheus]") {
  CHECK(metricNames("time() - max by (job) (cspwatch_last_scan_timestamp_seconds) > 2 * "
                    "cspwatch_scan_interval_seconds") ==
        std::set<std::string>{"cspwatch_last_scan_timestamp_seconds",
                              "cspwatch_scan_interval_seconds"});
  CHECK(metricNames("changes(cspwatch_lease_held[1h]) > 4 or up{job=~\".*cspwatch.*\"}") ==
        std::set<std::string>{"cspwatch_lease_held"});
  CHECK(metricNames("absent(up)").empty());
}
