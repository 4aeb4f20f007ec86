// SPDX-License-Identifier: Apache-2.0
#include "rules/rule_loader.h"

#include <cstdint>
#include <cstdio>

#include "common/yaml_util.h"
#include "rules/rule_collector.h"
#include "rules/rule_compiler.h"
#include "rules/rule_reader.h"

namespace cspwatch::rules {

namespace {

// FNV-1a over every file's base name and text: RuleSet::hash().
std::string sourcesHash(const std::vector<RuleSource>& sources) {
  uint64_t h = 1469598103934665603ULL;
  auto feed = [&h](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // separator, so ("ab","c") differs from ("a","bc")
    h *= 1099511628211ULL;
  };
  for (const auto& s : sources) {
    feed(s.name.substr(s.name.rfind('/') + 1));
    feed(s.text);
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// parseYamlDocument(), with the hint to quote or fold a plain value whose ': ' broke the YAML
// (docs/rules.md#writing-expressions-in-yaml), pointing at that ': '.
std::optional<YAML::Node> parseYaml(const RuleFile& file, Diagnostics& diags) {
  Diagnostics parsed;
  auto doc = parseYamlDocument(file.name, *file.text, kRuleCodePrefix, parsed);
  Diagnostics out;
  out.addSource(file.name, *file.text);
  for (Diagnostic d : parsed.items()) {
    if (!doc && d.severity == Severity::kError) {
      if (auto colon = colonInPlainValue(*file.text, d.location)) {
        d.message += " (the ': ' at column " + std::to_string(colon->column) +
                     " starts a mapping inside the value)";
        d.hint = kColonHint;
      }
    }
    out.add(std::move(d));
  }
  diags.append(out);
  return doc;
}

}  // namespace

LoadResult loadRules(const std::vector<RuleSource>& sources, const RuleEnvironment& env) {
  LoadResult result;
  Diagnostics& diags = result.diagnostics;
  // Reserved: records point at their file.
  std::vector<RuleFile> files;
  files.reserve(sources.size());
  for (const auto& s : sources) files.push_back({s.name, &s.text});

  // Read each file and collect what it defines, in load order, so that a later file may
  // override an earlier one; then compile the whole set.
  RuleCollector collector(diags);
  for (const auto& file : files) {
    auto doc = parseYaml(file, diags);
    if (doc) collector.collect(readRuleFile(file, *doc));
  }
  if (env.tenant_type == nullptr) {
    addRuleError(diags, "internal", {}, "", "no tenant type given to the rule loader");
    return result;
  }
  if (env.expression != nullptr) diags.addSource(kExpressionSource, *env.expression);
  result.rules = compileRules(
      {&collector.collected(), env.tenant_type, sourcesHash(sources), env.expression}, diags);
  return result;
}

std::vector<NamedDefinition> definitionsIn(const RuleSource& source) {
  std::vector<NamedDefinition> out;
  Diagnostics ignored;
  const RuleFile file{source.name, &source.text};
  auto doc = parseYamlDocument(file.name, source.text, kRuleCodePrefix, ignored);
  if (!doc) return out;
  for (const auto& item : readRuleFile(file, *doc)) {
    if (const auto* list = std::get_if<ListItem>(&item.record))
      out.push_back({true, list->name, list->where});
    else if (const auto* macro = std::get_if<MacroItem>(&item.record))
      out.push_back({false, macro->name, macro->where});
  }
  return out;
}

const std::vector<std::pair<std::string, std::string>>& ruleDiagnosticCodes() {
  static const std::vector<std::pair<std::string, std::string>> kCodes = {
      {"rules.yaml-syntax", "the file is not valid YAML"},
      {"rules.unknown-key", "a key that does not exist in that place (did-you-mean in the hint)"},
      {"rules.duplicate-key", "the same key twice in one mapping"},
      {"rules.missing-key", "a required key is missing or empty"},
      {"rules.wrong-type", "a value of the wrong YAML type (a list where a string belongs, ...)"},
      {"rules.bad-value",
       "a value that is not allowed (unknown severity, subject without for_each, ...)"},
      {"rules.bad-id", "a rule id that is not kebab-case"},
      {"rules.bad-name", "a list or macro name that is not lower_snake_case"},
      {"rules.duplicate-id", "a rule id defined twice without override"},
      {"rules.duplicate-list", "a list defined twice without override"},
      {"rules.duplicate-macro", "a macro defined twice without override"},
      {"rules.no-previous", "an override of something no earlier file defines"},
      {"rules.bad-override", "an override that is malformed or changes what it may not"},
      {"rules.syntax", "a condition, subject or template hole that does not parse"},
      {"rules.unknown-variable", "a name that is neither a variable nor a macro"},
      {"rules.unknown-field", "a field the object (tenant, relationship, ...) does not have"},
      {"rules.unknown-list", "lists.X where no list X is defined"},
      {"rules.unknown-function", "a function that does not exist"},
      {"rules.bad-call", "a function called as a method or the other way round"},
      {"rules.wrong-arity", "a function called with the wrong number of arguments"},
      {"rules.bad-macro", "has(), all(), exists(), exists_one(), filter() or map() misused"},
      {"rules.type-mismatch", "operands or arguments whose types cannot work"},
      {"rules.bad-regex", "a regular expression that does not compile"},
      {"rules.bad-template", "a message or remediation with an unclosed '{{'"},
      {"rules.bad-for-each", "for_each not of the form 'name in list'"},
      {"rules.bad-exception", "a malformed exception (comps, values)"},
      {"rules.macro-cycle", "a macro that uses itself"},
      {"rules.too-complex", "an expression too large once its macros are inlined"},
      {"rules.costly-nesting",
       "(warning) a list macro over a tenant list inside another: the product of their sizes"},
      {"rules.technical-why",
       "(warning) a rule's 'why' names an API path, an API's host or a permission"},
      {"rules.unused-list", "(warning) a list nothing uses"},
      {"rules.folded-comment",
       "(warning) a // comment in a folded block that swallows the lines after it"},
      {"rules.unused-macro", "(warning) a macro nothing uses"},
      {"rules.empty-file", "(warning) a rule file that defines nothing"},
  };
  return kCodes;
}

}  // namespace cspwatch::rules
