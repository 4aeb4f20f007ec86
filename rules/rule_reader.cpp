// SPDX-License-Identifier: Apache-2.0
#include "rules/rule_reader.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <iterator>
#include <set>

#include "common/text.h"
#include "common/yaml_util.h"

namespace cspwatch::rules {

void addRuleError(Diagnostics& diags, const std::string& kind, const SourceLocation& loc,
                  const std::string& context, const std::string& message, const std::string& hint) {
  diags.add(
      {Severity::kError, std::string(kRuleCodePrefix) + "." + kind, loc, context, message, hint});
}

SourceLocation ExprText::locate(int offset) const {
  return locateInScalar(file->name, *file->text, node, offset);
}

namespace {

const std::vector<std::string> kTopKeys = {"lists", "macros", "rules"};
const std::vector<std::string> kRuleKeys = {
    "id",          "title",    "severity", "description",   "why",
    "when",        "for_each", "subject",  "subject_label", "message",
    "remediation", "tags",     "enabled",  "exceptions",    "override"};
// Keys a partial override may change, and how.
const std::map<std::string, std::vector<std::string>> kOverridable = {
    {"title", {"replace"}},          {"severity", {"replace"}},
    {"description", {"replace"}},    {"why", {"replace"}},
    {"when", {"replace", "append"}}, {"message", {"replace"}},
    {"remediation", {"replace"}},    {"tags", {"replace", "append"}},
    {"enabled", {"replace"}},        {"exceptions", {"replace", "append"}}};
const std::vector<std::string> kComps = {"==", "!=", "in", "startsWith", "endsWith", "contains"};

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

Override overrideFromName(const std::string& mode) {
  if (mode == "append") return Override::kAppend;
  if (mode == "replace") return Override::kReplace;
  return Override::kNone;
}

// Reads `override:` of a list or macro written in its long form; kNone if none.
Override readOverrideMode(YamlMap& m, const std::vector<std::string>& allowed) {
  auto mode = m.getString("override");
  if (!mode) return Override::kNone;
  if (std::find(allowed.begin(), allowed.end(), *mode) == allowed.end()) {
    m.error("bad-override", m.valueLocation("override"),
            "override must be " + join(allowed, " or ") + ", found '" + *mode + "'");
    return Override::kNone;
  }
  return overrideFromName(*mode);
}

// An expression-valued key; absent (reported if `required`) or empty gives an absent ExprText.
ExprText exprField(YamlMap& m, const RuleFile& file, const std::string& key, bool required) {
  const YAML::Node v = m.get(key);
  if (v.IsMap() && v.size() == 1 && v.begin()->first.IsScalar() &&
      v.Mark().line == v.begin()->second.Mark().line) {
    // `when: tenant.x == a: b` read as the mapping {tenant.x == a: b}: the text has a ': '.
    m.error("wrong-type", m.valueLocation(key),
            "'" + key +
                "' must be a string, found a mapping: YAML split the text at a ': ' into a key "
                "and a value (at " +
                locationFromMark(file.name, v.begin()->second.Mark()).str() + ")",
            kColonHint);
    return {};
  }
  auto s = m.getString(key, required);
  if (!s) return {};
  if (trim(*s).empty()) {
    m.error("missing-key", m.valueLocation(key), "'" + key + "' is empty");
    return {};
  }
  return ExprText{m.get(key), &file};
}

// `comps` of an exception: one known comparison per field ("==" for each when absent).
// nullopt (reported) when they are not a list or not one per field: the rows cannot be checked
// against them. Unknown comparisons are reported and kept, clearing `ok`.
std::optional<std::vector<std::string>> readExceptionComps(YamlMap& em, const RuleFile& file,
                                                           size_t field_count, bool& ok) {
  if (!em.has("comps")) return std::vector<std::string>(field_count, "==");
  auto comps = em.getStringList("comps");
  if (!comps) return std::nullopt;
  if (comps->size() != field_count) {
    em.error("bad-exception", em.valueLocation("comps"),
             "'comps' has " + std::to_string(comps->size()) + " entries but 'fields' has " +
                 std::to_string(field_count),
             "give one comparison per field");
    return std::nullopt;
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
  return comps;
}

// `values` of an exception: rows of one value per field, a list of values for "in". False if
// any row has a problem (every one reported).
bool readExceptionRows(YamlMap& em, const RuleFile& file, Diagnostics& diags, ExceptionRecord& ex) {
  YAML::Node values = em.get("values");
  if (!values.IsDefined() || !values.IsSequence()) {
    em.error(values.IsDefined() ? "wrong-type" : "missing-key",
             values.IsDefined() ? em.valueLocation("values") : em.location(),
             values.IsDefined() ? "'values' must be a list of rows"
                                : "required key 'values' is missing");
    return false;
  }
  bool ok = true;
  const std::string context = "exception '" + ex.name + "'";
  for (const auto& row : values) {
    std::vector<YAML::Node> cells;
    if (row.IsSequence()) {
      for (const auto& cell : row) cells.push_back(cell);
    } else {
      cells.push_back(row);  // one field: a bare value is a one-cell row
    }
    if (cells.size() != ex.fields.size()) {
      addRuleError(diags, "bad-exception", locationFromMark(file.name, row.Mark()), context,
                   "a row needs " + std::to_string(ex.fields.size()) +
                       " value(s), one per field, found " + std::to_string(cells.size()));
      ok = false;
      continue;
    }
    for (size_t i = 0; i < cells.size(); ++i) {
      const YAML::Node& cell = cells[i];
      const bool want_list = ex.comps[i] == "in";
      if (want_list ? !cell.IsSequence() : !cell.IsScalar()) {
        addRuleError(diags, "bad-exception", locationFromMark(file.name, cell.Mark()), context,
                     want_list ? "comparison 'in' needs a list of values"
                               : "a value must be a string or number, found " + describeNode(cell));
        ok = false;
      }
    }
    ex.rows.push_back(std::move(cells));
  }
  return ok;
}

// One entry of `exceptions`; nullopt if it has any problem (every one reported).
std::optional<ExceptionRecord> readException(const YAML::Node& item, const RuleFile& file,
                                             Diagnostics& diags) {
  YamlMap em(item, file.name, kRuleCodePrefix, "exception", diags);
  if (!em.valid()) return std::nullopt;
  em.checkKeys({"name", "fields", "comps", "values"});
  ExceptionRecord ex;
  ex.where = em.location();
  ex.name = em.getString("name", true).value_or("");
  auto fields = em.getStringList("fields", true);
  if (!fields || fields->empty()) {
    if (fields)
      em.error("missing-key", em.valueLocation("fields"), "an exception needs at least one field");
    return std::nullopt;
  }
  for (const auto& f : em.get("fields")) ex.fields.push_back(ExprText{f, &file});
  bool ok = true;
  auto comps = readExceptionComps(em, file, fields->size(), ok);
  if (!comps) return std::nullopt;
  ex.comps = std::move(*comps);
  if (!readExceptionRows(em, file, diags, ex) || !ok) return std::nullopt;
  return ex;
}

// `exceptions`: nullopt if any of them is malformed (every problem reported).
std::optional<std::vector<ExceptionRecord>> readExceptions(YamlMap& m, const RuleFile& file,
                                                           Diagnostics& diags) {
  YAML::Node node = m.get("exceptions");
  if (!node.IsSequence()) {
    m.error("wrong-type", m.valueLocation("exceptions"),
            "'exceptions' must be a list, found " + describeNode(node));
    return std::nullopt;
  }
  std::vector<ExceptionRecord> out;
  bool ok = true;
  for (const auto& item : node) {
    auto ex = readException(item, file, diags);
    if (ex)
      out.push_back(std::move(*ex));
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

// The rule's fields; with `only` not empty (a partial override), just those, none required.
void readRuleFields(YamlMap& m, const RuleFile& file, Diagnostics& diags, RuleRecord& def,
                    const std::set<std::string>& only) {
  auto want = [&](const char* key) { return only.empty() || only.count(key) > 0; };
  const bool full = only.empty();
  if (want("title")) def.title = m.getString("title", full).value_or("");
  if (want("description")) def.description = m.getString("description", full).value_or("");
  if (want("why") && m.has("why")) {
    def.why = m.getString("why").value_or("");
    def.why_at = m.valueLocation("why");
  }
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
    def.subject_label = exprField(m, file, "subject_label", false);
    if (def.subject_label.present() && !def.for_each.present())
      m.error("bad-value", m.keyLocation("subject_label"),
              "'subject_label' only applies with 'for_each'",
              "a rule without for_each has no subject to name");
  }
  if (want("message")) def.message = exprField(m, file, "message", full);
  if (want("remediation")) def.remediation = exprField(m, file, "remediation", full);
  if (want("tags") && m.has("tags"))
    def.tags = m.getStringList("tags").value_or(std::vector<std::string>{});
  if (want("enabled") && m.has("enabled")) def.enabled = m.getBool("enabled").value_or(true);
  if (want("exceptions") && m.has("exceptions"))
    def.exceptions = readExceptions(m, file, diags).value_or(std::vector<ExceptionRecord>{});
}

// override: replace, or override: {key: replace|append, ...}. False (reported) when it is
// malformed or names nothing that may be overridden: the rule is then left out.
bool readRuleOverride(YamlMap& rm, const RuleFile& file, RuleItem& item) {
  if (!rm.has("override")) return true;
  YAML::Node ov = rm.get("override");
  if (ov.IsScalar() && ov.Scalar() == "replace") {
    item.replace_whole = true;
    return true;
  }
  if (!ov.IsMap()) {
    rm.error("bad-override", rm.valueLocation("override"),
             "override must be 'replace' or a mapping such as {enabled: replace}");
    return false;
  }
  for (const auto& kv : ov) {
    std::string key = kv.first.Scalar();
    SourceLocation where = locationFromMark(file.name, kv.first.Mark());
    auto allowed = kOverridable.find(key);
    if (allowed == kOverridable.end()) {
      std::vector<std::string> keys;
      for (const auto& [k, v] : kOverridable) keys.push_back(k);
      rm.error("bad-override", where, "'" + key + "' cannot be overridden on its own",
               didYouMean(key, keys).empty() ? "use override: replace to redefine the whole rule"
                                             : didYouMean(key, keys));
      continue;
    }
    std::string mode = kv.second.IsScalar() ? kv.second.Scalar() : "";
    if (std::find(allowed->second.begin(), allowed->second.end(), mode) == allowed->second.end()) {
      rm.error("bad-override", locationFromMark(file.name, kv.second.Mark()),
               "'" + key + "' can be overridden with " + join(allowed->second, " or ") +
                   ", found '" + mode + "'");
      continue;
    }
    item.partial[key] = overrideFromName(mode);
  }
  return !item.partial.empty();
}

// A partial override sets exactly the keys it names (besides id and override).
void checkPartialKeys(const YAML::Node& node, YamlMap& fm, const RuleFile& file,
                      const std::set<std::string>& only) {
  for (const auto& kv : node) {
    std::string key = kv.first.Scalar();
    if (key != "id" && key != "override" && !only.count(key))
      fm.error("bad-override", locationFromMark(file.name, kv.first.Mark()),
               "'" + key + "' is set here but not listed in override",
               "add " + key + ": replace to override: {...}");
  }
  for (const auto& key : only)
    if (!fm.has(key))
      fm.error("missing-key", fm.keyLocation("override"),
               "override names '" + key + "' but gives no new value");
}

// Reads one document into items, one per list, macro and rule, in file order.
class FileReader {
 public:
  explicit FileReader(const RuleFile& file) : file_(file) {}
  std::vector<ReadItem> read(const YAML::Node& doc);

 private:
  // Starts the next item. A deque: references to earlier items stay valid.
  ReadItem& next() { return items_.emplace_back(); }
  std::vector<ReadItem> take() {
    return std::vector<ReadItem>(std::make_move_iterator(items_.begin()),
                                 std::make_move_iterator(items_.end()));
  }
  void readLists(const YAML::Node& node);
  void readList(const YAML::Node& key, const YAML::Node& value);
  void readMacros(const YAML::Node& node);
  void readMacro(const YAML::Node& key, const YAML::Node& value, std::set<std::string>& seen);
  void readRule(const YAML::Node& node, size_t index);

  const RuleFile& file_;
  std::deque<ReadItem> items_;
};

std::vector<ReadItem> FileReader::read(const YAML::Node& doc) {
  Diagnostics& problems = next().problems;
  if (doc.IsNull()) {
    problems.add({Severity::kWarning,
                  "rules.empty-file",
                  {file_.name, 1, 1},
                  "",
                  "the file defines nothing",
                  ""});
    return take();
  }
  YamlMap top(doc, file_.name, kRuleCodePrefix, "", problems);
  if (!top.valid()) return take();
  top.checkKeys(kTopKeys);
  if (top.has("lists")) readLists(top.get("lists"));
  if (top.has("macros")) readMacros(top.get("macros"));
  if (top.has("rules")) {
    YAML::Node rules = top.get("rules");
    if (!rules.IsSequence()) {
      addRuleError(next().problems, "wrong-type", top.valueLocation("rules"), "",
                   "'rules' must be a list of rules, found " + describeNode(rules),
                   "start each rule with '- id: ...'");
      return take();
    }
    size_t i = 0;
    for (const auto& r : rules) readRule(r, i++);
  }
  return take();
}

void FileReader::readLists(const YAML::Node& node) {
  YamlMap m(node, file_.name, kRuleCodePrefix, "lists", next().problems);
  if (!m.valid()) return;
  m.checkUniqueKeys();
  for (const auto& kv : node) readList(kv.first, kv.second);
}

void FileReader::readList(const YAML::Node& key, const YAML::Node& value) {
  ReadItem& item = next();
  ListItem list;
  list.name = key.Scalar();
  list.where = locationFromMark(file_.name, key.Mark());
  const std::string& name = list.name;
  if (!isSnakeName(name)) {
    addRuleError(item.problems, "bad-name", list.where, "list '" + abbreviate(name) + "'",
                 "list names are lower_snake_case, found '" + abbreviate(name) + "'");
    return;
  }
  YAML::Node items_node = value;
  if (value.IsMap()) {
    YamlMap lm(value, file_.name, kRuleCodePrefix, "list '" + name + "'", item.problems);
    lm.checkKeys({"items", "override"});
    list.mode = readOverrideMode(lm, {"append", "replace"});
    items_node = lm.get("items");
    if (!items_node.IsDefined()) {
      lm.error("missing-key", list.where, "list '" + name + "' has no 'items'");
      return;
    }
  }
  if (!items_node.IsSequence()) {
    addRuleError(item.problems, "wrong-type", locationFromMark(file_.name, items_node.Mark()),
                 "list '" + name + "'",
                 "a list's items must be a YAML list, found " + describeNode(items_node),
                 "write [a, b, c]");
    return;
  }
  bool ok = true;
  for (const auto& element : items_node) {
    if (!element.IsScalar()) {
      addRuleError(item.problems, "wrong-type", locationFromMark(file_.name, element.Mark()),
                   "list '" + name + "'",
                   "list items must be strings, found " + describeNode(element));
      ok = false;
      continue;
    }
    list.items.push_back(element.Scalar());
  }
  if (ok) item.record = std::move(list);
}

void FileReader::readMacros(const YAML::Node& node) {
  if (!node.IsMap()) {
    addRuleError(next().problems, "wrong-type", locationFromMark(file_.name, node.Mark()), "macros",
                 "'macros' must map names to expressions, found " + describeNode(node));
    return;
  }
  std::set<std::string> seen;
  for (const auto& kv : node) readMacro(kv.first, kv.second, seen);
}

void FileReader::readMacro(const YAML::Node& key, const YAML::Node& value,
                           std::set<std::string>& seen) {
  ReadItem& item = next();
  MacroItem macro;
  macro.name = key.Scalar();
  macro.where = locationFromMark(file_.name, key.Mark());
  const std::string& name = macro.name;
  if (!seen.insert(name).second) {
    addRuleError(item.problems, "duplicate-key", macro.where, "macros",
                 "macro '" + name + "' appears twice in this file");
    return;
  }
  if (!isSnakeName(name)) {
    addRuleError(item.problems, "bad-name", macro.where, "macro '" + abbreviate(name) + "'",
                 "macro names are lower_snake_case, found '" + abbreviate(name) + "'");
    return;
  }
  YAML::Node expr = value;
  if (value.IsMap()) {
    YamlMap mm(value, file_.name, kRuleCodePrefix, "macro '" + name + "'", item.problems);
    mm.checkKeys({"expr", "override"});
    macro.mode = readOverrideMode(mm, {"replace"});
    expr = mm.get("expr");
  }
  if (!expr.IsScalar()) {
    addRuleError(item.problems, "wrong-type",
                 expr.IsDefined() ? locationFromMark(file_.name, expr.Mark()) : macro.where,
                 "macro '" + name + "'",
                 "a macro is an expression string, found " + describeNode(expr));
    return;
  }
  macro.expr = ExprText{expr, &file_};
  item.record = std::move(macro);
}

void FileReader::readRule(const YAML::Node& node, size_t index) {
  ReadItem& item = next();
  YamlMap m(node, file_.name, kRuleCodePrefix, "rule #" + std::to_string(index + 1), item.problems);
  if (!m.valid()) return;
  RuleItem rule;
  // Name the rule in every message once its id is known.
  YAML::Node id_node = m.get("id");
  const bool has_id = id_node.IsScalar() && !id_node.Scalar().empty();
  rule.context = has_id ? "rule '" + id_node.Scalar() + "'" : "rule #" + std::to_string(index + 1);
  YamlMap rm(node, file_.name, kRuleCodePrefix, rule.context, item.problems);
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
  if (!readRuleOverride(rm, file_, rule)) return;
  rule.rule.id = *id;
  rule.rule.where = rm.location();
  rule.id_at = rm.valueLocation("id");
  rule.override_at = rm.keyLocation("override");
  // The fields are read whatever the collector will make of the rule, their problems kept
  // apart: it reports them only for a rule it takes.
  YamlMap fields(node, file_.name, kRuleCodePrefix, rule.context, rule.field_problems);
  std::set<std::string> only;
  for (const auto& [key, mode] : rule.partial) only.insert(key);
  if (!only.empty()) checkPartialKeys(node, fields, file_, only);
  readRuleFields(fields, file_, rule.field_problems, rule.rule, only);
  item.record = std::move(rule);
}

}  // namespace

std::vector<ReadItem> readRuleFile(const RuleFile& file, const YAML::Node& doc) {
  return FileReader(file).read(doc);
}

}  // namespace cspwatch::rules

namespace cspwatch::rules {

std::optional<SourceLocation> colonInPlainValue(const std::string& text,
                                                const SourceLocation& where) {
  if (where.line < 1) return std::nullopt;
  size_t start = 0;
  for (int line = 1; line < where.line; ++line) {
    start = text.find('\n', start);
    if (start == std::string::npos) return std::nullopt;
    ++start;
  }
  const std::string line = text.substr(start, text.find('\n', start) - start);
  // `key: value` (also `- key: value`), the value plain: not quoted, a block or a flow.
  size_t i = line.find_first_not_of(" \t");
  if (i != std::string::npos && line.compare(i, 2, "- ") == 0)
    i = line.find_first_not_of(' ', i + 1);
  if (i == std::string::npos) return std::nullopt;
  const size_t colon = line.find(": ", i);
  if (colon == std::string::npos) return std::nullopt;
  for (size_t k = i; k < colon; ++k)
    if (!(std::isalnum(static_cast<unsigned char>(line[k])) || line[k] == '_' || line[k] == '-'))
      return std::nullopt;
  const size_t value = line.find_first_not_of(' ', colon + 1);
  if (value == std::string::npos ||
      std::string("\"'|>{[&*!#").find(line[value]) != std::string::npos)
    return std::nullopt;
  size_t inner = line.find(": ", value);
  if (inner == std::string::npos && line.back() == ':') inner = line.size() - 1;
  if (inner == std::string::npos) return std::nullopt;
  return SourceLocation{where.file, where.line, static_cast<int>(inner) + 1};
}

}  // namespace cspwatch::rules
