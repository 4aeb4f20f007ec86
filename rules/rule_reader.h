// SPDX-License-Identifier: Apache-2.0
// Reading, the first stage of the rule loader (rules/rule_loader.h; Falco's
// rule_loader_reader): one rule file's YAML document becomes plain records of the lists, macros
// and rules it writes, in file order, each with its position and the override it asks for. The
// reader checks shape only: known keys, YAML types, names, ids, severities, exception tables.
// It knows nothing of other files (whether an override has something to change is the
// collector's question, rules/rule_collector.h) nor of what a condition means (the compiler's,
// rules/rule_compiler.h).
//
// Problems are Diagnostics kept with the item they belong to, in the order they were found, so
// that the collector reports them in file order together with its own; a rule's field problems
// are kept apart (RuleItem::field_problems), reported only if the collector takes the rule.
// Never throws. Records hold yaml-cpp nodes and point at their RuleFile, which must outlive
// them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/diagnostic.h"
#include "rules/rule_set.h"

namespace cspwatch::rules {

// Every diagnostic code of the loader starts with this ("rules.bad-id").
inline constexpr const char* kRuleCodePrefix = "rules";

// Adds the error `rules.<kind>`.
void addRuleError(Diagnostics& diags, const std::string& kind, const SourceLocation& loc,
                  const std::string& context, const std::string& message,
                  const std::string& hint = {});

// The hint for text YAML cut at a ': ' (a plain scalar holding "key: value").
inline constexpr const char* kColonHint =
    "a ': ' inside plain text starts a YAML mapping: quote the whole value (when: 'a == \"x: "
    "y\"') or fold it (when: >- and the text on the lines below, indented)";

// When `text` failed to parse as YAML and the line of `where` holds `key: value` whose plain
// value has another ': ' in it, the position of that ': ' (else nullopt): the usual cause, an
// unquoted condition or message with a colon.
std::optional<SourceLocation> colonInPlainValue(const std::string& text,
                                                const SourceLocation& where);

// One rule file: its name as diagnostics show it, and its whole text.
struct RuleFile {
  std::string name;
  const std::string* text = nullptr;  // must outlive every record read from the file
};

// An expression as written: its YAML scalar, in its file, so that a byte offset into the value
// maps back to the file's line and column (also in quoted and block scalars).
struct ExprText {
  YAML::Node node;
  const RuleFile* file = nullptr;
  bool present() const { return file != nullptr; }
  std::string text() const { return node.Scalar(); }
  SourceLocation locate(int offset) const;
};

// How a definition relates to one of the same name in an earlier file.
enum class Override { kNone, kAppend, kReplace };

struct ExceptionRecord {
  std::string name;
  std::vector<ExprText> fields;
  std::vector<std::string> comps;  // one comparison per field: "==", "in", "startsWith", ...
  std::vector<std::vector<YAML::Node>> rows;  // one value per field (for "in": a list)
  SourceLocation where;
};

// A rule's definition. A partial override reads only the keys it names; the rest keep their
// defaults.
struct RuleRecord {
  std::string id;
  std::string title, description;
  std::string why;        // admin-facing words for the digest; "" when not given
  SourceLocation why_at;  // of the `why` value, for lint warnings
  std::optional<RuleSeverity> severity;
  std::vector<ExprText> when;  // ANDed (an override may append)
  ExprText for_each, subject, subject_label, message, remediation;
  std::vector<std::string> tags;
  bool enabled = true;
  std::vector<ExceptionRecord> exceptions;
  SourceLocation where;
};

struct ListItem {
  std::string name;
  std::vector<std::string> items;
  Override mode = Override::kNone;  // kAppend or kReplace when written in the long form
  SourceLocation where;             // of the name
};

struct MacroItem {
  std::string name;
  ExprText expr;
  Override mode = Override::kNone;  // kReplace when written {expr: ..., override: replace}
  SourceLocation where;             // of the name
};

struct RuleItem {
  RuleRecord rule;
  std::string context;                      // "rule 'dap-enabled'", for the collector's messages
  bool replace_whole = false;               // override: replace
  std::map<std::string, Override> partial;  // override: {when: append, ...}
  SourceLocation id_at;                     // the id's value
  SourceLocation override_at;               // the 'override' key
  Diagnostics field_problems;               // reported only if the collector takes the rule
};

// One entry of a file in order: the problems met reading it, then what it defines, if it could
// be read that far (a problem that leaves nothing to define leaves std::monostate).
struct ReadItem {
  Diagnostics problems;
  std::variant<std::monostate, ListItem, MacroItem, RuleItem> record;
};

// Reads one parsed document (parseYamlDocument in common/yaml_util.h) of `file`.
std::vector<ReadItem> readRuleFile(const RuleFile& file, const YAML::Node& doc);

}  // namespace cspwatch::rules
