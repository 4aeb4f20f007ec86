// SPDX-License-Identifier: Apache-2.0
#include "rules/rule_collector.h"

#include <algorithm>
#include <type_traits>
#include <utility>

namespace cspwatch::rules {

namespace {

const char* overrideName(Override mode) { return mode == Override::kAppend ? "append" : "replace"; }

template <typename T>
void appendTo(std::vector<T>& to, const std::vector<T>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

// Applies a partial override to `rule`: each key it names is replaced, or appended to.
void applyPartial(RuleRecord& rule, const RuleRecord& changes,
                  const std::map<std::string, Override>& partial) {
  for (const auto& [key, mode] : partial) {
    const bool append = mode == Override::kAppend;
    if (key == "title") {
      rule.title = changes.title;
    } else if (key == "description") {
      rule.description = changes.description;
    } else if (key == "why") {
      rule.why = changes.why;
      rule.why_at = changes.why_at;
    } else if (key == "severity") {
      rule.severity = changes.severity;
    } else if (key == "message") {
      rule.message = changes.message;
    } else if (key == "remediation") {
      rule.remediation = changes.remediation;
    } else if (key == "enabled") {
      rule.enabled = changes.enabled;
    } else if (key == "when") {
      if (!append) rule.when.clear();
      appendTo(rule.when, changes.when);
    } else if (key == "tags") {
      if (!append) rule.tags.clear();
      appendTo(rule.tags, changes.tags);
    } else if (key == "exceptions") {
      if (!append) rule.exceptions.clear();
      appendTo(rule.exceptions, changes.exceptions);
    }
  }
}

}  // namespace

void RuleCollector::collect(std::vector<ReadItem> items) {
  for (auto& item : items) {
    diags_.append(item.problems);
    std::visit(
        [this](auto&& record) {
          using T = std::decay_t<decltype(record)>;
          if constexpr (std::is_same_v<T, ListItem>)
            collectList(std::move(record));
          else if constexpr (std::is_same_v<T, MacroItem>)
            collectMacro(std::move(record));
          else if constexpr (std::is_same_v<T, RuleItem>)
            collectRule(std::move(record));
        },
        item.record);
  }
}

void RuleCollector::collectList(ListItem list) {
  const std::string& name = list.name;
  auto& lists = collected_.lists;
  auto existing = lists.find(name);
  if (existing == lists.end()) {
    if (list.mode != Override::kNone) {
      addRuleError(diags_, "no-previous", list.where, "list '" + name + "'",
                   std::string("override: ") + overrideName(list.mode) +
                       " but no earlier file defines list '" + name + "'",
                   "remove 'override', or check the file order (files load in name order)");
      return;
    }
    lists[name] = {std::move(list.items), list.where};
  } else if (list.mode == Override::kNone) {
    addRuleError(diags_, "duplicate-list", list.where, "list '" + name + "'",
                 "list '" + name + "' is already defined at " + existing->second.where.str(),
                 "to change it from a later file add override: append (or replace)");
  } else if (list.mode == Override::kAppend) {
    appendTo(existing->second.items, list.items);
  } else {
    existing->second.items = std::move(list.items);
  }
}

void RuleCollector::collectMacro(MacroItem macro) {
  const std::string& name = macro.name;
  auto& macros = collected_.macros;
  auto existing = macros.find(name);
  if (existing == macros.end() && macro.mode != Override::kNone) {
    addRuleError(diags_, "no-previous", macro.where, "macro '" + name + "'",
                 "override: replace but no earlier file defines macro '" + name + "'");
  } else if (existing != macros.end() && macro.mode == Override::kNone) {
    addRuleError(diags_, "duplicate-macro", macro.where, "macro '" + name + "'",
                 "macro '" + name + "' is already defined at " + existing->second.where.str(),
                 "to change it from a later file write it as {expr: ..., override: replace}");
  } else {
    macros[name] = {macro.expr, macro.where};
  }
}

void RuleCollector::collectRule(RuleItem item) {
  auto& rules = collected_.rules;
  const std::string& id = item.rule.id;
  auto existing =
      std::find_if(rules.begin(), rules.end(), [&](const RuleRecord& r) { return r.id == id; });
  const bool overrides = item.replace_whole || !item.partial.empty();
  if (existing == rules.end()) {
    if (overrides) {
      addRuleError(
          diags_, "no-previous", item.override_at, item.context,
          "override, but no earlier file defines rule '" + id + "'",
          "remove 'override' to define it, or check the file order (files load in name order)");
      return;
    }
    // Kept even with problems in its fields, so that its conditions are still checked: one
    // run shows every mistake. The set is rejected anyway.
    diags_.append(item.field_problems);
    rules.push_back(std::move(item.rule));
    return;
  }
  if (!overrides) {
    addRuleError(diags_, "duplicate-id", item.id_at, item.context,
                 "rule '" + id + "' is already defined at " + existing->where.str(),
                 "rule ids are unique; to change it from a later file add override: {key: "
                 "replace} or override: replace");
    return;
  }
  diags_.append(item.field_problems);
  if (item.replace_whole)
    *existing = std::move(item.rule);
  else
    applyPartial(*existing, item.rule, item.partial);
}

}  // namespace cspwatch::rules
