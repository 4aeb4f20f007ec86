// SPDX-License-Identifier: Apache-2.0
#include "cli/rule_tests.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <limits.h>
#include <stdlib.h>

#include "common/file_util.h"
#include "common/text.h"
#include "common/yaml_util.h"
#include "config/app_config.h"
#include "config/rule_files.h"
#include "tenants/tenant_json.h"
#include "tenants/tenant_value.h"

namespace cspwatch::cli {

namespace {

constexpr const char* kPrefix = "rule-test";

std::string dirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// The rule file a test file belongs to: "dir/60-x.test.yaml" -> "dir/60-x.yaml".
std::string ownRuleFile(const std::string& test_file) {
  return test_file.substr(0, test_file.size() - std::string(".test.yaml").size()) + ".yaml";
}

// Whether two paths name the same file (as given, or once resolved).
bool samePath(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char ra[PATH_MAX], rb[PATH_MAX];
  return ::realpath(a.c_str(), ra) != nullptr && ::realpath(b.c_str(), rb) != nullptr &&
         std::string(ra) == rb;
}

struct Expectation {
  std::string rule;  // or "*"
  rules::Outcome outcome = rules::Outcome::kPass;
  bool subjects_given = false;
  std::set<std::string> subjects;
  SourceLocation where;
};

// Runs one test file. Keeps the file's YAML documents alive while its nodes are used.
class TestFile {
 public:
  TestFile(std::string path, const rules::RuleSet& rules,
           const std::vector<rules::RuleSource>& rule_files, const PartnerIdentity* default_partner,
           RuleTestReport& report)
      : path_(std::move(path)),
        rules_(rules),
        rule_files_(rule_files),
        default_partner_(default_partner),
        report_(report) {}

  void run() {
    auto text = readWholeFile(path_);
    if (!text) {
      report_.diagnostics.error("rule-test.unreadable", {path_, 0, 0}, text.status().message());
      return;
    }
    Diagnostics& d = report_.diagnostics;
    auto doc = parseYamlDocument(path_, *text, kPrefix, d);
    if (!doc) return;
    YamlMap top(*doc, path_, kPrefix, "", d);
    if (!top.valid()) return;
    top.checkKeys({"partner", "now", "rules", "fixtures", "tests"});
    if (!readScope(top)) return;
    std::optional<PartnerIdentity> partner;
    if (top.has("partner")) {
      partner = config::readPartnerSection(top.get("partner"), path_, d);
      if (!partner) return;
    } else if (default_partner_ != nullptr) {
      partner = *default_partner_;
    } else {
      top.error("missing-key", top.location(), "no partner identity for the rules",
                "add a 'partner' section, or pass --config with one");
      return;
    }
    std::optional<Timestamp> now = top.getTimestamp("now");
    if (top.has("fixtures")) readFixtures(top.get("fixtures"));
    YAML::Node tests = top.get("tests");
    if (!tests.IsSequence() || tests.size() == 0) {
      top.error("missing-key", top.location(), "a test file needs a non-empty 'tests' list");
      return;
    }
    const Value partner_value = rules::RuleSet::partnerValue(*partner);
    for (const auto& t : tests) runTest(t, now, partner_value);
  }

 private:
  // The rules '*' stands for (docs/rules.md#rule-tests): the ids in `rules:`, or else the rules
  // defined in the test file's own rule file. False (reported) when there is neither.
  bool readScope(YamlMap& top) {
    Diagnostics& d = report_.diagnostics;
    if (top.has("rules")) {
      YAML::Node list = top.get("rules");
      if (!list.IsSequence() || list.size() == 0) {
        top.error("wrong-type", top.valueLocation("rules"),
                  "'rules' lists the ids of the rules this file tests, e.g. [dap-enabled]");
        return false;
      }
      const size_t errors = d.errorCount();
      for (const auto& n : list) {
        const std::string id = n.IsScalar() ? n.Scalar() : "";
        if (rules_.find(id) != nullptr)
          scope_.insert(id);
        else
          unknownRule(id, locationFromMark(path_, n.Mark()));
      }
      return d.errorCount() == errors;
    }
    const std::string own = ownRuleFile(path_);
    auto file = std::find_if(rule_files_.begin(), rule_files_.end(),
                             [&](const rules::RuleSource& s) { return samePath(s.name, own); });
    if (file == rule_files_.end()) {
      d.error("rule-test.no-rule-file", top.location(),
              "this test file has no rule file of its own (" + own +
                  " is not among the rules loaded) and names no rules",
              "name it after the rule file it tests (60-x.test.yaml tests 60-x.yaml, in the same "
              "directory and the paths given), or list the rules it tests: rules: [rule-id, ...]");
      return false;
    }
    for (const auto& r : rules_.rules())
      if (r.site.file == file->name) scope_.insert(r.id);
    return true;
  }

  void unknownRule(const std::string& id, const SourceLocation& where) {
    std::vector<std::string> ids;
    for (const auto& r : rules_.rules()) ids.push_back(r.id);
    report_.diagnostics.error("rule-test.unknown-rule", where, "no rule '" + id + "'",
                              didYouMean(id, ids));
  }

  // A tenant node from {file: ...} / {file: ..., tenant_id: ...} / an inline tenant.
  std::optional<YAML::Node> tenantNode(const YAML::Node& spec, const std::string& context) {
    Diagnostics& d = report_.diagnostics;
    YamlMap m(spec, path_, kPrefix, context, d);
    if (!m.valid()) return std::nullopt;
    if (!m.has("file")) return spec;
    m.checkKeys({"file", "tenant_id"});
    auto file = m.getString("file", true);
    if (!file) return std::nullopt;
    std::string full = (*file)[0] == '/' ? *file : dirOf(path_) + "/" + *file;
    auto text = readWholeFile(full);
    if (!text) {
      m.error("bad-value", m.valueLocation("file"), text.status().message());
      return std::nullopt;
    }
    auto doc = parseYamlDocument(full, *text, kPrefix, d);
    if (!doc) return std::nullopt;
    docs_.push_back(*doc);
    auto id = m.getString("tenant_id");
    if (!id) return *doc;
    YAML::Node list = doc->IsMap() && (*doc)["tenants"] ? (*doc)["tenants"] : *doc;
    for (const auto& t : list)
      if (t.IsMap() && ((t["id"] && t["id"].Scalar() == *id) ||
                        (t["tenant_id"] && t["tenant_id"].Scalar() == *id)))
        return t;
    m.error("bad-value", m.valueLocation("tenant_id"), "no tenant " + *id + " in " + full);
    return std::nullopt;
  }

  void readFixtures(const YAML::Node& node) {
    YamlMap m(node, path_, kPrefix, "fixtures", report_.diagnostics);
    if (!m.valid()) return;
    m.checkUniqueKeys();
    for (const auto& kv : node)
      if (auto t = tenantNode(kv.second, "fixture '" + kv.first.Scalar() + "'"))
        fixtures_[kv.first.Scalar()] = *t;
  }

  std::vector<Expectation> readExpect(YamlMap& m) {
    std::vector<Expectation> out;
    YAML::Node node = m.get("expect");
    if (!node.IsMap()) {
      m.error("wrong-type", m.valueLocation("expect"),
              "'expect' maps rule ids to pass, fail or unknown");
      return out;
    }
    for (const auto& kv : node) {
      Expectation e;
      e.rule = kv.first.Scalar();
      e.where = locationFromMark(path_, kv.first.Mark());
      if (e.rule != "*" && rules_.find(e.rule) == nullptr) {
        unknownRule(e.rule, e.where);
        continue;
      }
      const YAML::Node& v = kv.second;
      std::string word = v.IsScalar() ? v.Scalar() : "";
      if (v.IsMap() && v["fail"]) {
        e.outcome = rules::Outcome::kFail;
        e.subjects_given = true;
        for (const auto& s : v["fail"]) e.subjects.insert(s.Scalar());
      } else if (word == "pass" || word == "fail" || word == "unknown") {
        e.outcome = word == "pass"   ? rules::Outcome::kPass
                    : word == "fail" ? rules::Outcome::kFail
                                     : rules::Outcome::kUnknown;
      } else {
        report_.diagnostics.error(
            "rule-test.bad-expect", locationFromMark(path_, v.Mark()),
            "expected pass, fail, unknown or {fail: [subjects]}, found " + describeNode(v));
        continue;
      }
      out.push_back(std::move(e));
    }
    return out;
  }

  void runTest(const YAML::Node& node, std::optional<Timestamp> file_now, const Value& partner) {
    Diagnostics& d = report_.diagnostics;
    const size_t errors = d.errorCount();
    YamlMap m(node, path_, kPrefix, "test", d);
    if (!m.valid()) return;
    m.checkKeys({"name", "base", "tenant", "tenant_file", "tenant_id", "now", "expect"});
    std::string name = m.getString("name", true).value_or("?");
    const SourceLocation where = m.location();
    std::optional<Timestamp> now = m.has("now") ? m.getTimestamp("now") : file_now;
    if (!now) m.error("missing-key", where, "test '" + name + "' has no 'now' (nor has the file)");
    YAML::Node tenant = testTenant(m, name);
    std::vector<Expectation> expect = m.has("expect") ? readExpect(m) : std::vector<Expectation>{};
    if (!m.has("expect")) m.error("missing-key", where, "test '" + name + "' has no 'expect'");
    auto decoded = tenants::tenantFromNode(tenant, path_, kPrefix, d);
    if (d.errorCount() != errors || !decoded || !now) return;

    auto results = rules_.evaluate(tenants::tenantToValue(*decoded), partner, *now);
    std::vector<std::string> problems = mismatches(expect, results);
    if (problems.empty()) {
      ++report_.passed;
      report_.text += "PASS  " + path_ + ": " + name + "\n";
    } else {
      ++report_.failed;
      report_.text += "FAIL  " + where.str() + ": " + name + "\n";
      for (const auto& p : problems) report_.text += "        " + p + "\n";
    }
  }

  // The test's tenant: its base fixture, then its tenant_file, then its inline keys on top.
  YAML::Node testTenant(YamlMap& m, const std::string& name) {
    YAML::Node tenant(YAML::NodeType::Map);
    if (auto base = m.getString("base")) {
      auto it = fixtures_.find(*base);
      if (it == fixtures_.end()) {
        std::vector<std::string> names;
        for (const auto& [n, f] : fixtures_) names.push_back(n);
        m.error("bad-value", m.valueLocation("base"), "no fixture '" + *base + "'",
                didYouMean(*base, names));
      } else {
        tenant = YAML::Clone(it->second);
      }
    }
    if (m.has("tenant_file")) {
      YAML::Node spec(YAML::NodeType::Map);
      spec["file"] = m.get("tenant_file");
      if (m.has("tenant_id")) spec["tenant_id"] = m.get("tenant_id");
      if (auto t = tenantNode(spec, "test '" + name + "'")) tenant = YAML::Clone(*t);
    }
    if (m.has("tenant")) {
      YAML::Node overlay = m.get("tenant");
      if (!overlay.IsMap()) {
        m.error("wrong-type", m.valueLocation("tenant"),
                "'tenant' must be a mapping of tenant fields");
      } else {
        for (const auto& kv : overlay) tenant[kv.first.Scalar()] = kv.second;
      }
    }
    return tenant;
  }

  // How `r` differs from what `e` expects ("" if it does not).
  static std::string mismatch(const Expectation& e, const rules::RuleResult& r) {
    std::set<std::string> got;
    for (const auto& f : r.findings) got.insert(f.subject);
    if (r.outcome == e.outcome && (!e.subjects_given || got == e.subjects)) return "";
    std::string detail = std::string(rules::outcomeName(r.outcome));
    if (r.outcome == rules::Outcome::kFail)
      detail += " [" + join(std::vector<std::string>(got.begin(), got.end()), ", ") + "]";
    if (r.outcome == rules::Outcome::kUnknown) detail += " (" + r.unknown_reason + ")";
    std::string want = rules::outcomeName(e.outcome);
    if (e.subjects_given)
      want +=
          " [" + join(std::vector<std::string>(e.subjects.begin(), e.subjects.end()), ", ") + "]";
    return r.rule->id + ": expected " + want + ", got " + detail;
  }

  // One line for each rule whose result differs from what the test expects of it (by name, or
  // by '*' for a rule in the file's scope), and for each rule the test names that did not run.
  std::vector<std::string> mismatches(const std::vector<Expectation>& expect,
                                      const std::vector<rules::RuleResult>& results) const {
    std::vector<std::string> problems;
    auto star = std::find_if(expect.begin(), expect.end(),
                             [](const Expectation& e) { return e.rule == "*"; });
    for (const auto& r : results) {
      auto it = std::find_if(expect.begin(), expect.end(),
                             [&](const Expectation& e) { return e.rule == r.rule->id; });
      if (it == expect.end() && scope_.count(r.rule->id)) it = star;
      if (it == expect.end()) continue;
      if (std::string problem = mismatch(*it, r); !problem.empty())
        problems.push_back(std::move(problem));
    }
    for (const auto& e : expect)
      if (e.rule != "*" &&
          std::none_of(results.begin(), results.end(),
                       [&](const rules::RuleResult& r) { return r.rule->id == e.rule; }))
        problems.push_back(e.rule + ": expected " + rules::outcomeName(e.outcome) +
                           ", but the rule is disabled");
    return problems;
  }

  std::string path_;
  const rules::RuleSet& rules_;
  const std::vector<rules::RuleSource>& rule_files_;
  const PartnerIdentity* default_partner_;
  RuleTestReport& report_;
  std::set<std::string> scope_;  // the rule ids '*' stands for
  std::map<std::string, YAML::Node> fixtures_;
  std::vector<YAML::Node> docs_;
};

}  // namespace

RuleTestReport runRuleTests(const std::vector<std::string>& paths,
                            const PartnerIdentity* default_partner) {
  RuleTestReport report;
  config::RuleFiles files = config::findRuleFiles(paths);
  rules::LoadResult loaded = config::loadRuleFiles(paths);
  report.diagnostics = loaded.diagnostics;
  if (!loaded.ok()) return report;
  if (files.test_files.empty()) {
    report.diagnostics.error("rule-test.no-tests", {paths.empty() ? "" : paths.front(), 0, 0},
                             "no rule tests (*.test.yaml) found in " + join(paths, ", "));
    return report;
  }
  for (const auto& f : files.test_files)
    TestFile(f, *loaded.rules, files.sources, default_partner, report).run();
  report.text +=
      std::to_string(report.passed) + " passed, " + std::to_string(report.failed) + " failed\n";
  return report;
}

}  // namespace cspwatch::cli
