// SPDX-License-Identifier: Apache-2.0
#include "rules/rule_loader.h"

#include <cstdio>
#include <map>
#include <regex>
#include <set>

#include "common/text.h"
#include "common/yaml_util.h"
#include "rules/expr_compiler.h"
#include "rules/expr_nodes.h"
#include "rules/expr_parser.h"
#include "rules/rule_lint.h"

namespace cspwatch::rules {

namespace {

constexpr const char* kPrefix = "rules";

const std::vector<std::string> kTopKeys = {"lists", "macros", "rules"};
const std::vector<std::string> kRuleKeys = {
    "id",      "title",       "severity", "description", "when",       "for_each", "subject",
    "message", "remediation", "tags",     "enabled",     "exceptions", "override"};
// Keys a partial override may change, and how.
const std::map<std::string, std::vector<std::string>> kOverridable = {
    {"title", {"replace"}},
    {"severity", {"replace"}},
    {"description", {"replace"}},
    {"when", {"replace", "append"}},
    {"message", {"replace"}},
    {"remediation", {"replace"}},
    {"tags", {"replace", "append"}},
    {"enabled", {"replace"}},
    {"exceptions", {"replace", "append"}}};
const std::vector<std::string> kComps = {"==", "!=", "in", "startsWith", "endsWith", "contains"};

struct File {
  std::string name;
  const std::string* text;
};

// An expression as written: its YAML node, in its file.
struct ExprText {
  YAML::Node node;
  const File* file = nullptr;
  bool present() const { return file != nullptr; }
  std::string text() const { return node.Scalar(); }
  SourceLocation locate(int offset) const {
    return locateInScalar(file->name, *file->text, node, offset);
  }
};

struct ExceptionDef {
  std::string name;
  std::vector<ExprText> fields;
  std::vector<std::string> comps;
  std::vector<std::vector<std::pair<YAML::Node, const File*>>> rows;  // values, one row per match
  SourceLocation where;
};

struct RuleDef {
  std::string id;
  std::string title, description;
  std::optional<RuleSeverity> severity;
  std::vector<ExprText> when;  // ANDed (an override may append)
  ExprText for_each, subject, message, remediation;
  std::vector<std::string> tags;
  bool enabled = true;
  std::vector<ExceptionDef> exceptions;
  SourceLocation where;
};

struct ListDef {
  std::vector<std::string> items;
  SourceLocation where;
  bool used = false;
};

struct MacroDef {
  ExprText expr;
  SourceLocation where;
};

std::string fnv1a(const std::vector<RuleSource>& sources) {
  uint64_t h = 1469598103934665603ULL;
  auto feed = [&h](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // separator, so ("ab","c") differs from ("a","bc")
    h *= 1099511628211ULL;
  };
  for (const auto& s : sources) {
    feed(s.name.substr(s.name.rfind('/') + 1));
    feed(s.text);
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// Names are checked by hand, not with std::regex: its matcher recurses once per character, so
// a name of a few hundred kilobytes overflowed the stack (found by the bad-input corpus).
bool isLower(char c) { return c >= 'a' && c <= 'z'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// [a-z_][a-z0-9_]*: list and macro names.
bool isSnakeName(const std::string& name) {
  if (name.empty() || !(isLower(name[0]) || name[0] == '_')) return false;
  for (char c : name)
    if (!isLower(c) && !isDigit(c) && c != '_') return false;
  return true;
}

// [a-z0-9]+(-[a-z0-9]+)*: rule ids.
bool isKebabId(const std::string& id) {
  if (id.empty() || id.front() == '-' || id.back() == '-') return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (c == '-') {
      if (id[i - 1] == '-') return false;
    } else if (!isLower(c) && !isDigit(c)) {
      return false;
    }
  }
  return true;
}

// "DapEnabled" or "dap_enabled" -> "dap-enabled", for the bad-id hint.
std::string kebabCase(const std::string& id) {
  std::string out;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool upper = c >= 'A' && c <= 'Z';
    if (upper && i > 0 &&
        ((id[i - 1] >= 'a' && id[i - 1] <= 'z') || (id[i - 1] >= '0' && id[i - 1] <= '9')))
      out += '-';
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || upper)
      out += upper ? static_cast<char>(c - 'A' + 'a') : c;
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace

// Builds a RuleSet from every file; the one friend of RuleSet.
class RuleSetBuilder {
 public:
  RuleSetBuilder(const std::vector<RuleSource>& sources, const RuleEnvironment& env,
                 Diagnostics& diags)
      : sources_(sources), env_(env), diags_(diags) {}

  std::shared_ptr<const RuleSet> build();

 private:
  void readFile(const File& file, const YAML::Node& doc);
  void readLists(const File& file, const YAML::Node& node);
  void readMacros(const File& file, const YAML::Node& node);
  void readRule(const File& file, const YAML::Node& node, size_t index);
  void readRuleFields(YamlMap& m, const File& file, RuleDef& def,
                      const std::set<std::string>& only);
  std::optional<std::vector<ExceptionDef>> readExceptions(YamlMap& m, const File& file);
  ExprText exprField(YamlMap& m, const File& file, const std::string& key, bool required);

  void compileRule(const RuleDef& def, RuleSet& set, ExprCompiler& compiler);
  NodePtr compileExpr(ExprCompiler& compiler, const ExprText& e, int offset,
                      const std::string& context, const std::vector<Binding>& scope, int& next_slot,
                      Type* type);
  void warnFoldedComment(const std::string& text, const ExprSource& source);
  NodePtr compileExceptions(const RuleDef& def, ExprCompiler& compiler,
                            const std::vector<Binding>& scope, int& next_slot);

  void error(const std::string& kind, const SourceLocation& loc, const std::string& context,
             const std::string& message, const std::string& hint = {}) {
    diags_.add({Severity::kError, std::string(kPrefix) + "." + kind, loc, context, message, hint});
  }

  const std::vector<RuleSource>& sources_;
  const RuleEnvironment& env_;
  Diagnostics& diags_;
  std::vector<File> files_;
  std::map<std::string, ListDef> lists_;
  std::map<std::string, MacroDef> macros_;
  std::vector<RuleDef> rules_;  // in definition order
};

std::shared_ptr<const RuleSet> RuleSetBuilder::build() {
  files_.reserve(sources_.size());
  for (const auto& s : sources_) files_.push_back({s.name, &s.text});
  std::vector<YAML::Node> docs;
  for (const auto& f : files_) {
    auto doc = parseYamlDocument(f.name, *f.text, kPrefix, diags_);
    if (!doc) continue;
    docs.push_back(*doc);
    readFile(f, *doc);
  }
  if (env_.tenant_type == nullptr) {
    error("internal", {}, "", "no tenant type given to the rule loader");
    return nullptr;
  }

  auto set = std::make_shared<RuleSet>();
  set->hash_ = fnv1a(sources_);
  // `lists`: one field per list, in name order.
  auto lists_type = std::make_shared<ObjectType>();
  lists_type->name = "lists";
  ValueList list_values;
  for (const auto& [name, def] : lists_) {
    lists_type->fields.push_back({name, Type::listOf(Type::of(Type::Kind::kString)), ""});
    ValueList items;
    for (const auto& item : def.items) items.push_back(Value::string(item));
    list_values.push_back(Value::list(std::move(items)));
  }
  set->lists_type_ = lists_type;
  set->lists_ = Value::object(lists_type.get(), std::move(list_values));

  // Macros: parse each once; they are compiled where used.
  MacroTable macros;
  for (const auto& [name, def] : macros_) {
    ParseResult parsed = parseExpr(def.expr.text());
    if (!parsed.ok()) {
      error("syntax", def.expr.locate(parsed.error.pos), "macro '" + name + "'",
            parsed.error.message, parsed.error.hint);
      continue;
    }
    ExprText et = def.expr;
    auto source = std::make_shared<ExprSource>(
        ExprSource{"macro '" + name + "'", et.text(), [et](int off) { return et.locate(off); }});
    macros[name] = Macro{name, std::move(parsed.expr), source};
  }

  ExprCompiler compiler(&macros, diags_, kSlotElement);
  for (const auto& def : rules_) compileRule(def, *set, compiler);
  set->memo_count_ = compiler.memoCount();
  for (const auto& d : diags_.items())  // for the scan's log (RuleSet::costWarningsOnce)
    if (d.code == kCostlyNestingCode) set->cost_warnings_.push_back(d);

  for (const auto& [name, def] : lists_)
    if (!compiler.usedLists().count(name))
      diags_.add({Severity::kWarning, "rules.unused-list", def.where, "",
                  "list '" + name + "' is never used", "remove it, or use it as lists." + name});
  for (const auto& [name, def] : macros_)
    if (!compiler.usedMacros().count(name) && macros.count(name))
      diags_.add({Severity::kWarning, "rules.unused-macro", def.where, "",
                  "macro '" + name + "' is never used", "remove it, or use it in a condition"});
  if (diags_.hasErrors()) return nullptr;
  return set;
}

void RuleSetBuilder::readFile(const File& file, const YAML::Node& doc) {
  if (doc.IsNull()) {
    diags_.add({Severity::kWarning,
                "rules.empty-file",
                {file.name, 1, 1},
                "",
                "the file defines nothing",
                ""});
    return;
  }
  YamlMap top(doc, file.name, kPrefix, "", diags_);
  if (!top.valid()) return;
  top.checkKeys(kTopKeys);
  if (top.has("lists")) readLists(file, top.get("lists"));
  if (top.has("macros")) readMacros(file, top.get("macros"));
  if (top.has("rules")) {
    YAML::Node rules = top.get("rules");
    if (!rules.IsSequence()) {
      error("wrong-type", top.valueLocation("rules"), "",
            "'rules' must be a list of rules, found " + describeNode(rules),
            "start each rule with '- id: ...'");
      return;
    }
    size_t i = 0;
    for (const auto& r : rules) readRule(file, r, i++);
  }
}

// Reads `override:` of a list or macro written in its long form; "" if none.
static std::string overrideMode(YamlMap& m, const std::vector<std::string>& allowed) {
  auto mode = m.getString("override");
  if (!mode) return "";
  if (std::find(allowed.begin(), allowed.end(), *mode) == allowed.end()) {
    m.error("bad-override", m.valueLocation("override"),
            "override must be " + join(allowed, " or ") + ", found '" + *mode + "'");
    return "";
  }
  return *mode;
}

void RuleSetBuilder::readLists(const File& file, const YAML::Node& node) {
  YamlMap m(node, file.name, kPrefix, "lists", diags_);
  if (!m.valid()) return;
  m.checkUniqueKeys();
  for (const auto& kv : node) {
    const std::string name = kv.first.Scalar();
    SourceLocation where = locationFromMark(file.name, kv.first.Mark());
    if (!isSnakeName(name)) {
      error("bad-name", where, "list '" + abbreviate(name) + "'",
            "list names are lower_snake_case, found '" + abbreviate(name) + "'");
      continue;
    }
    std::vector<std::string> values;
    std::string mode;
    YAML::Node items_node = kv.second;
    if (kv.second.IsMap()) {
      YamlMap lm(kv.second, file.name, kPrefix, "list '" + name + "'", diags_);
      lm.checkKeys({"items", "override"});
      mode = overrideMode(lm, {"append", "replace"});
      items_node = lm.get("items");
      if (!items_node.IsDefined()) {
        lm.error("missing-key", where, "list '" + name + "' has no 'items'");
        continue;
      }
    }
    if (!items_node.IsSequence()) {
      error("wrong-type", locationFromMark(file.name, items_node.Mark()), "list '" + name + "'",
            "a list's items must be a YAML list, found " + describeNode(items_node),
            "write [a, b, c]");
      continue;
    }
    bool ok = true;
    for (const auto& item : items_node) {
      if (!item.IsScalar()) {
        error("wrong-type", locationFromMark(file.name, item.Mark()), "list '" + name + "'",
              "list items must be strings, found " + describeNode(item));
        ok = false;
        continue;
      }
      values.push_back(item.Scalar());
    }
    if (!ok) continue;
    auto existing = lists_.find(name);
    if (existing == lists_.end()) {
      if (!mode.empty()) {
        error("no-previous", where, "list '" + name + "'",
              "override: " + mode + " but no earlier file defines list '" + name + "'",
              "remove 'override', or check the file order (files load in name order)");
        continue;
      }
      lists_[name] = {values, where};
    } else if (mode.empty()) {
      error("duplicate-list", where, "list '" + name + "'",
            "list '" + name + "' is already defined at " + existing->second.where.str(),
            "to change it from a later file add override: append (or replace)");
    } else if (mode == "append") {
      existing->second.items.insert(existing->second.items.end(), values.begin(), values.end());
    } else {
      existing->second.items = values;
    }
  }
}

void RuleSetBuilder::readMacros(const File& file, const YAML::Node& node) {
  if (!node.IsMap()) {
    error("wrong-type", locationFromMark(file.name, node.Mark()), "macros",
          "'macros' must map names to expressions, found " + describeNode(node));
    return;
  }
  std::set<std::string> seen;
  for (const auto& kv : node) {
    const std::string name = kv.first.Scalar();
    SourceLocation where = locationFromMark(file.name, kv.first.Mark());
    if (!seen.insert(name).second) {
      error("duplicate-key", where, "macros", "macro '" + name + "' appears twice in this file");
      continue;
    }
    if (!isSnakeName(name)) {
      error("bad-name", where, "macro '" + abbreviate(name) + "'",
            "macro names are lower_snake_case, found '" + abbreviate(name) + "'");
      continue;
    }
    std::string mode;
    YAML::Node expr = kv.second;
    if (kv.second.IsMap()) {
      YamlMap mm(kv.second, file.name, kPrefix, "macro '" + name + "'", diags_);
      mm.checkKeys({"expr", "override"});
      mode = overrideMode(mm, {"replace"});
      expr = mm.get("expr");
    }
    if (!expr.IsScalar()) {
      error("wrong-type", expr.IsDefined() ? locationFromMark(file.name, expr.Mark()) : where,
            "macro '" + name + "'", "a macro is an expression string, found " + describeNode(expr));
      continue;
    }
    auto existing = macros_.find(name);
    if (existing == macros_.end() && !mode.empty()) {
      error("no-previous", where, "macro '" + name + "'",
            "override: replace but no earlier file defines macro '" + name + "'");
    } else if (existing != macros_.end() && mode.empty()) {
      error("duplicate-macro", where, "macro '" + name + "'",
            "macro '" + name + "' is already defined at " + existing->second.where.str(),
            "to change it from a later file write it as {expr: ..., override: replace}");
    } else {
      macros_[name] = {ExprText{expr, &file}, where};
    }
  }
}

ExprText RuleSetBuilder::exprField(YamlMap& m, const File& file, const std::string& key,
                                   bool required) {
  auto s = m.getString(key, required);
  if (!s) return {};
  if (trim(*s).empty()) {
    m.error("missing-key", m.valueLocation(key), "'" + key + "' is empty");
    return {};
  }
  return ExprText{m.get(key), &file};
}

std::optional<std::vector<ExceptionDef>> RuleSetBuilder::readExceptions(YamlMap& m,
                                                                        const File& file) {
  YAML::Node node = m.get("exceptions");
  if (!node.IsSequence()) {
    m.error("wrong-type", m.valueLocation("exceptions"),
            "'exceptions' must be a list, found " + describeNode(node));
    return std::nullopt;
  }
  std::vector<ExceptionDef> out;
  bool ok = true;
  for (const auto& item : node) {
    YamlMap em(item, file.name, kPrefix, "exception", diags_);
    if (!em.valid()) {
      ok = false;
      continue;
    }
    em.checkKeys({"name", "fields", "comps", "values"});
    ExceptionDef ex;
    ex.where = em.location();
    ex.name = em.getString("name", true).value_or("");
    auto fields = em.getStringList("fields", true);
    YAML::Node values = em.get("values");
    if (!fields || fields->empty()) {
      if (fields)
        em.error("missing-key", em.valueLocation("fields"),
                 "an exception needs at least one field");
      ok = false;
      continue;
    }
    for (const auto& f : em.get("fields")) ex.fields.push_back(ExprText{f, &file});
    if (em.has("comps")) {
      auto comps = em.getStringList("comps");
      if (!comps) {
        ok = false;
        continue;
      }
      if (comps->size() != fields->size()) {
        em.error("bad-exception", em.valueLocation("comps"),
                 "'comps' has " + std::to_string(comps->size()) + " entries but 'fields' has " +
                     std::to_string(fields->size()),
                 "give one comparison per field");
        ok = false;
        continue;
      }
      size_t i = 0;
      for (const auto& c : *comps) {
        if (std::find(kComps.begin(), kComps.end(), c) == kComps.end()) {
          em.error("bad-exception", locationFromMark(file.name, em.get("comps")[i].Mark()),
                   "unknown comparison '" + c + "'", "use one of " + join(kComps, ", "));
          ok = false;
        }
        ++i;
      }
      ex.comps = *comps;
    } else {
      ex.comps.assign(fields->size(), "==");
    }
    if (!values.IsDefined() || !values.IsSequence()) {
      em.error(values.IsDefined() ? "wrong-type" : "missing-key",
               values.IsDefined() ? em.valueLocation("values") : em.location(),
               values.IsDefined() ? "'values' must be a list of rows"
                                  : "required key 'values' is missing");
      ok = false;
      continue;
    }
    for (const auto& row : values) {
      std::vector<std::pair<YAML::Node, const File*>> cells;
      if (row.IsSequence()) {
        for (const auto& cell : row) cells.push_back({cell, &file});
      } else {
        cells.push_back({row, &file});  // one field: a bare value is a one-cell row
      }
      if (cells.size() != ex.fields.size()) {
        error("bad-exception", locationFromMark(file.name, row.Mark()),
              "exception '" + ex.name + "'",
              "a row needs " + std::to_string(ex.fields.size()) +
                  " value(s), one per field, found " + std::to_string(cells.size()));
        ok = false;
        continue;
      }
      for (size_t i = 0; i < cells.size(); ++i) {
        const YAML::Node& cell = cells[i].first;
        bool want_list = ex.comps[i] == "in";
        if (want_list ? !cell.IsSequence() : !cell.IsScalar()) {
          error("bad-exception", locationFromMark(file.name, cell.Mark()),
                "exception '" + ex.name + "'",
                want_list ? "comparison 'in' needs a list of values"
                          : "a value must be a string or number, found " + describeNode(cell));
          ok = false;
        }
      }
      ex.rows.push_back(std::move(cells));
    }
    out.push_back(std::move(ex));
  }
  if (!ok) return std::nullopt;
  return out;
}

void RuleSetBuilder::readRuleFields(YamlMap& m, const File& file, RuleDef& def,
                                    const std::set<std::string>& only) {
  auto want = [&](const char* key) { return only.empty() || only.count(key) > 0; };
  const bool full = only.empty();
  if (want("title")) def.title = m.getString("title", full).value_or("");
  if (want("description")) def.description = m.getString("description", full).value_or("");
  if (want("severity")) {
    if (auto s = m.getString("severity", full)) {
      def.severity = severityFromName(*s);
      if (!def.severity)
        m.error("bad-value", m.valueLocation("severity"),
                "severity must be one of " + join(severityNames(), ", ") + ", found '" + *s + "'",
                didYouMean(*s, severityNames()));
    }
  }
  if (want("when")) def.when = {exprField(m, file, "when", full)};
  if (full) {
    def.for_each = exprField(m, file, "for_each", false);
    def.subject = exprField(m, file, "subject", false);
    if (def.for_each.present() && !def.subject.present())
      m.error("missing-key", m.keyLocation("for_each"), "a rule with 'for_each' needs a 'subject'",
              "the subject is each element's stable key, e.g. subject: r.id");
    if (def.subject.present() && !def.for_each.present())
      m.error("bad-value", m.keyLocation("subject"), "'subject' only applies with 'for_each'",
              "a rule without for_each has one finding per tenant");
  }
  if (want("message")) def.message = exprField(m, file, "message", full);
  if (want("remediation")) def.remediation = exprField(m, file, "remediation", full);
  if (want("tags") && m.has("tags"))
    def.tags = m.getStringList("tags").value_or(std::vector<std::string>{});
  if (want("enabled") && m.has("enabled")) def.enabled = m.getBool("enabled").value_or(true);
  if (want("exceptions") && m.has("exceptions"))
    def.exceptions = readExceptions(m, file).value_or(std::vector<ExceptionDef>{});
}

void RuleSetBuilder::readRule(const File& file, const YAML::Node& node, size_t index) {
  YamlMap m(node, file.name, kPrefix, "rule #" + std::to_string(index + 1), diags_);
  if (!m.valid()) return;
  // Name the rule in every message once its id is known.
  YAML::Node id_node = m.get("id");
  const bool has_id = id_node.IsScalar() && !id_node.Scalar().empty();
  YamlMap rm(node, file.name, kPrefix,
             has_id ? "rule '" + id_node.Scalar() + "'" : "rule #" + std::to_string(index + 1),
             diags_);
  rm.checkKeys(kRuleKeys);
  auto id = rm.getString("id", true);
  if (!id) return;
  if (!isKebabId(*id)) {
    rm.error(
        "bad-id", rm.valueLocation("id"),
        "rule ids are kebab-case (lower-case words joined by '-'), found '" + abbreviate(*id) + "'",
        "e.g. " + abbreviate(kebabCase(*id)));
    return;
  }
  auto existing =
      std::find_if(rules_.begin(), rules_.end(), [&](const RuleDef& r) { return r.id == *id; });

  // override: replace, or override: {key: replace|append, ...}
  std::map<std::string, std::string> partial;
  bool replace_all = false;
  if (rm.has("override")) {
    YAML::Node ov = rm.get("override");
    if (ov.IsScalar() && ov.Scalar() == "replace") {
      replace_all = true;
    } else if (ov.IsMap()) {
      for (const auto& kv : ov) {
        std::string key = kv.first.Scalar();
        SourceLocation where = locationFromMark(file.name, kv.first.Mark());
        auto allowed = kOverridable.find(key);
        if (allowed == kOverridable.end()) {
          std::vector<std::string> keys;
          for (const auto& [k, v] : kOverridable) keys.push_back(k);
          rm.error("bad-override", where, "'" + key + "' cannot be overridden on its own",
                   didYouMean(key, keys).empty()
                       ? "use override: replace to redefine the whole rule"
                       : didYouMean(key, keys));
          continue;
        }
        std::string mode = kv.second.IsScalar() ? kv.second.Scalar() : "";
        if (std::find(allowed->second.begin(), allowed->second.end(), mode) ==
            allowed->second.end()) {
          rm.error("bad-override", locationFromMark(file.name, kv.second.Mark()),
                   "'" + key + "' can be overridden with " + join(allowed->second, " or ") +
                       ", found '" + mode + "'");
          continue;
        }
        partial[key] = mode;
      }
      if (partial.empty()) return;
    } else {
      rm.error("bad-override", rm.valueLocation("override"),
               "override must be 'replace' or a mapping such as {enabled: replace}");
      return;
    }
  }

  if (existing == rules_.end()) {
    if (replace_all || !partial.empty()) {
      rm.error(
          "no-previous", rm.keyLocation("override"),
          "override, but no earlier file defines rule '" + *id + "'",
          "remove 'override' to define it, or check the file order (files load in name order)");
      return;
    }
    RuleDef def;
    def.id = *id;
    def.where = rm.location();
    // Kept even with shape errors, so that its conditions are still checked: one run shows
    // every mistake. The set is rejected anyway.
    readRuleFields(rm, file, def, {});
    rules_.push_back(std::move(def));
    return;
  }
  if (!replace_all && partial.empty()) {
    rm.error("duplicate-id", rm.valueLocation("id"),
             "rule '" + *id + "' is already defined at " + existing->where.str(),
             "rule ids are unique; to change it from a later file add override: {key: replace} or "
             "override: replace");
    return;
  }
  if (replace_all) {
    RuleDef def;
    def.id = *id;
    def.where = rm.location();
    readRuleFields(rm, file, def, {});
    *existing = std::move(def);
    return;
  }
  // Partial: only the named keys (and id, override) may appear.
  std::set<std::string> only;
  for (const auto& [key, mode] : partial) only.insert(key);
  for (const auto& kv : node) {
    std::string key = kv.first.Scalar();
    if (key != "id" && key != "override" && !only.count(key))
      rm.error("bad-override", locationFromMark(file.name, kv.first.Mark()),
               "'" + key + "' is set here but not listed in override",
               "add " + key + ": replace to override: {...}");
  }
  for (const auto& key : only)
    if (!rm.has(key))
      rm.error("missing-key", rm.keyLocation("override"),
               "override names '" + key + "' but gives no new value");
  RuleDef changes;
  readRuleFields(rm, file, changes, only);
  for (const auto& [key, mode] : partial) {
    const bool append = mode == "append";
    if (key == "title")
      existing->title = changes.title;
    else if (key == "description")
      existing->description = changes.description;
    else if (key == "severity")
      existing->severity = changes.severity;
    else if (key == "message")
      existing->message = changes.message;
    else if (key == "remediation")
      existing->remediation = changes.remediation;
    else if (key == "enabled")
      existing->enabled = changes.enabled;
    else if (key == "when") {
      if (!append) existing->when.clear();
      existing->when.insert(existing->when.end(), changes.when.begin(), changes.when.end());
    } else if (key == "tags") {
      if (!append) existing->tags.clear();
      existing->tags.insert(existing->tags.end(), changes.tags.begin(), changes.tags.end());
    } else if (key == "exceptions") {
      if (!append) existing->exceptions.clear();
      existing->exceptions.insert(existing->exceptions.end(), changes.exceptions.begin(),
                                  changes.exceptions.end());
    }
  }
}

NodePtr RuleSetBuilder::compileExpr(ExprCompiler& compiler, const ExprText& e, int offset,
                                    const std::string& context, const std::vector<Binding>& scope,
                                    int& next_slot, Type* type) {
  const std::string text = e.text().substr(static_cast<size_t>(offset));
  ParseResult parsed = parseExpr(text);
  ExprSource source{context, text, [&e, offset](int off) { return e.locate(offset + off); }};
  if (!parsed.ok()) {
    error("syntax", source.locate(parsed.error.pos), context, parsed.error.message,
          parsed.error.hint);
    return nullptr;
  }
  warnFoldedComment(text, source);
  return compiler.compile(*parsed.expr, source, scope, next_slot, type);
}

// YAML folds the lines of a '>' block (or a plain multi-line scalar) into one, so a "//"
// comment there silently swallows every line after it. Warn when a comment runs to the end of
// the expression although the text in the file goes on past the comment's line.
void RuleSetBuilder::warnFoldedComment(const std::string& text, const ExprSource& source) {
  char quote = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == '\\')
        ++i;
      else if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      continue;
    }
    if (c != '/' || text[i + 1] != '/') continue;
    if (text.find('\n', i) != std::string::npos) return;  // a literal block keeps its lines
    const SourceLocation comment = source.locate(static_cast<int>(i));
    const SourceLocation end = source.locate(static_cast<int>(text.size()) - 1);
    if (end.line > comment.line)
      diags_.add(
          {Severity::kWarning, "rules.folded-comment", comment, source.context,
           "this // comment comments out the rest of the expression, including the lines after "
           "it: YAML folded them into one line",
           "write the expression as a literal block (when: |) or move the comment to a YAML # "
           "line"});
    return;
  }
}

// An exception value as a literal of the field's type where it is numeric or bool.
static Value literalFor(const Type& type, const YAML::Node& n) {
  if (type.kind == Type::Kind::kInt) {
    try {
      return Value::integer(std::stoll(n.Scalar()));
    } catch (const std::exception&) {
    }
  }
  if (type.kind == Type::Kind::kBool && (n.Scalar() == "true" || n.Scalar() == "false"))
    return Value::boolean(n.Scalar() == "true");
  return Value::string(n.Scalar());
}

NodePtr RuleSetBuilder::compileExceptions(const RuleDef& def, ExprCompiler& compiler,
                                          const std::vector<Binding>& scope, int& next_slot) {
  NodePtr any;  // exception || exception || ...
  bool ok = true;
  for (const auto& ex : def.exceptions) {
    const std::string context = "rule '" + def.id + "': exception '" + ex.name + "'";
    for (const auto& row : ex.rows) {
      NodePtr all;  // field comp value && ...
      for (size_t i = 0; i < ex.fields.size(); ++i) {
        Type ft;
        NodePtr field = compileExpr(compiler, ex.fields[i], 0, context, scope, next_slot, &ft);
        if (!field) {
          ok = false;
          continue;
        }
        const std::string& comp = ex.comps[i];
        const YAML::Node& cell = row[i].first;
        auto literal = [&](const YAML::Node& n) { return literalFor(ft, n); };
        NodePtr test;
        if (comp == "in") {
          ValueList values;
          for (const auto& v : cell) values.push_back(literal(v));
          test = nodes::binary(nodes::BinaryOp::kIn, std::move(field),
                               nodes::literal(Value::list(std::move(values))));
        } else if (comp == "==" || comp == "!=") {
          test = nodes::binary(comp == "==" ? nodes::BinaryOp::kEq : nodes::BinaryOp::kNe,
                               std::move(field), nodes::literal(literal(cell)));
        } else if (comp == "contains" && ft.kind == Type::Kind::kList) {
          // A list field "contains" a value: membership, e.g. tenant.tags contains vip.
          const Value element = ft.elem ? literalFor(*ft.elem, cell) : Value::string(cell.Scalar());
          test = nodes::binary(nodes::BinaryOp::kIn, nodes::literal(element), std::move(field));
        } else {
          std::vector<NodePtr> args;
          args.push_back(std::move(field));
          args.push_back(nodes::literal(Value::string(cell.Scalar())));
          test = nodes::call(findFunction(comp), std::move(args));
        }
        all = all ? nodes::logicalAnd(std::move(all), std::move(test)) : std::move(test);
      }
      if (all) any = any ? nodes::logicalOr(std::move(any), std::move(all)) : std::move(all);
    }
  }
  return ok ? std::move(any) : nullptr;
}

void RuleSetBuilder::compileRule(const RuleDef& def, RuleSet& set, ExprCompiler& compiler) {
  CompiledRule rule;
  rule.id = def.id;
  rule.title = def.title;
  rule.severity = def.severity.value_or(RuleSeverity::kMedium);
  rule.description = def.description;
  rule.tags = def.tags;
  rule.enabled = def.enabled;
  rule.site = {def.where.file, def.where.line};
  const size_t errors = diags_.errorCount();
  const std::string ctx = "rule '" + def.id + "'";

  std::vector<Binding> scope = {{"tenant", Type::objectOf(env_.tenant_type), kSlotTenant},
                                {"partner", Type::objectOf(&RuleSet::partnerType()), kSlotPartner},
                                {"lists", Type::objectOf(set.lists_type_.get()), kSlotLists},
                                {"now", Type::of(Type::Kind::kTimestamp), kSlotNow}};
  int next_slot = kSlotElement + 1;
  if (def.for_each.present()) {
    // "NAME in EXPRESSION"
    static const std::regex kForEach(R"(^\s*([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(\S[\s\S]*)$)");
    std::smatch m;
    const std::string text = def.for_each.text();
    // std::regex recurses per character: a huge for_each (found by fuzzing) would overflow the
    // stack, so it is refused before matching.
    if (text.size() > 4096 || !std::regex_match(text, m, kForEach)) {
      error("bad-for-each", def.for_each.locate(0), ctx + ": for_each",
            "for_each names the element and the list it comes from",
            "write it as: r in tenant.admin_relationships");
    } else {
      const std::string name = m[1].str();
      for (const auto& b : scope)
        if (b.name == name)
          error("bad-for-each", def.for_each.locate(static_cast<int>(m.position(1))),
                ctx + ": for_each", "'" + name + "' is already a variable",
                "choose another name for the element, e.g. item");
      Type lt;
      rule.for_each = compileExpr(compiler, def.for_each, static_cast<int>(m.position(2)),
                                  ctx + ": for_each", scope, next_slot, &lt);
      if (!lt.isDyn() && lt.kind != Type::Kind::kList) {
        error("type-mismatch", def.for_each.locate(static_cast<int>(m.position(2))),
              ctx + ": for_each", "for_each needs a list, found " + lt.name());
        rule.for_each.reset();
      }
      scope.push_back(
          {name, lt.kind == Type::Kind::kList && lt.elem ? *lt.elem : Type::dyn(), kSlotElement});
    }
  }
  // when (several parts ANDed after an append override), then the exceptions.
  NodePtr when;
  for (const auto& w : def.when) {
    if (!w.present()) continue;
    Type wt;
    NodePtr part = compileExpr(compiler, w, 0, ctx + ": when", scope, next_slot, &wt);
    if (part && !wt.isDyn() && wt.kind != Type::Kind::kBool) {
      error("type-mismatch", w.locate(0), ctx + ": when",
            "'when' must be a condition (bool), found " + wt.name());
      part.reset();
    }
    if (!part) continue;
    when = when ? nodes::logicalAnd(std::move(when), std::move(part)) : std::move(part);
  }
  if (!def.exceptions.empty()) {
    NodePtr ex = compileExceptions(def, compiler, scope, next_slot);
    if (ex && when) when = nodes::logicalAnd(std::move(when), nodes::logicalNot(std::move(ex)));
  }
  rule.when = std::move(when);
  if (def.subject.present()) {
    Type st;
    rule.subject = compileExpr(compiler, def.subject, 0, ctx + ": subject", scope, next_slot, &st);
    if (rule.subject && !st.isDyn() && st.kind != Type::Kind::kString)
      error("type-mismatch", def.subject.locate(0), ctx + ": subject",
            "the subject must be a string (a stable key such as r.id), found " + st.name());
  }
  auto compileTemplate = [&](const ExprText& t, Template& out, const char* key) {
    if (!t.present()) return;
    const ExprText et = t;
    ExprSource source{ctx + ": " + key, et.text(), [et](int off) { return et.locate(off); }};
    out.compile(et.text(), source, compiler, scope, next_slot, diags_);
  };
  compileTemplate(def.message, rule.message, "message");
  compileTemplate(def.remediation, rule.remediation, "remediation");
  rule.frame_size = next_slot;
  if (diags_.errorCount() != errors || !rule.when) return;
  set.rules_.push_back(std::move(rule));
}

LoadResult loadRules(const std::vector<RuleSource>& sources, const RuleEnvironment& env) {
  LoadResult result;
  RuleSetBuilder builder(sources, env, result.diagnostics);
  result.rules = builder.build();
  return result;
}

const std::vector<std::pair<std::string, std::string>>& ruleDiagnosticCodes() {
  static const std::vector<std::pair<std::string, std::string>> kCodes = {
      {"rules.yaml-syntax", "the file is not valid YAML"},
      {"rules.unknown-key", "a key that does not exist in that place (did-you-mean in the hint)"},
      {"rules.duplicate-key", "the same key twice in one mapping"},
      {"rules.missing-key", "a required key is missing or empty"},
      {"rules.wrong-type", "a value of the wrong YAML type (a list where a string belongs, ...)"},
      {"rules.bad-value",
       "a value that is not allowed (unknown severity, subject without for_each, ...)"},
      {"rules.bad-id", "a rule id that is not kebab-case"},
      {"rules.bad-name", "a list or macro name that is not lower_snake_case"},
      {"rules.duplicate-id", "a rule id defined twice without override"},
      {"rules.duplicate-list", "a list defined twice without override"},
      {"rules.duplicate-macro", "a macro defined twice without override"},
      {"rules.no-previous", "an override of something no earlier file defines"},
      {"rules.bad-override", "an override that is malformed or changes what it may not"},
      {"rules.syntax", "a condition, subject or template hole that does not parse"},
      {"rules.unknown-variable", "a name that is neither a variable nor a macro"},
      {"rules.unknown-field", "a field the object (tenant, relationship, ...) does not have"},
      {"rules.unknown-list", "lists.X where no list X is defined"},
      {"rules.unknown-function", "a function that does not exist"},
      {"rules.bad-call", "a function called as a method or the other way round"},
      {"rules.wrong-arity", "a function called with the wrong number of arguments"},
      {"rules.bad-macro", "has(), all(), exists(), exists_one(), filter() or map() misused"},
      {"rules.type-mismatch", "operands or arguments whose types cannot work"},
      {"rules.bad-regex", "a regular expression that does not compile"},
      {"rules.bad-template", "a message or remediation with an unclosed '{{'"},
      {"rules.bad-for-each", "for_each not of the form 'name in list'"},
      {"rules.bad-exception", "a malformed exception (comps, values)"},
      {"rules.macro-cycle", "a macro that uses itself"},
      {"rules.too-complex", "an expression too large once its macros are inlined"},
      {"rules.costly-nesting",
       "(warning) a list macro over a tenant list inside another: the product of their sizes"},
      {"rules.unused-list", "(warning) a list nothing uses"},
      {"rules.folded-comment",
       "(warning) a // comment in a folded block that swallows the lines after it"},
      {"rules.unused-macro", "(warning) a macro nothing uses"},
      {"rules.empty-file", "(warning) a rule file that defines nothing"},
  };
  return kCodes;
}

}  // namespace cspwatch::rules
