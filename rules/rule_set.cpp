// SPDX-License-Identifier: Apache-2.0
#include "rules/rule_set.h"

#include <algorithm>
#include <string>

namespace cspwatch::rules {

const std::vector<std::string>& severityNames() {
  static const std::vector<std::string> kNames = {"critical", "high", "medium", "low", "info"};
  return kNames;
}

const char* severityName(RuleSeverity s) { return severityNames()[static_cast<size_t>(s)].c_str(); }

std::optional<RuleSeverity> severityFromName(const std::string& name) {
  const auto& names = severityNames();
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return std::nullopt;
  return static_cast<RuleSeverity>(it - names.begin());
}

const char* outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "pass";
    case Outcome::kFail:
      return "fail";
    case Outcome::kUnknown:
      return "unknown";
  }
  return "unknown";
}

namespace {

bool isAsciiSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Trimmed, with every run of whitespace as one space: one paragraph.
std::string oneParagraph(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (!isAsciiSpace(c)) {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string firstSentence(const std::string& text) {
  const std::string s = oneParagraph(text);
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    const char c = s[i];
    // The end of a sentence: "x. Next", not "e.g. Global", "1.5" or "x. then".
    if ((c != '.' && c != '!' && c != '?') || s[i + 1] != ' ' || i + 2 >= s.size() ||
        s[i + 2] < 'A' || s[i + 2] > 'Z')
      continue;
    const size_t word = s.rfind(' ', i) == std::string::npos ? 0 : s.rfind(' ', i) + 1;
    if (c == '.' && s.substr(word, i - word).find('.') != std::string::npos) continue;
    return s.substr(0, i + 1);
  }
  return s;
}

std::string CompiledRule::adminWhy() const {
  return why.empty() ? firstSentence(description) : oneParagraph(why);
}

const CompiledRule* RuleSet::find(const std::string& id) const {
  for (const auto& r : rules_)
    if (r.id == id) return &r;
  return nullptr;
}

const ObjectType& RuleSet::partnerType() {
  using K = Type::Kind;
  static const ObjectType t{
      "Partner",
      {{"name", Type::of(K::kString), "our company name"},
       {"tenant_id", Type::of(K::kString), "our partner tenant id"},
       {"mpn_ids", Type::listOf(Type::of(K::kString)), "our Partner IDs"},
       {"distributor_tenant_ids", Type::listOf(Type::of(K::kString)), "our distributors"},
       {"trusted_partner_tenant_ids", Type::listOf(Type::of(K::kString)), "trusted specialists"},
       {"email_domains", Type::listOf(Type::of(K::kString)), "mail domains we control"}}};
  return t;
}

Value RuleSet::partnerValue(const PartnerIdentity& p) {
  auto strings = [](const std::vector<std::string>& v) {
    ValueList out;
    for (const auto& s : v) out.push_back(Value::string(s));
    return Value::list(std::move(out));
  };
  return Value::object(&partnerType(),
                       {Value::string(p.name), Value::string(p.tenant_id), strings(p.mpn_ids),
                        strings(p.distributor_tenant_ids), strings(p.trusted_partner_tenant_ids),
                        strings(p.email_domains)});
}

namespace {

// 1000000 -> "1,000,000". By hand: std::locale's grouping depends on the locales installed.
std::string withThousands(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string RuleSet::outOfStepsReason(const EvalOptions& options) {
  return "rule evaluation stopped after " + withThousands(options.max_steps) + " steps" +
         (options.max_steps_setting.empty() ? "" : " (" + options.max_steps_setting + ")") +
         ": the rule is too costly for this tenant's data (list macros nested inside each other "
         "over long lists multiply their sizes)";
}

std::vector<Diagnostic> RuleSet::costWarningsOnce() const {
  if (cost_warnings_taken_.exchange(true)) return {};
  return cost_warnings_;
}

std::vector<RuleResult> RuleSet::evaluate(const Value& tenant, const PartnerIdentity& partner,
                                          Timestamp now, const EvalOptions& options) const {
  return evaluate(tenant, partnerValue(partner), now, options);
}

std::vector<RuleResult> RuleSet::evaluate(const Value& tenant, const Value& partner, Timestamp now,
                                          const EvalOptions& options) const {
  std::vector<RuleResult> out;
  out.reserve(rules_.size());
  Frame frame;
  frame.slots.resize(kSlotElement);
  frame.slots[kSlotTenant] = tenant;
  frame.slots[kSlotPartner] = partner;
  frame.slots[kSlotLists] = lists_;
  frame.slots[kSlotNow] = Value::timestamp(now);
  frame.resetMemo(static_cast<size_t>(memo_count_));
  for (const auto& rule : rules_) {
    if (!rule.enabled) continue;
    if (options.only_rules != nullptr && options.only_rules->count(rule.id) == 0) continue;
    if (static_cast<int>(frame.slots.size()) < rule.frame_size) frame.slots.resize(rule.frame_size);
    // Each rule has the whole budget for this tenant: a costly rule is unknown on its own and
    // the rules after it are evaluated as usual.
    frame.steps_left = options.max_steps;
    RuleResult r = evaluateRule(rule, frame);
    r.steps = options.max_steps - std::max<int64_t>(frame.steps_left, 0);
    if (frame.outOfSteps()) {
      // What was decided before the budget ran out depends on the order of the data: none of
      // it is reported, so that a finding never comes and goes with the budget.
      r.outcome = Outcome::kUnknown;
      r.findings.clear();
      r.incomplete = false;
      r.unknown_subjects.clear();
      r.unknown_reason = outOfStepsReason(options);
      r.unknown_reasons = {r.unknown_reason};
      r.out_of_steps = true;
      frame.slots[kSlotElement] = Value::null();
    }
    out.push_back(std::move(r));
  }
  return out;
}

Value RuleSet::evaluateExpression(const Value& tenant, const Value& partner, Timestamp now,
                                  const EvalOptions& options) const {
  Frame frame;
  frame.slots.resize(static_cast<size_t>(std::max(expression_->frame_size, kSlotElement + 1)));
  frame.slots[kSlotTenant] = tenant;
  frame.slots[kSlotPartner] = partner;
  frame.slots[kSlotLists] = lists_;
  frame.slots[kSlotNow] = Value::timestamp(now);
  frame.resetMemo(static_cast<size_t>(memo_count_));
  frame.steps_left = options.max_steps;
  Value v = expression_->node->eval(frame);
  if (frame.outOfSteps()) return Value::error(outOfStepsReason(options));
  return v;
}

const char* celTypeName(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return "null_type";
    case Value::Kind::kObject:
      return "map";
    case Value::Kind::kError:
      return "unknown";
    default:
      return Value::kindName(v.kind());
  }
}

RuleResult RuleSet::evaluateRule(const CompiledRule& rule, Frame& frame) const {
  RuleResult r;
  r.rule = &rule;
  if (!rule.for_each) {
    Value v = asCondition(rule.when->eval(frame));
    if (v.isError()) {
      r.outcome = Outcome::kUnknown;
      r.unknown_reason = v.errorMessage();
      r.unknown_reasons = {r.unknown_reason};
    } else if (v.asBool()) {
      r.outcome = Outcome::kFail;
      r.findings.push_back(
          {"", rule.message.render(frame), rule.remediation.render(frame), Value::null()});
    }
    return r;
  }
  Value items = rule.for_each->eval(frame);
  if (items.isError() || items.kind() != Value::Kind::kList) {
    r.outcome = Outcome::kUnknown;
    r.unknown_reason = items.isError() ? items.errorMessage() : "for_each did not give a list";
    r.unknown_reasons = {r.unknown_reason};
    return r;
  }
  bool undecided = false;
  for (const auto& item : items.asList()) {
    if (frame.outOfSteps()) break;  // the rule is unknown (evaluate()); the rest would be errors
    frame.slots[kSlotElement] = item;
    Value v = asCondition(rule.when->eval(frame));
    Value subject = rule.subject->eval(frame);
    if (v.isError() || (v.asBool() && subject.isError())) {
      undecided = true;
      const std::string& why = v.isError() ? v.errorMessage() : subject.errorMessage();
      if (std::find(r.unknown_reasons.begin(), r.unknown_reasons.end(), why) ==
          r.unknown_reasons.end())
        r.unknown_reasons.push_back(why);
      if (r.unknown_reason.empty()) r.unknown_reason = why;
      if (!subject.isError()) r.unknown_subjects.push_back(subject.toText());
      continue;
    }
    if (!v.asBool()) continue;
    std::string key = subject.toText();
    bool duplicate = false;  // the same subject twice is one finding
    for (const auto& f : r.findings) duplicate = duplicate || f.subject == key;
    if (duplicate) continue;
    r.findings.push_back({key, rule.message.render(frame), rule.remediation.render(frame), item});
    if (rule.subject_label) {
      // Presentation only: a label that cannot be evaluated leaves the subject to name itself
      // rather than making the rule unknown.
      Value label = rule.subject_label->eval(frame);
      if (!label.isError() && label.kind() != Value::Kind::kNull)
        r.findings.back().subject_label = label.toText();
    }
  }
  frame.slots[kSlotElement] = Value::null();
  if (!r.findings.empty()) {
    r.outcome = Outcome::kFail;
    r.incomplete = undecided;
  } else {
    r.outcome = undecided ? Outcome::kUnknown : Outcome::kPass;
  }
  return r;
}

}  // namespace cspwatch::rules
