// SPDX-License-Identifier: Apache-2.0
// Broken rule files: the corpus in tests/rules/broken/ (its README.md says how a case is
// written). The loader must reject every one and report its errors, in order, with their stable
// codes at the exact 1-based line and column of the offending text (inside the expression for
// condition, subject and template errors, also in block and quoted scalars).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "rules/rule_loader.h"
#include "tenants/tenant_value.h"
#include "tests/support/temp_dir.h"

using cspwatch::Diagnostic;
using cspwatch::Severity;
using cspwatch::rules::LoadResult;
using cspwatch::rules::RuleSource;

namespace {

// How many cases the corpus held when its cases moved out of this file (73 from its table, 3
// from its tests of several mistakes): removing one must be a decision, not an accident.
constexpr size_t kCasesWhenMoved = 76;

struct Expect {
  std::string file;  // the file the error points into
  int line = 0;
  int column = 0;
  std::string code;
  std::string says;  // a substring of the message or the hint; may be empty
};

struct Case {
  std::string name;  // the case's file name
  std::string why;
  std::vector<Expect> expects;
  std::optional<size_t> errors;   // the exact number of errors, when given
  std::vector<RuleSource> files;  // in load order
  std::string problem;            // what is wrong with the case file itself; "" if nothing
};

// "broken.yaml:3:13: rules.yaml-syntax: YAML syntax error"
std::optional<Expect> parseExpect(const std::string& text) {
  static const std::regex kExpect(R"(^([^:]+):([0-9]+):([0-9]+): ([a-z]+\.[a-z-]+)(: (.*))?$)");
  std::smatch m;
  if (!std::regex_match(text, m, kExpect)) return std::nullopt;
  return Expect{m[1].str(), std::stoi(m[2].str()), std::stoi(m[3].str()), m[4].str(), m[6].str()};
}

// Reads a case from its text; c.problem says what is wrong with it, if anything.
Case parseCase(const std::string& name, const std::string& text) {
  Case c;
  c.name = name;
  std::string& problem = c.problem;
  static const std::regex kHeader(R"(^# ([a-z-]+): (.*)$)");
  const std::string kFile = "# file: ";
  size_t pos = 0;
  int line = 0;
  bool crlf = false;
  while (pos < text.size() && text.compare(pos, kFile.size(), kFile) != 0) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string header = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    std::smatch m;
    const std::string at = name + ":" + std::to_string(line) + ": ";
    if (!std::regex_match(header, m, kHeader)) {
      problem = at + "'" + header + "' is not a header line (# key: value) nor '# file: NAME'";
      return c;
    }
    const std::string key = m[1].str(), value = m[2].str();
    if (key == "why") {
      c.why += (c.why.empty() ? "" : " ") + value;
    } else if (key == "expect") {
      auto e = parseExpect(value);
      if (!e) {
        problem = at + "expect is FILE:LINE:COLUMN: CODE: TEXT, found '" + value + "'";
        return c;
      }
      c.expects.push_back(*e);
    } else if (key == "errors") {
      c.errors = std::stoul(value);
    } else if (key == "line-ends" && value == "crlf") {
      crlf = true;
    } else {
      problem = at + "unknown header '" + key + ": " + value + "'";
      return c;
    }
  }
  // The files: each from the line after its "# file: NAME" line up to the next such line.
  while (pos < text.size()) {
    const size_t eol = std::min(text.find('\n', pos), text.size());
    RuleSource file{text.substr(pos + kFile.size(), eol - pos - kFile.size()), ""};
    const size_t body = std::min(eol + 1, text.size());
    const size_t marker = text.find("\n" + kFile, eol);
    const size_t end = marker == std::string::npos ? text.size() : marker + 1;
    for (size_t i = body; i < end; ++i) {
      if (crlf && text[i] == '\n') file.text += '\r';
      file.text += text[i];
    }
    c.files.push_back(std::move(file));
    pos = end;
  }
  if (c.files.empty())
    problem = name + ": no '# file: NAME' line, so no rule file";
  else if (c.expects.empty())
    problem = name + ": no '# expect:' line; every case says what it must report";
  return c;
}

// Every case of tests/rules/broken/, in name order.
std::vector<Case> corpus() {
  std::vector<std::string> paths;
  const std::string dir = cspwatch::testing::sourcePath("tests/rules/broken");
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename() != "README.md") paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  std::vector<Case> cases;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    cases.push_back(parseCase(std::filesystem::path(path).filename().string(), text.str()));
  }
  return cases;
}

LoadResult load(const std::vector<RuleSource>& sources) {
  return cspwatch::rules::loadRules(sources, {&cspwatch::tenants::tenantType()});
}

std::vector<Diagnostic> errorsOf(const LoadResult& r) {
  std::vector<Diagnostic> out;
  for (const auto& d : r.diagnostics.items())
    if (d.severity == Severity::kError) out.push_back(d);
  return out;
}

void checkDiagnostic(const Diagnostic& d, const Expect& e) {
  CHECK(d.code == e.code);
  CHECK(d.location.file == e.file);
  CHECK(d.location.line == e.line);
  CHECK(d.location.column == e.column);
  if (!e.says.empty()) CHECK_THAT(d.message + " | " + d.hint, Catch::Contains(e.says));
}

}  // namespace

TEST_CASE("rule loader: each broken file reports its errors in order at the exact positions",
          "[rules][loader][errors]") {
  const std::vector<Case> cases = corpus();
  REQUIRE(cases.size() >= kCasesWhenMoved);
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      LoadResult r = load(c.files);
      INFO(c.name << ": " << c.why);
      INFO(r.diagnostics.renderText());
      INFO(c.problem);
      REQUIRE(c.problem.empty());
      CHECK_FALSE(r.ok());
      CHECK(r.rules == nullptr);
      auto errors = errorsOf(r);
      if (c.errors) CHECK(errors.size() == *c.errors);
      REQUIRE(errors.size() >= c.expects.size());
      for (size_t i = 0; i < c.expects.size(); ++i) checkDiagnostic(errors[i], c.expects[i]);
    }
  }
}

TEST_CASE("rule loader: the broken files cover every error code the loader documents",
          "[rules][loader][errors]") {
  std::set<std::string> covered;
  for (const auto& c : corpus())
    if (!c.expects.empty()) covered.insert(c.expects.front().code);
  for (const auto& [code, meaning] : cspwatch::rules::ruleDiagnosticCodes()) {
    if (meaning.rfind("(warning)", 0) == 0) continue;
    INFO(code << ": " << meaning);
    CHECK(covered.count(code) == 1);
  }
}

TEST_CASE("rule loader: a broken-file case without an expectation is refused",
          "[rules][loader][errors]") {
  CHECK_THAT(
      parseCase("quiet.yaml", "# why: says nothing\n# file: broken.yaml\nrules: 3\n").problem,
      Catch::Contains("no '# expect:' line"));
  CHECK_THAT(parseCase("typo.yaml", "# expcet: broken.yaml:1:1: rules.wrong-type\n# file: b.yaml\n")
                 .problem,
             Catch::Contains("unknown header 'expcet"));
  CHECK_THAT(
      parseCase("nofile.yaml", "# expect: broken.yaml:1:1: rules.wrong-type\nrules: 3\n").problem,
      Catch::Contains("not a header line"));

  const Case c = parseCase("two.yaml",
                           "# why: two files\n# expect: b.yaml:1:8: rules.wrong-type: must be\n"
                           "# errors: 1\n# line-ends: crlf\n# file: a.yaml\nlists: {}\n"
                           "# file: b.yaml\nrules: 3\n");
  CHECK(c.problem.empty());
  REQUIRE(c.files.size() == 2);
  CHECK(c.files[0].name == "a.yaml");
  CHECK(c.files[0].text == "lists: {}\r\n");
  CHECK(c.files[1].name == "b.yaml");
  CHECK(c.files[1].text == "rules: 3\r\n");
  REQUIRE(c.expects.size() == 1);
  CHECK(c.expects[0].file == "b.yaml");
  CHECK(c.expects[0].line == 1);
  CHECK(c.expects[0].column == 8);
  CHECK(c.expects[0].code == "rules.wrong-type");
  CHECK(c.expects[0].says == "must be");
  CHECK(c.errors == 1u);
}

TEST_CASE("rule loader: a file with only a warning still loads", "[rules][loader][errors]") {
  const std::string text = R"(lists:
  spare_domains: [a.example]
rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
)";
  LoadResult r = load({{"warn.yaml", text}});
  INFO(r.diagnostics.renderText());
  REQUIRE(r.ok());
  CHECK(r.diagnostics.errorCount() == 0);
  REQUIRE(r.diagnostics.items().size() == 1);
  const Diagnostic& d = r.diagnostics.items().front();
  CHECK(d.severity == Severity::kWarning);
  CHECK(d.code == "rules.unused-list");
  CHECK(d.location.file == "warn.yaml");
  CHECK(d.location.line == 2);
  CHECK(d.location.column == 3);
  CHECK_THAT(d.message, Catch::Contains("spare_domains"));
}
