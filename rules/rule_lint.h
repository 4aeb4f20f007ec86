// SPDX-License-Identifier: Apache-2.0
// Load-time warnings about what an expression costs to evaluate. A list macro (all, exists,
// exists_one, filter, map) over a tenant list, nested inside another list macro over a tenant
// list, visits the product of the two lists' sizes: nothing for a tenant's three partners, a
// billion steps for three nested exists() over 1,000 domains. The evaluator stops a rule that
// runs out of steps (Frame in rules/expr_eval.h); this warning says so before any tenant is read.
//
// A tenant list is a list whose expression starts from the `tenant` variable, directly or through
// file macros (`tenant.verified_domains`, `our_gdap`, `tenant.partners.map(p, p.tenant_id)`): its
// size is the tenant's. A list of the enclosing element (`r.role_definition_ids` inside
// `tenant.admin_relationships.exists(r, ...)`) is not one: all of them together are one pass over
// the tenant's data. Nor is the for_each loop counted: one list macro per element is the usual way
// to compare each element with a list, and the step budget bounds it like everything else.
//
// Pure: walks the syntax tree, macros inlined as the compiler inlines them; adds warnings only.
//
// Also: a rule's `why` is what the digest tells an admin (docs/alerts.md); an API path, an API's
// host or a permission name in it belongs in the description, and is warned about.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "rules/expr_ast.h"
#include "rules/expr_compiler.h"

namespace cspwatch::rules {

inline constexpr const char* kCostlyNestingCode = "rules.costly-nesting";

// Adds a kCostlyNestingCode warning for each list macro over a tenant list nested inside another
// one over a tenant list, at the inner macro's name, once per position and message. `expr`
// compiled without errors against `scope` and `macros` (may be null), so names resolve and macros
// do not recurse. `once_per_tenant` names the macros the evaluator computes once per tenant
// (Frame::memo): the list macros inside them run once, wherever they are used.
void lintCost(const Expr& expr, const ExprSource& source, const std::vector<Binding>& scope,
              const MacroTable* macros, const std::set<std::string>& once_per_tenant,
              Diagnostics& diags);

inline constexpr const char* kTechnicalWhyCode = "rules.technical-why";

// Adds a kTechnicalWhyCode warning at `at` when `why` names an API path ("/v1/customers"), an
// API's host, an HTTP method, a permission ("Policy.Read.All") or a path of API fields
// ("tenantRelationships/delegatedAdminRelationships"): the first such word is quoted.
void lintWhy(const std::string& why, const SourceLocation& at, const std::string& context,
             Diagnostics& diags);

}  // namespace cspwatch::rules
