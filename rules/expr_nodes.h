// SPDX-License-Identifier: Apache-2.0
// Factories for the evaluator's node types (rules/expr_eval.cpp; the binary operators' in
// rules/binary_ops.h). Only the compiler builds nodes; every argument is owned by the node
// returned.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rules/binary_ops.h"
#include "rules/expr_eval.h"
#include "rules/functions.h"
#include "rules/regex.h"

namespace cspwatch::rules::nodes {

enum class Comprehension { kAll, kExists, kExistsOne, kFilter, kMap };

NodePtr literal(Value v);
NodePtr slot(int index);
NodePtr select(NodePtr object, int field_index, std::string field_name);
NodePtr dynSelect(NodePtr object, std::string field_name);
// slot.field without copying the object held in the slot (the common `tenant.x`, `r.x`).
NodePtr slotSelect(int slot, int field_index, std::string field_name);
// has(object.field): true when the field is present and not null. field_index -1: by name.
NodePtr has(NodePtr object, int field_index, std::string field_name);
NodePtr index(NodePtr list, NodePtr position);
NodePtr list(std::vector<NodePtr> items);
NodePtr logicalNot(NodePtr operand);
NodePtr negate(NodePtr operand);
NodePtr logicalAnd(NodePtr lhs, NodePtr rhs);
NodePtr logicalOr(NodePtr lhs, NodePtr rhs);
NodePtr ternary(NodePtr condition, NodePtr then_value, NodePtr else_value);
NodePtr call(const Function* function, std::vector<NodePtr> args);
// The value of `inner`, computed once per frame and kept in frame.memo[memo_index].
NodePtr memo(int memo_index, NodePtr inner);
NodePtr regexMatch(NodePtr subject, std::shared_ptr<const Regex> re);
// range.<kind>(var, predicate[, transform]); the element is bound to `var_slot`, and its
// index (0, 1, ...) to `index_slot` unless that is -1 (the two-variable forms). For kMap
// without a filter, `predicate` is null and `transform` maps each element.
NodePtr comprehension(Comprehension kind, NodePtr range, int var_slot, NodePtr predicate,
                      NodePtr transform, int index_slot = -1);

}  // namespace cspwatch::rules::nodes
