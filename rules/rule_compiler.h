// SPDX-License-Identifier: Apache-2.0
// Compiling, the last stage of the rule loader (rules/rule_loader.h; Falco's
// rule_loader_compiler): the collected lists, macros and rules (rules/rule_collector.h) become
// an immutable RuleSet. Lists become the `lists` variable; macros are parsed once and inlined
// where used; each rule's for_each, when, exceptions, subject, message and remediation are
// parsed and compiled against the tenant model (rules/expr_compiler.h), with every problem
// reported at its position in the file. Lists and macros nothing uses are warnings.
//
// Returns null when `diags` holds any error afterwards (also one reported by an earlier stage),
// so that a rule set with a mistake is never used. The collected records and their files must
// outlive the call; the RuleSet owns everything it needs.
#pragma once

#include <memory>
#include <string>

#include "common/diagnostic.h"
#include "common/value.h"
#include "rules/rule_collector.h"
#include "rules/rule_set.h"

namespace cspwatch::rules {

struct CompileInput {
  const CollectedRules* collected = nullptr;
  const ObjectType* tenant_type = nullptr;  // the `tenant` variable's type; not null
  std::string hash;                         // RuleSet::hash() of the sources
  // RuleEnvironment::expression: compiled after the rules with their lists and macros into
  // RuleSet::expression(); null: none.
  const std::string* expression = nullptr;
};

std::shared_ptr<const RuleSet> compileRules(const CompileInput& input, Diagnostics& diags);

}  // namespace cspwatch::rules
