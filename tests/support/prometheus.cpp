// SPDX-License-Identifier: Apache-2.0
#include "tests/support/prometheus.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <sstream>

namespace cspwatch::testing {

namespace {

// [a-zA-Z_:][a-zA-Z0-9_:]* for a metric name; the same without ':' for a label name.
bool isName(const std::string& s, bool colon) {
  auto first = [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  };
  if (s.empty() || !first(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(),
                     [&](char c) { return first(c) || (c >= '0' && c <= '9'); });
}
bool isMetricName(const std::string& s) { return isName(s, true); }
bool isLabelName(const std::string& s) { return isName(s, false); }

std::optional<double> parseValue(const std::string& s) {
  if (s == "NaN" || s == "+Inf" || s == "-Inf") return 0.0;  // valid; no test expects them
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (*end != '\0') return std::nullopt;
  return v;
}

// Labels of a sample line from `pos` (just after '{') to the closing '}'; advances `pos`.
std::optional<LabelSet> parseLabels(const std::string& line, std::size_t& pos, std::string& error) {
  auto err = [&](const std::string& why) -> std::optional<LabelSet> {
    error = why;
    return std::nullopt;
  };
  LabelSet labels;
  while (pos < line.size() && line[pos] != '}') {
    const std::size_t eq = line.find('=', pos);
    if (eq == std::string::npos) return err("label without '='");
    const std::string name = line.substr(pos, eq - pos);
    if (!isLabelName(name)) return err("bad label name " + name);
    pos = eq + 1;
    if (pos >= line.size() || line[pos] != '"') return err("unquoted label value");
    ++pos;
    std::string value;
    for (;;) {
      if (pos >= line.size()) return err("unterminated label value");
      const char c = line[pos++];
      if (c == '"') break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (pos >= line.size()) return err("dangling backslash");
      const char e = line[pos++];
      if (e == '\\')
        value += '\\';
      else if (e == '"')
        value += '"';
      else if (e == 'n')
        value += '\n';
      else
        return err(std::string("bad escape \\") + e);
    }
    if (!labels.emplace(name, value).second) return err("label twice: " + name);
    if (pos < line.size() && line[pos] == ',') ++pos;
  }
  if (pos >= line.size()) return err("no closing brace");
  ++pos;  // '}'
  return labels;
}

}  // namespace

Exposition parse(const std::string& text) {
  Exposition x;
  if (!text.empty() && text.back() != '\n') x.errors.push_back("no final line end");
  std::istringstream in(text);
  std::string line;
  std::string current;            // the family whose samples may follow
  std::set<std::string> started;  // families whose samples began (they must be contiguous)
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto fail = [&](const std::string& why) {
      x.errors.push_back("line " + std::to_string(n) + ": " + why + ": " + line);
    };
    if (line.empty()) {
      fail("empty line");
      continue;
    }
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, kind, name;
      words >> hash >> kind >> name;
      if (hash != "#" || (kind != "HELP" && kind != "TYPE")) {
        fail("a comment that is neither HELP nor TYPE");
        continue;
      }
      if (!isMetricName(name)) fail("bad metric name");
      std::string rest;
      std::getline(words, rest);
      if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
      if (started.count(name)) fail(kind + " after the family's samples");
      if (kind == "HELP") {
        if (!x.helps.emplace(name, rest).second) fail("HELP twice");
        if (rest.empty()) fail("empty HELP");
      } else {
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                     "untyped"};
        if (!kTypes.count(rest)) fail("bad TYPE " + rest);
        if (!x.types.emplace(name, rest).second) fail("TYPE twice");
      }
      current = name;
      continue;
    }
    std::size_t pos = line.find_first_of("{ ");
    if (pos == std::string::npos) {
      fail("no value");
      continue;
    }
    const std::string name = line.substr(0, pos);
    if (!isMetricName(name)) fail("bad metric name");
    if (name != current || !x.helps.count(name) || !x.types.count(name))
      fail("sample without HELP and TYPE just before its family");
    started.insert(name);
    LabelSet labels;
    if (line[pos] == '{') {
      ++pos;
      std::string error;
      auto parsed = parseLabels(line, pos, error);
      if (!parsed) {
        fail(error);
        continue;
      }
      labels = *parsed;
    }
    if (pos >= line.size() || line[pos] != ' ') {
      fail("no space before the value");
      continue;
    }
    const auto value = parseValue(line.substr(pos + 1));
    if (!value) {
      fail("bad value");
      continue;
    }
    if (x.types[name] == "counter" && *value < 0) fail("negative counter");
    if (!x.samples.emplace(std::make_pair(name, labels), *value).second) fail("duplicate series");
  }
  return x;
}

}  // namespace cspwatch::testing
