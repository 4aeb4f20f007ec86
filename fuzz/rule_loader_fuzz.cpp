// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the rule-file loader (rules/rule_loader.h), fed as config/rule_files.cpp
// feeds it: file names and texts, in load order. The input is one or more rule files' texts,
// separated by a line that is exactly `#@next-file` (a YAML comment, so a seed made of several
// files stays one valid YAML text); at most 4 files, named 10-fuzz.yaml, 20-fuzz.yaml, ... so
// that later ones can override earlier ones. When the set loads, every rule is evaluated against
// each fixture tenant (fuzz/fuzz_support.h), which renders messages and remediations too.
//
// Contracts checked beyond "no crash, no leak, no undefined behaviour": a failed load has an
// error diagnostic, a good one none; diagnostics point into the file they name; each evaluated
// rule gives a result, and only failures carry findings.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "rules/rule_loader.h"
#include "rules/rule_set.h"
#include "tenants/tenant_value.h"

using namespace cspwatch;
using namespace cspwatch::rules;

namespace {

constexpr const char* kSeparator = "#@next-file\n";
constexpr size_t kMaxFiles = 4;

std::vector<RuleSource> splitFiles(const std::string& text) {
  std::vector<RuleSource> files;
  const std::string sep = kSeparator;
  size_t start = 0;
  while (files.size() + 1 < kMaxFiles) {
    size_t at = text.find(sep, start);
    // The separator must start a line.
    while (at != std::string::npos && at > 0 && text[at - 1] != '\n') at = text.find(sep, at + 1);
    if (at == std::string::npos) break;
    files.push_back({"", text.substr(start, at - start)});
    start = at + sep.size();
  }
  files.push_back({"", text.substr(start)});
  for (size_t i = 0; i < files.size(); ++i)
    files[i].name = "/etc/cspwatch/rules.d/" + std::to_string(10 * (i + 1)) + "-fuzz.yaml";
  return files;
}

struct Fixtures {
  std::vector<Value> tenants;
  Value partner;
};

const Fixtures& fixtures() {
  static const Fixtures kFixtures = [] {
    Fixtures f;
    for (const auto& t : fuzz::fixtureTenants()) f.tenants.push_back(tenants::tenantToValue(t));
    f.partner = RuleSet::partnerValue(fuzz::fixturePartner());
    return f;
  }();
  return kFixtures;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::asText(data, size);
  const std::vector<RuleSource> files = splitFiles(text);
  LoadResult result = loadRules(files, {&tenants::tenantType()});

  std::vector<std::pair<std::string, const std::string*>> texts;
  for (const auto& f : files) texts.emplace_back(f.name, &f.text);
  fuzz::checkDiagnostics(result.diagnostics, texts);
  if (result.ok() == result.diagnostics.hasErrors())
    fuzz::fail(std::string("load ") + (result.ok() ? "succeeded with" : "failed without") +
               " errors:\n" + result.diagnostics.renderText());
  if (!result.ok()) return 0;

  const RuleSet& set = *result.rules;
  if (set.hash().size() != 16) fuzz::fail("rule set hash '" + set.hash() + "'");
  for (const auto& rule : set.rules()) {
    if (set.find(rule.id) != &rule) fuzz::fail("find('" + rule.id + "') is not the rule");
  }
  const Fixtures& f = fixtures();
  for (const Value& tenant : f.tenants) {
    std::vector<RuleResult> results = set.evaluate(tenant, f.partner, fuzz::fixtureNow());
    size_t enabled = 0;
    for (const auto& rule : set.rules()) enabled += rule.enabled ? 1 : 0;
    if (results.size() != enabled)
      fuzz::fail(std::to_string(results.size()) + " results for " + std::to_string(enabled) +
                 " enabled rules");
    for (const auto& r : results) {
      if (r.rule == nullptr) fuzz::fail("a result without its rule");
      if (r.outcome != Outcome::kFail && !r.findings.empty())
        fuzz::fail("rule " + r.rule->id + " is " + outcomeName(r.outcome) + " with findings");
      for (const auto& finding : r.findings) (void)finding.evidence.toText();
    }
  }
  return 0;
}
