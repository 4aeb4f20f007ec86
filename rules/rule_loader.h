// SPDX-License-Identifier: Apache-2.0
// Loads rule files (docs/rules.md) into a RuleSet, in three stages after Falco's loader, each
// its own file: read (rules/rule_reader.h: YAML shape and types of each file), collect
// (rules/rule_collector.h: merge files in order, apply explicit overrides), compile
// (rules/rule_compiler.h: resolve names against the tenant model, compile conditions, subjects,
// messages and exceptions). Every problem in every file is collected; a rule set with any error
// is rejected whole, so a daemon can keep its last good one.
//
// Pure: takes file names and texts, touches no file system.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/value.h"
#include "rules/rule_set.h"

namespace cspwatch::rules {

struct RuleSource {
  std::string name;  // shown in diagnostics, e.g. "/etc/cspwatch/rules.d/20-gdap.yaml"
  std::string text;
};

struct RuleEnvironment {
  const ObjectType* tenant_type = nullptr;  // the `tenant` variable's type; required
  // An expression to compile beside the rules (`rules eval`): RuleSet::expression(). Its
  // problems are diagnostics of the file kExpressionSource, line 1. Null: none.
  const std::string* expression = nullptr;
};

struct LoadResult {
  std::shared_ptr<const RuleSet> rules;  // null when there is any error
  Diagnostics diagnostics;               // errors and warnings, with the sources' texts
  bool ok() const { return rules != nullptr; }
};

// `sources` in the order they apply: a later file may override an earlier one explicitly.
LoadResult loadRules(const std::vector<RuleSource>& sources, const RuleEnvironment& env);

// A list or macro a rule file defines, and where: to tell an operator who checks one file alone
// which other file defines the name it uses.
struct NamedDefinition {
  bool is_list = false;  // a list; else a macro
  std::string name;
  SourceLocation where;
};
// The lists and macros `source` defines (none when it is not valid YAML).
std::vector<NamedDefinition> definitionsIn(const RuleSource& source);

// Every diagnostic code the loader emits, with a one-line meaning (for docs and tests).
const std::vector<std::pair<std::string, std::string>>& ruleDiagnosticCodes();

}  // namespace cspwatch::rules
