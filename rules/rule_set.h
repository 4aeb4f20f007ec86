// SPDX-License-Identifier: Apache-2.0
// A loaded, compiled and immutable set of rules, and what evaluating it against one tenant
// gives. Built only by loadRules() (rules/rule_loader.h), through its compiler
// (rules/rule_compiler.h). Safe to evaluate from several threads at once; share it as
// std::shared_ptr<const RuleSet> and swap the pointer on reload.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/partner.h"
#include "common/value.h"
#include "rules/expr_eval.h"
#include "rules/fields_read.h"
#include "rules/template.h"

namespace cspwatch::rules {

enum class RuleSeverity { kCritical, kHigh, kMedium, kLow, kInfo };
const char* severityName(RuleSeverity s);  // "critical", ...
std::optional<RuleSeverity> severityFromName(const std::string& name);
const std::vector<std::string>& severityNames();

enum class Outcome { kPass, kFail, kUnknown };
const char* outcomeName(Outcome o);  // "pass", "fail", "unknown"

// Where a definition was written, for reports.
struct DefinitionSite {
  std::string file;
  int line = 0;
};

struct CompiledRule {
  std::string id;
  std::string title;
  RuleSeverity severity = RuleSeverity::kMedium;
  std::string description;
  std::string why;  // as written: "" when the rule has no `why`
  std::vector<std::string> tags;
  bool enabled = true;
  DefinitionSite site;
  // The tenant fields this rule reads (everywhere: condition, for_each, exceptions, subjects,
  // templates, inlined macros), so a scan of this rule alone fetches only what it needs.
  FieldsRead reads;

  // Why it matters, in an admin's words, for the digest: `why`, or else the description's first
  // sentence (docs/rules.md#rules).
  std::string adminWhy() const;

  // Compiled parts. for_each is null for tenant-level rules; then subject is null too.
  NodePtr for_each;
  NodePtr when;  // with the exceptions folded in: when && !(exception || ...)
  NodePtr subject;
  NodePtr subject_label;  // null: the subject names itself
  Template message;
  Template remediation;
  int frame_size = 0;
};

struct Finding {
  std::string subject;  // "" for a tenant-level rule
  std::string message;
  std::string remediation;
  Value evidence;  // the for_each element (null for a tenant-level rule)
  // What the subject is, by name (the rule's subject_label); "" when the rule has none or it
  // could not be evaluated: the subject then names itself.
  std::string subject_label = {};
};

// The first sentence of `text` (up to a '.', '!' or '?' followed by a space and a capital letter,
// or the end), trimmed: a description's opening line stands in for a rule's missing `why`.
std::string firstSentence(const std::string& text);

struct RuleResult {
  const CompiledRule* rule = nullptr;
  Outcome outcome = Outcome::kPass;
  std::vector<Finding> findings;  // kFail: one per failing subject
  std::string unknown_reason;     // why it (or an element) could not be decided
  // Every distinct reason, in the order met (the first is unknown_reason): one for each way an
  // element could not be decided, e.g. one per unreadable contact.
  std::vector<std::string> unknown_reasons;
  std::vector<std::string> unknown_subjects;  // for_each elements that could not be decided
  // A fail that left some elements undecided: findings not listed here must not be resolved.
  bool incomplete = false;
  // Steps the evaluation took (Frame::steps_left in rules/expr_eval.h).
  int64_t steps = 0;
  // The rule ran out of steps (EvalOptions::max_steps): it is kUnknown, with no findings, and
  // the reason says so. Callers warn about the rule once, naming it and its file.
  bool out_of_steps = false;
};

struct EvalOptions {
  // Steps each rule may take for each tenant. A rule that needs more is unknown for that tenant
  // and leaves the budget of the other rules untouched.
  int64_t max_steps = kDefaultMaxSteps;
  // Where the operator sets max_steps (a configuration key), named in the reason; may be empty.
  std::string max_steps_setting;
  // Only these rules (by id) are evaluated (`scan --dry-run --rule`); null: every enabled rule.
  // Must outlive the call.
  const std::set<std::string>* only_rules = nullptr;
};

// An expression compiled beside a rule set's rules, as a tenant-level rule's condition would be
// (the same variables, lists and macros; any result type): `cspwatch rules eval`. Given to
// loadRules() as RuleEnvironment::expression; its text is named kExpressionSource in
// diagnostics.
struct CompiledExpression {
  NodePtr node;
  Type type;  // the static type; dyn when it is only known once evaluated
  int frame_size = 0;
  FieldsRead reads;  // what it reads of the tenant: a read for it fetches only those parts
};
inline constexpr const char* kExpressionSource = "expression";

// The CEL name of a value's type: bool, int, double, string, timestamp, duration, list, map (an
// object), null_type, and unknown for a value that could not be computed.
const char* celTypeName(const Value& v);

class RuleSet {
 public:
  RuleSet() = default;
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  const std::vector<CompiledRule>& rules() const { return rules_; }
  const CompiledRule* find(const std::string& id) const;
  // A digest of every source file's name and text: equal rule sets have equal hashes.
  const std::string& hash() const { return hash_; }
  // The top-level fields of `tenant` the enabled rules read, in their conditions, for_each,
  // exceptions, subjects, messages and remediations, macros included (rules/fields_read.h): a
  // scan fetches only the parts of each tenant these need. Disabled rules are not evaluated,
  // so what they read is not counted.
  const FieldsRead& tenantFieldsRead() const { return tenant_reads_; }

  // Evaluates every enabled rule against one tenant (the Value of tenants::tenantToValue()).
  std::vector<RuleResult> evaluate(const Value& tenant, const PartnerIdentity& partner,
                                   Timestamp now, const EvalOptions& options = {}) const;
  // The same with `partner` already converted (partnerValue()), for hot loops.
  std::vector<RuleResult> evaluate(const Value& tenant, const Value& partner, Timestamp now,
                                   const EvalOptions& options = {}) const;

  // The expression of RuleEnvironment::expression, compiled; null when none was given.
  const CompiledExpression* expression() const { return expression_.get(); }
  // Evaluates expression() (which must not be null) against one tenant: its value, an error
  // value (Value::isError()) when it is unknown or fails.
  Value evaluateExpression(const Value& tenant, const Value& partner, Timestamp now,
                           const EvalOptions& options = {}) const;

  // Warnings of the load about the cost of evaluating these rules (rules.costly-nesting, see
  // rules/rule_lint.h), for the log of a scan: the first call on this rule set returns them, later
  // calls nothing, so a daemon that scans with one rule set many times logs them once.
  // Thread-safe.
  std::vector<Diagnostic> costWarningsOnce() const;

  // The unknown reason of a rule that ran out of steps.
  static std::string outOfStepsReason(const EvalOptions& options);

  static Value partnerValue(const PartnerIdentity& partner);
  static const ObjectType& partnerType();

 private:
  friend class RuleCompiler;
  RuleResult evaluateRule(const CompiledRule& rule, Frame& frame) const;

  std::vector<CompiledRule> rules_;
  std::shared_ptr<const ObjectType> lists_type_;
  Value lists_;
  std::string hash_;
  FieldsRead tenant_reads_;
  int memo_count_ = 0;
  std::unique_ptr<CompiledExpression> expression_;
  std::vector<Diagnostic> cost_warnings_;
  mutable std::atomic<bool> cost_warnings_taken_{false};
};

// Slots every rule's frame starts with.
inline constexpr int kSlotTenant = 0;
inline constexpr int kSlotPartner = 1;
inline constexpr int kSlotLists = 2;
inline constexpr int kSlotNow = 3;
inline constexpr int kSlotElement = 4;

}  // namespace cspwatch::rules
