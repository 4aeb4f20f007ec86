// SPDX-License-Identifier: Apache-2.0
// Rule evaluations per second per core over the default rule pack (etc/rules.d) on a generated
// population: the demo inventory's 33 tenants (a realistic mix of healthy and broken ones)
// repeated under new ids. One evaluation = one rule against one tenant. Also prints the most steps
// one rule took for one tenant, against the default budget (docs/rules.md#evaluation-cost).
//
// Usage: rules_bench [TENANTS] [SECONDS]   (defaults 10000 and 3)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "config/rule_files.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant_value.h"

using namespace cspwatch;

namespace {

double cpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

}  // namespace

int main(int argc, char** argv) {
  const size_t population = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  const double min_seconds = argc > 2 ? std::strtod(argv[2], nullptr) : 3.0;
  const std::string root = CSPWATCH_SOURCE_DIR;

  rules::LoadResult loaded = config::loadRuleFiles({root + "/etc/rules.d"});
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s", loaded.diagnostics.renderText().c_str());
    return 1;
  }
  auto inv = tenants::loadInventoryFile(root + "/etc/demo/inventory.json");
  if (!inv) {
    std::fprintf(stderr, "%s\n", inv.status().message().c_str());
    return 1;
  }
  // Build the population: demo tenants under new ids (the last 12 hex digits count up).
  std::vector<Value> values;
  values.reserve(population);
  const double convert_start = cpuSeconds();
  for (size_t i = 0; i < population; ++i) {
    tenants::Tenant t = inv->tenants[i % inv->tenants.size()];
    char suffix[24];
    std::snprintf(suffix, sizeof suffix, "%012zx", i);
    t.id = t.id.substr(0, 24) + std::string(suffix).substr(0, 12);
    values.push_back(tenants::tenantToValue(t));
  }
  const double convert_cpu = cpuSeconds() - convert_start;

  PartnerIdentity partner{"Northwind IT Services",
                          "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64",
                          {"5123456"},
                          {"8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73"},
                          {"b7e4d1a9-2c6f-4b83-9e05-7a1d3c8f2e56"},
                          {"northwind-it.com.au"}};
  const Value partner_value = rules::RuleSet::partnerValue(partner);
  const Timestamp now = *parseTimestamp("2026-11-25T00:00:00Z");

  // The costliest rule and tenant of the demo, in steps.
  int64_t most_steps = 0;
  std::string costliest;
  for (size_t i = 0; i < inv->tenants.size() && i < values.size(); ++i)
    for (const auto& r : loaded.rules->evaluate(values[i], partner_value, now))
      if (r.steps > most_steps) {
        most_steps = r.steps;
        costliest = r.rule->id + " on " + inv->tenants[i].name;
      }

  size_t evaluations = 0, fails = 0, unknown = 0, passes = 0;
  const auto wall_start = std::chrono::steady_clock::now();
  const double cpu_start = cpuSeconds();
  while (cpuSeconds() - cpu_start < min_seconds) {
    for (const auto& v : values) {
      for (const auto& r : loaded.rules->evaluate(v, partner_value, now)) {
        ++evaluations;
        fails += r.outcome == rules::Outcome::kFail;
        unknown += r.outcome == rules::Outcome::kUnknown;
        passes += r.outcome == rules::Outcome::kPass;
      }
    }
  }
  const double cpu = cpuSeconds() - cpu_start;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::printf(
      "rules: %zu, tenants: %zu, evaluations: %zu (fail %.1f%%, unknown %.1f%%, pass %.1f%%)\n",
      loaded.rules->rules().size(), population, evaluations, 100.0 * fails / evaluations,
      100.0 * unknown / evaluations, 100.0 * passes / evaluations);
  std::printf("rule evaluations per CPU-second: %.0f (wall %.2fs, cpu %.2fs, one thread)\n",
              evaluations / cpu, wall, cpu);
  std::printf("tenant-to-value conversions per CPU-second: %.0f\n", population / convert_cpu);
  std::printf("most steps of one rule for one tenant: %lld (%s), budget %lld\n",
              static_cast<long long>(most_steps), costliest.c_str(),
              static_cast<long long>(rules::kDefaultMaxSteps));
  return 0;
}
