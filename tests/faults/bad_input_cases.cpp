// SPDX-License-Identifier: Apache-2.0
#include "tests/faults/bad_input_cases.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>

#include <Poco/File.h>
#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "common/text.h"
#include "tests/support/temp_dir.h"

namespace cspwatch::testing::bad_input {

namespace {

// "\n", "\r", "\t", "\0"... and "\xHH" in a @@"..."@@ text.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char e = s[++i];
    if (e == 'n')
      out += '\n';
    else if (e == 'r')
      out += '\r';
    else if (e == 't')
      out += '\t';
    else if (e == '0')
      out += '\0';
    else if (e == 'x' && i + 2 < s.size() + 1) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += e;
    }
  }
  return out;
}

// Expands @@repeat N "TEXT"@@ and @@"TEXT"@@ (escapes as above); @@self@@ is left for the
// server to fill in.
std::string expand(const std::string& text) {
  static const std::regex kDirective(R"re(@@(?:repeat ([0-9]+) )?"((?:[^"\\]|\\.)*)"@@)re");
  std::string out;
  auto begin = text.cbegin();
  std::smatch m;
  while (std::regex_search(begin, text.cend(), m, kDirective)) {
    out.append(begin, m[0].first);
    const size_t count = m[1].matched ? std::stoul(m[1].str()) : 1;
    const std::string unit = unescape(m[2].str());
    out.reserve(out.size() + unit.size() * count);
    for (size_t i = 0; i < count; ++i) out += unit;
    begin = m[0].second;
  }
  out.append(begin, text.cend());
  return out;
}

}  // namespace

std::string Case::content(const std::map<std::string, std::string>& vars) const {
  if (empty) return {};
  std::string out = text;
  for (const auto& [name, value] : vars) out = replaceAll(out, "@@" + name + "@@", value);
  if (line_ends == "crlf") out = replaceAll(out, "\n", "\r\n");
  if (line_ends == "cr") out = replaceAll(out, "\n", "\r");
  if (bom == "utf8") out = "\xEF\xBB\xBF" + out;
  if (bom == "utf16le") {
    std::string wide = "\xFF\xFE";
    for (char ch : out) wide += std::string(1, ch) + '\0';
    out = wide;
  }
  return out;
}

Case loadCase(const std::string& kind, const std::string& name) {
  Case c;
  c.kind = kind;
  c.name = name;
  const std::string text = testing::readFile(std::string(kCorpus) + "/" + kind + "/" + name);
  // The header: the leading "# key: value" lines with a known key.
  static const std::set<std::string> kKeys = {"expect", "exit",     "position", "line-ends",
                                              "bom",    "make",     "route",    "status",
                                              "header", "encoding", "why"};
  size_t pos = 0;
  while (pos < text.size() && text.compare(pos, 2, "# ") == 0) {
    const size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos + 2, end == std::string::npos ? end : end - pos - 2);
    const size_t colon = line.find(": ");
    if (colon == std::string::npos || !kKeys.count(line.substr(0, colon))) break;
    const std::string key = line.substr(0, colon), value = line.substr(colon + 2);
    if (key == "expect") c.expects.push_back(unescape(value));
    if (key == "exit") c.exit = std::stoi(value);
    if (key == "position") c.position = value != "none";
    if (key == "line-ends") c.line_ends = value;
    if (key == "bom") c.bom = value;
    if (key == "make") c.directory = value == "directory", c.empty = value == "empty";
    if (key == "route") c.route = value;
    if (key == "status") c.status = std::stoi(value);
    if (key == "header")
      c.headers.push_back({value.substr(0, value.find(": ")), value.substr(value.find(": ") + 2)});
    if (key == "encoding") c.gzip = value == "gzip";
    pos = end == std::string::npos ? text.size() : end + 1;
  }
  // YAML keeps the header (it is a comment there, and positions stay those of the file as
  // checked in); CSV, JSON and API bodies lose it.
  c.text = expand(c.extension() == "yaml" ? text : text.substr(pos));
  return c;
}

std::vector<Case> loadCases(const std::string& kind) {
  std::vector<Case> cases;
  for (const auto& name : testing::listDirectory(std::string(kCorpus) + "/" + kind)) {
    if (name == "README.md") continue;
    cases.push_back(loadCase(kind, name));
    INFO(kind << "/" << name);
    CHECK((!cases.back().expects.empty() || cases.back().exit));  // a case states what it wants
  }
  REQUIRE(!cases.empty());
  return cases;
}

void place(const Case& c, const std::string& path, const std::map<std::string, std::string>& vars) {
  if (Poco::File(path).exists()) Poco::File(path).remove(true);
  if (c.directory) {
    REQUIRE(makeDirectories(path, 0755));
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << c.content(vars);
  REQUIRE(out.good());
}

void checkRun(const Case& c, const Run& r, const std::string& path, std::set<int> allowed) {
  if (std::getenv("CSPWATCH_BAD_INPUT_SHOW") != nullptr)
    std::cout << "=== " << c.kind << "/" << c.name << ": " << r.describe() << "\n";
  INFO(c.kind << "/" << c.name << ": " << r.describe());
  CHECK_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  if (c.exit) allowed = {*c.exit};
  CHECK(allowed.count(r.exit_code) == 1);
  if (c.kind != "api") {
    CHECK(r.err.find(path) != std::string::npos);  // names the file
    if (c.position)                                // FILE:LINE:COLUMN
      CHECK(std::regex_search(
          r.err,
          std::regex(std::regex_replace(path, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                     ":[0-9]+:[0-9]+: ")));
    for (const auto& e : c.expects) {
      INFO("expected on stderr: " << e);
      CHECK(r.err.find(e) != std::string::npos);
    }
  }
}

}  // namespace cspwatch::testing::bad_input
