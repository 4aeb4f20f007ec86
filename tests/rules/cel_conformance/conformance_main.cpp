// SPDX-License-Identifier: Apache-2.0
// cel_conformance: runs every test of every testdata/*.textproto (google/cel-spec's simple
// conformance tests) through the condition language (conformance.h says how each is judged)
// and holds the result to unsupported.yaml, the one list of tests we know we do not pass.
//
// Each test ends PASS, UNSUPPORTED(feature) when it fails and unsupported.yaml lists it, or
// FAIL: a failure the list does not name, a listed test that now passes, or a listed id that
// names no test. Nothing is skipped: every test of every file is counted. Test ids are
// file/section/name; the Nth test of a name repeated within a section is name#N (N >= 2).
// Exits 1 on any FAIL, 2 when the files cannot be read; prints each FAIL and a tally.
//
//   cel_conformance [--testdata DIR] [--unsupported FILE] [--docs FILE] [--verbose]
//   cel_conformance --write-unsupported FILE   (a developer's tool; ctest never writes)
//   cel_conformance --write-docs FILE          (likewise)
//
// --docs checks that FILE (docs/rules.md) holds, between its "cel-conformance" markers, the
// tally and the unsupported features as this run renders them, so the docs cannot go stale;
// --write-docs puts them there.
//
// --write-unsupported runs everything and writes a new list: the existing features and whys
// kept, tests that now pass (or no longer exist) dropped, features left empty dropped, and each
// newly failing test under the feature guessFeature() names (conformance.h), "unclassified"
// when nothing fits.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "tests/rules/cel_conformance/conformance.h"

namespace fs = std::filesystem;
using namespace cspwatch::celconf;

namespace {

struct Result {
  std::string id;
  std::string file;
  std::string expr;
  Outcome outcome;
  std::string guess;  // failed tests only
};

struct Feature {
  std::string name;
  std::string why;
  std::vector<std::string> tests;
};

struct Options {
  std::string testdata = CEL_CONFORMANCE_DIR "/testdata";
  std::string unsupported = CEL_CONFORMANCE_DIR "/unsupported.yaml";
  std::string write_to;
  std::string docs;        // --docs: the file to check
  std::string write_docs;  // --write-docs: the file to update
  bool verbose = false;
};

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(p.string() + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every test of one file, in order, with its id.
void runFile(const fs::path& path, std::vector<Result>& out) {
  const std::string file = path.stem().string();
  const Message m = parseTextproto(readFile(path), path.string());
  std::map<std::string, int> seen;
  for (const Field* section : m.all("section")) {
    const Message& s = section->asMessage();
    const std::string section_name = s.find("name") ? s.find("name")->asString() : "";
    for (const Field* test : s.all("test")) {
      const Message& t = test->asMessage();
      Result r;
      r.file = file;
      r.id = file + "/" + section_name + "/" + (t.find("name") ? t.find("name")->asString() : "");
      const int n = ++seen[r.id];
      if (n > 1) r.id += "#" + std::to_string(n);
      try {
        r.expr = t.find("expr") ? t.find("expr")->asString() : "";
        r.outcome = runTest(t);
        if (!r.outcome.passed) r.guess = guessFeature(t, r.outcome);
      } catch (const TextprotoError& e) {
        r.outcome.actual = std::string("malformed test: ") + e.what();
        r.guess = "unclassified";
      }
      out.push_back(std::move(r));
    }
  }
}

std::vector<Feature> readUnsupported(const std::string& path) {
  std::vector<Feature> features;
  if (!fs::exists(path)) return features;
  const YAML::Node root = YAML::LoadFile(path);
  const YAML::Node list = root["features"];
  if (!list || !list.IsSequence())
    throw std::runtime_error(path + ": expected 'features:' with a list");
  for (const YAML::Node& f : list) {
    Feature feature;
    if (!f["feature"] || !f["why"])
      throw std::runtime_error(path + ":" + std::to_string(f.Mark().line + 1) +
                               ": each feature needs 'feature' and 'why'");
    feature.name = f["feature"].as<std::string>();
    feature.why = f["why"].as<std::string>();
    if (f["tests"])
      for (const YAML::Node& t : f["tests"]) feature.tests.push_back(t.as<std::string>());
    features.push_back(std::move(feature));
  }
  return features;
}

std::string yamlQuoted(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string yamlScalar(const std::string& s) {
  const bool plain = !s.empty() &&
                     (std::isalnum(static_cast<unsigned char>(s[0])) || s[0] == '_') &&
                     std::all_of(s.begin(), s.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) ||
                              std::string("_/#.+-").find(c) != std::string::npos;
                     });
  return plain ? s : yamlQuoted(s);
}

void writeUnsupported(const std::string& path, const std::vector<Feature>& features) {
  std::ofstream out(path);
  out << "# CEL conformance tests (testdata/) that the condition language does not pass, by\n"
         "# feature, each with why for operators (README.md). The cel-conformance test fails on\n"
         "# a failure not listed here, a listed test that passes and a listed id that names no\n"
         "# test, so the list stays exact. Ids are file/section/name; the Nth test of a name\n"
         "# repeated within a section is name#N. Rewrite it after a change to the language with\n"
         "#   cel_conformance --write-unsupported tests/rules/cel_conformance/unsupported.yaml\n"
         "# then sort the tests it puts under \"unclassified\" into features.\n"
         "features:\n";
  for (const Feature& f : features) {
    out << "  - feature: " << yamlScalar(f.name) << "\n";
    out << "    why: " << yamlQuoted(f.why) << "\n";
    out << "    tests:\n";
    for (const std::string& t : f.tests) out << "      - " << yamlScalar(t) << "\n";
  }
  if (!out) throw std::runtime_error(path + ": cannot write");
}

// A one-line why, for operators, for a feature guessFeature() names.
std::string featureWhy(const std::string& feature) {
  static const std::map<std::string, std::string> kWhy = {
      {"maps",
       "no maps: there is no map type or map literal ({\"a\": 1} is a syntax error), so nothing "
       "builds, indexes or iterates one; records are the tenant model's objects"},
      {"uint",
       "no unsigned integers: a u suffix is ignored (2u is the int 2, so -(2u) and 0u - 1u are "
       "ints), larger literals are syntax errors, and there is no uint type or uint()"},
      {"bytes",
       "no bytes: b\"...\" is a syntax error and there is no bytes type or bytes(); text is "
       "UTF-8 strings"},
      {"type values and type()",
       "no type values: type(), and type names (int, string, list, ...) used as values, do not "
       "exist"},
      {"dyn()",
       "no dyn(): a value is dynamically typed only where the checker cannot know its type (an "
       "empty or mixed list), never on request"},
      {"protobuf messages and wrappers",
       "no protobuf messages: no message construction (TestAllTypes{...}), wrapper types "
       "(google.protobuf.Int64Value), JSON values, Any or enums; records are the tenant model's "
       "objects"},
      {"namespaces and containers",
       "no namespaces: expressions are not evaluated in a container, and a dotted name (a.b.c) "
       "is always field selection"},
      {"optional values", "no optional values: optional.of(), x.?f and [?x] do not exist"},
      {"two-variable macros",
       "the list macros take one variable (list.all(x, ...)); the two-variable forms "
       "(list.all(i, x, ...)), existsOne() and transformList() are not offered"},
      {"format()",
       "no format(): build text with + and string(); the format() of CEL's strings extension is "
       "not offered"},
      {"string functions not offered",
       "not offered from CEL's strings extension: charAt, indexOf, lastIndexOf, substring, "
       "split, replace, reverse, strings.quote (docs/rules.md lists what is)"},
      {"timestamp accessors",
       "no timestamp or duration accessors (getFullYear(), getHours(), getSeconds(), ...): "
       "compare with timestamp() and duration() values, or count days with daysUntil() and "
       "daysSince()"},
      {"time zones",
       "no time zones: timestamps are UTC, and the accessors that take a zone "
       "(getHours('Australia/Sydney')) do not exist"},
      {"sub-second time",
       "times are kept to the second: fractions of a second are dropped, and duration() does "
       "not read ms, us or ns"},
      {"duration text form",
       "string() of a duration is the short form (\"11d13h46m40s\"), not CEL's seconds "
       "(\"1000000s\")"},
      {"conversions not offered",
       "bool() and timestamp() of an int (Unix seconds) are not offered: compare text (s == "
       "\"true\") and write times as text"},
      {"load-time checking",
       "names, functions and operand types are checked when the rules load: an unknown name or "
       "function, or a && or || operand that is not a bool, is refused even where CEL without "
       "its checker (disable_check) short-circuits past it at evaluation"},
      {"unknowns",
       "no unknown sets: a value that cannot be had is an error, and the rule is unknown"},
      {"bug: string escapes",
       "string literals refuse the escapes \\a \\b \\f \\v, octal (\\012), \\X and \\U as "
       "unknown escapes; CEL accepts them"},
      {"bug: smallest int literal",
       "-9223372036854775808 is a syntax error (integer out of range) instead of the smallest "
       "int, so overflow at the bottom of the range cannot be written (documented as a gap)"},
      {"bug: trim",
       "trim() strips only ASCII white space; CEL strips Unicode white space too (U+0085, "
       "U+00A0, U+1680, U+2000 to U+200A, U+2028, U+2029, U+202F, U+205F, U+3000)"},
      {"bug: timestamp range",
       "a timestamp before 0001-01-01 or after 9999-12-31T23:59:59Z (read or computed), or a "
       "duration beyond CEL's range of about 290 years (int64 nanoseconds), is a value, not an "
       "error"},
      {"unclassified", "TODO: sort these into features, each with a why for operators"},
  };
  const auto it = kWhy.find(feature);
  return it != kWhy.end() ? it->second : "TODO: why, for operators";
}

// The new list: the old features without passing or vanished tests, new failures added.
std::vector<Feature> updatedList(const std::vector<Feature>& old,
                                 const std::vector<Result>& results) {
  std::map<std::string, const Result*> failed;
  for (const Result& r : results)
    if (!r.outcome.passed) failed[r.id] = &r;
  std::vector<Feature> out;
  std::set<std::string> listed;
  for (const Feature& f : old) {
    Feature kept{f.name, f.why, {}};
    for (const std::string& t : f.tests)
      if (failed.count(t) && listed.insert(t).second) kept.tests.push_back(t);
    if (kept.tests.empty())
      std::cerr << "feature '" << f.name << "' has no failing test left: dropped\n";
    else
      out.push_back(std::move(kept));
  }
  for (const Result& r : results) {
    if (r.outcome.passed || listed.count(r.id)) continue;
    auto it =
        std::find_if(out.begin(), out.end(), [&](const Feature& f) { return f.name == r.guess; });
    if (it == out.end()) it = out.insert(out.end(), {r.guess, featureWhy(r.guess), {}});
    it->tests.push_back(r.id);
  }
  return out;
}

}  // namespace

namespace {

struct Tally {
  int passed = 0;
  int failed = 0;
  int unsupported = 0;
  std::map<std::string, int> by_feature;
  std::vector<std::pair<std::string, std::pair<int, int>>> by_file;  // passed, total
};

void printFail(const std::string& id, const std::string& expr, const std::string& expected,
               const std::string& actual) {
  std::cout << "FAIL " << id << "\n";
  if (!expr.empty()) std::cout << "  expr:     " << showable(expr) << "\n";
  if (!expected.empty()) std::cout << "  expected: " << expected << "\n";
  std::cout << "  actual:   " << showable(actual) << "\n";
}

// Judges every result against the list, printing each FAIL (and with --verbose every test).
Tally judge(const std::vector<Result>& results, const std::vector<Feature>& features,
            bool verbose) {
  Tally t;
  std::map<std::string, std::string> listed;  // id -> feature
  for (const Feature& f : features)
    for (const std::string& id : f.tests)
      if (!listed.emplace(id, f.name).second) {
        printFail(id, "", "", "listed twice in unsupported.yaml: remove one");
        ++t.failed;
      }
  std::set<std::string> ids;
  for (const Result& r : results) {
    ids.insert(r.id);
    if (t.by_file.empty() || t.by_file.back().first != r.file) t.by_file.push_back({r.file, {}});
    auto& [file_passed, file_total] = t.by_file.back().second;
    ++file_total;
    const auto it = listed.find(r.id);
    if (r.outcome.passed && it == listed.end()) {
      ++t.passed;
      ++file_passed;
      if (verbose) std::cout << "PASS " << r.id << ": " << showable(r.outcome.actual) << "\n";
    } else if (r.outcome.passed) {
      ++t.failed;
      printFail(r.id, r.expr, r.outcome.expected,
                "now passes: remove it from unsupported.yaml (feature '" + it->second + "')");
    } else if (it != listed.end()) {
      ++t.unsupported;
      ++t.by_feature[it->second];
      if (verbose)
        std::cout << "UNSUPPORTED(" << it->second << ") " << r.id << ": " << r.outcome.actual
                  << "\n";
    } else {
      ++t.failed;
      printFail(r.id, r.expr, r.outcome.expected, r.outcome.actual);
    }
  }
  for (const auto& [id, feature] : listed)
    if (!ids.count(id)) {
      ++t.failed;
      printFail(id, "", "",
                "listed in unsupported.yaml (feature '" + feature +
                    "') but there is no such test: remove it");
    }
  return t;
}

void printTally(const Tally& t, size_t tests, double seconds) {
  std::cout << "cel-conformance: " << tests << " tests: " << t.passed << " passed, " << t.failed
            << " failed, " << t.unsupported << " unsupported (" << std::fixed;
  std::cout.precision(2);
  std::cout << seconds << " s)\n";
  std::vector<std::pair<std::string, int>> features(t.by_feature.begin(), t.by_feature.end());
  std::stable_sort(features.begin(), features.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::cout << "  unsupported by feature:";
  for (size_t i = 0; i < features.size(); ++i)
    std::cout << (i ? ", " : " ") << features[i].first << " " << features[i].second;
  std::cout << "\n  by file:";
  for (size_t i = 0; i < t.by_file.size(); ++i)
    std::cout << (i ? ", " : " ") << t.by_file[i].first << " " << t.by_file[i].second.first << "/"
              << t.by_file[i].second.second << " passed";
  std::cout << "\n";
}

std::string withCommas(int n) {
  std::string digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return digits;
}

const char* const kDocsBegin = "<!-- cel-conformance: begin";
const char* const kDocsEnd = "<!-- cel-conformance: end -->";

// The docs' section: the tally and the unsupported features with their whys, most tests first.
std::string docsSection(const Tally& t, size_t tests, const std::vector<Feature>& features) {
  std::ostringstream out;
  out << kDocsBegin
      << " (written by cel_conformance --write-docs; ctest -L cel-conformance checks it) -->\n"
      << "Of the " << withCommas(static_cast<int>(tests)) << " tests in " << t.by_file.size()
      << " files of the suite, **" << withCommas(t.passed) << " pass**, " << t.failed
      << " fail, and " << withCommas(t.unsupported)
      << " need a feature this language does not have:\n\n| feature | tests | why "
         "|\n|---|---|---|\n";
  std::vector<const Feature*> sorted;
  for (const Feature& f : features) sorted.push_back(&f);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Feature* a, const Feature* b) {
    return a->tests.size() > b->tests.size();
  });
  for (const Feature* f : sorted) {
    std::string why = f->why;
    for (size_t i = why.find('|'); i != std::string::npos; i = why.find('|', i + 2))
      why.replace(i, 1, "\\|");
    out << "| " << f->name << " | " << f->tests.size() << " | " << why << " |\n";
  }
  out << "\n| file | passed | of |\n|---|---|---|\n";
  for (const auto& [file, counts] : t.by_file)
    out << "| " << file << " | " << counts.first << " | " << counts.second << " |\n";
  out << kDocsEnd;
  return out.str();
}

// Checks (or with `write`, updates) the section of `path`; false with a message when it is
// missing or stale.
bool docsUpToDate(const std::string& path, const std::string& section, bool write) {
  std::string text = readFile(path);
  const size_t begin = text.find(kDocsBegin);
  const size_t end = text.find(kDocsEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    std::cerr << "cel_conformance: " << path << " has no \"" << kDocsBegin << "\" ... \""
              << kDocsEnd << "\" section\n";
    return false;
  }
  const std::string current = text.substr(begin, end + std::string(kDocsEnd).size() - begin);
  if (current == section) return true;
  if (!write) {
    std::cout << "FAIL " << path << ": its conformance tally is out of date; run\n"
              << "  cel_conformance --write-docs " << path << "\n";
    return false;
  }
  text.replace(begin, current.size(), section);
  std::ofstream(path, std::ios::binary) << text;
  std::cout << "wrote " << path << "\n";
  return true;
}

bool parseOptions(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--testdata" && has_value) {
      o.testdata = argv[++i];
    } else if (a == "--unsupported" && has_value) {
      o.unsupported = argv[++i];
    } else if (a == "--write-unsupported" && has_value) {
      o.write_to = argv[++i];
    } else if (a == "--docs" && has_value) {
      o.docs = argv[++i];
    } else if (a == "--write-docs" && has_value) {
      o.write_docs = argv[++i];
    } else if (a == "--verbose" || a == "-v") {
      o.verbose = true;
    } else {
      std::cerr << "usage: cel_conformance [--testdata DIR] [--unsupported FILE] [--docs FILE] "
                   "[--verbose]\n"
                   "       cel_conformance [--testdata DIR] [--unsupported FILE] "
                   "--write-unsupported FILE | --write-docs FILE\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parseOptions(argc, argv, o)) return 2;
  const auto start = std::chrono::steady_clock::now();
  std::vector<Result> results;
  std::vector<Feature> features;
  try {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(o.testdata))
      if (entry.path().extension() == ".textproto") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw std::runtime_error(o.testdata + ": no .textproto files");
    for (const fs::path& f : files) runFile(f, results);
    features = readUnsupported(o.unsupported);
  } catch (const std::exception& e) {  // TextprotoError, YAML::Exception, filesystem_error
    std::cerr << "cel_conformance: " << e.what() << "\n";
    return 2;
  }
  if (!o.write_to.empty()) {
    const std::vector<Feature> updated = updatedList(features, results);
    try {
      writeUnsupported(o.write_to, updated);
    } catch (const std::exception& e) {
      std::cerr << "cel_conformance: " << e.what() << "\n";
      return 2;
    }
    features = updated;
    std::cout << "wrote " << o.write_to << "\n";
  }
  const Tally t = judge(results, features, o.verbose);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  printTally(t, results.size(), took.count());
  bool docs_ok = true;
  const std::string section = docsSection(t, results.size(), features);
  try {
    if (!o.docs.empty()) docs_ok = docsUpToDate(o.docs, section, false);
    if (!o.write_docs.empty()) docs_ok = docsUpToDate(o.write_docs, section, true) && docs_ok;
  } catch (const std::exception& e) {
    std::cerr << "cel_conformance: " << e.what() << "\n";
    return 2;
  }
  return t.failed == 0 && docs_ok ? 0 : 1;
}
