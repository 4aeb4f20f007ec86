// SPDX-License-Identifier: Apache-2.0
// Collecting, the second stage of the rule loader (rules/rule_loader.h; Falco's
// rule_loader_collector): the items each file's reader gives (rules/rule_reader.h), file after
// file in load order, become one set of lists, macros and rules. A definition whose name is
// already taken is an error unless it says how it changes the earlier one: lists append or
// replace, macros replace, rules replace whole or key by key (when, tags and exceptions may
// also append; enabled: false turns a rule off). An override of something no earlier file
// defines is an error too.
//
// Reports each item's reading problems, then its own, to `diags`, so that problems come out in
// file order. Not thread-safe; `diags` must outlive the collector.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "rules/rule_reader.h"

namespace cspwatch::rules {

struct CollectedList {
  std::vector<std::string> items;
  SourceLocation where;  // of the first definition
};

struct CollectedMacro {
  ExprText expr;
  SourceLocation where;  // of the definition in force
};

// What the compiler (rules/rule_compiler.h) turns into a RuleSet.
struct CollectedRules {
  std::map<std::string, CollectedList> lists;
  std::map<std::string, CollectedMacro> macros;
  std::vector<RuleRecord> rules;  // in order of first definition
};

class RuleCollector {
 public:
  explicit RuleCollector(Diagnostics& diags) : diags_(diags) {}

  // Takes one file's items (readRuleFile), after every earlier file's.
  void collect(std::vector<ReadItem> items);

  const CollectedRules& collected() const { return collected_; }

 private:
  void collectList(ListItem list);
  void collectMacro(MacroItem macro);
  void collectRule(RuleItem item);

  Diagnostics& diags_;
  CollectedRules collected_;
};

}  // namespace cspwatch::rules
