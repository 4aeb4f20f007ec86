// SPDX-License-Identifier: Apache-2.0
// Which top-level fields of one variable (the `tenant` of a rule set) compiled expressions read,
// as the compiler records them (ExprCompiler::recordReads(), rules/expr_compiler.h) and a
// RuleSet gives them for its enabled rules (RuleSet::tenantFieldsRead()). A scan fetches only
// the tenant parts these fields need (tenants/fetch_plan.h maps names to parts; rules/ records
// names only).
//
// Reading a field is `tenant.f` or `has(tenant.f)`, wherever it is written: a condition, a
// for_each, an exception, a subject, a template hole, or a macro inlined there. Using the
// variable any other way (passing it to a function, comparing it, binding it in a comprehension,
// rendering it whole) may read any field: `all` is set. A plain value type, copied freely.
#pragma once

#include <set>
#include <string>

namespace cspwatch::rules {

struct FieldsRead {
  std::set<std::string> fields;  // top-level field names read
  bool all = false;              // the variable was used whole: every field counts as read

  bool reads(const std::string& field) const { return all || fields.count(field) > 0; }
  void add(const FieldsRead& other) {
    fields.insert(other.fields.begin(), other.fields.end());
    all = all || other.all;
  }
};

}  // namespace cspwatch::rules
