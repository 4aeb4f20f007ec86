// SPDX-License-Identifier: Apache-2.0
#include "common/yaml_util.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include "common/guid.h"
#include "common/text.h"
#include "common/text_position.h"

namespace cspwatch {

SourceLocation locationFromMark(const std::string& file, const YAML::Mark& mark) {
  if (mark.line < 0) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

SourceLocation locateInScalar(const std::string& file, const std::string& text,
                              const YAML::Node& node, int offset) {
  const YAML::Mark mark = node.Mark();
  if (mark.pos < 0 || static_cast<size_t>(mark.pos) >= text.size() || !node.IsScalar())
    return locationFromMark(file, mark);
  const std::string& value = node.Scalar();
  size_t r = static_cast<size_t>(mark.pos);
  const char style = text[r];
  const bool dq = style == '"', sq = style == '\'';
  if (dq || sq) {
    ++r;
  } else if (style == '|' || style == '>') {  // block scalar: content starts on the next line
    while (r < text.size() && text[r] != '\n') ++r;
    if (r < text.size()) ++r;
  }
  // Walk the value and the raw text together up to `offset`, skipping what the raw text has
  // and the value lacks (indentation, quotes, escape characters, folded line breaks).
  size_t v = 0;
  const size_t target = std::min(static_cast<size_t>(std::max(offset, 0)), value.size());
  while (v < target && r < text.size()) {
    const char c = text[r];
    if (dq && c == '\\') {
      // One escape in the raw text stands for the UTF-8 bytes of one character in the value.
      const char e = r + 1 < text.size() ? text[r + 1] : ' ';
      const size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
      size_t bytes = 1;
      if (digits > 0) {
        const unsigned long code = std::strtoul(text.substr(r + 2, digits).c_str(), nullptr, 16);
        bytes = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      } else if (e == 'N' || e == '_') {
        bytes = 2;  // U+0085, U+00A0
      } else if (e == 'L' || e == 'P') {
        bytes = 3;  // U+2028, U+2029
      }
      r += 2 + digits;
      v += bytes;
    } else if (sq && c == '\'' && r + 1 < text.size() && text[r + 1] == '\'') {
      r += 2;
      ++v;
    } else if (value[v] == c) {
      ++r;
      ++v;
    } else if ((value[v] == ' ' || value[v] == '\n') && (c == '\n' || c == '\r')) {
      ++r;  // a folded or kept line break: skip it and the next line's indentation
      while (r < text.size() && (text[r] == ' ' || text[r] == '\t')) ++r;
      ++v;
    } else {
      ++r;
    }
  }
  // Land on the character itself, not on the indentation or line break before it.
  if (v < value.size())
    while (r < text.size() && text[r] != value[v] &&
           (text[r] == ' ' || text[r] == '\t' || text[r] == '\n' || text[r] == '\r'))
      ++r;
  const TextPosition at = textPosition(text, r);
  return {file, at.line, at.column};
}

std::string describeNode(const YAML::Node& node) {
  if (!node.IsDefined()) return "nothing";
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + abbreviate(node.Scalar()) + "'";
    case YAML::NodeType::Null:
      return "nothing (an empty value)";
    default:
      return "nothing";
  }
}

namespace {

// The 1-based line and column of byte `offset`.
SourceLocation locationOfOffset(const std::string& file, const std::string& text, size_t offset) {
  const TextPosition at = textPosition(text, offset);
  return {file, at.line, at.column};
}

// What yaml-cpp would accept silently or misread: a NUL byte (yaml-cpp stops there, or the
// file is UTF-16), bytes that are not UTF-8, and lone CR line ends (yaml-cpp reads none of
// them as a line break, so the whole file is one line). "" when the text is fine.
std::string checkText(const std::string& text, size_t& offset, std::string& hint) {
  const size_t nul = text.find('\0');
  if (nul != std::string::npos) {
    offset = nul;
    hint = "is it UTF-16 or a binary file? save it as UTF-8 text";
    return "the file contains a NUL byte";
  }
  if (!isValidUtf8(text, &offset)) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[offset]));
    hint = "save the file as UTF-8 (it may be Latin-1 or Windows-1252)";
    return std::string("the file is not valid UTF-8 (byte ") + byte + ")";
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) {
      offset = i;
      hint = "save the file with LF (or CRLF) line ends";
      return "a line ends with a lone CR (carriage return without line feed)";
    }
  }
  return {};
}

// Counts the nodes a document holds once its aliases are expanded, without expanding them:
// every alias adds the size of the node it names. yaml-cpp keeps an alias as a second
// reference to the same node, so code that walks the tree walks the expansion: a "billion
// laughs" document of a few hundred bytes expands to 10^9 nodes. Such documents, and aliases
// to a node that contains them (a cycle, which a walk never leaves), are refused here.
class AliasBudget : public YAML::EventHandler {
 public:
  struct Refusal {
    YAML::Mark mark;
    std::string message;
  };

  explicit AliasBudget(uint64_t max_added) : max_added_(max_added) {}
  std::optional<Refusal> refusal;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { leaf(anchor); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    leaf(anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (refusal) return;
    auto it = sizes_.find(anchor);
    if (it == sizes_.end()) return;  // yaml-cpp reports an unknown anchor itself
    if (it->second == 0) {
      refusal = Refusal{mark, "this alias refers to a node that contains it (a cycle)"};
      return;
    }
    added_ += it->second - 1;
    add(it->second);
    if (added_ > max_added_)
      refusal =
          Refusal{mark, "aliases expand the document by more than " + std::to_string(max_added_) +
                            " nodes (a \"billion laughs\" document?)"};
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    YAML::anchor_t anchor;
    uint64_t size;
  };
  // Sizes saturate well above the budget so that nothing overflows.
  void add(uint64_t n) {
    if (!stack_.empty()) stack_.back().size = std::min<uint64_t>(stack_.back().size + n, kCap);
  }
  void leaf(YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) sizes_[anchor] = 1;
    add(1);
  }
  void open(YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) sizes_[anchor] = 0;  // 0: still open
    stack_.push_back({anchor, 1});
  }
  void close() {
    if (stack_.empty()) return;
    const Frame f = stack_.back();
    stack_.pop_back();
    if (f.anchor != YAML::NullAnchor) sizes_[f.anchor] = f.size;
    add(f.size);
  }
  static constexpr uint64_t kCap = uint64_t{1} << 60;
  const uint64_t max_added_;
  uint64_t added_ = 0;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, uint64_t> sizes_;
};

}  // namespace

std::optional<YAML::Node> parseYamlDocument(const std::string& file, const std::string& text,
                                            const std::string& code_prefix, Diagnostics& diags) {
  diags.addSource(file, text);
  const std::string code = code_prefix + ".yaml-syntax";
  size_t offset = 0;
  std::string hint;
  if (std::string problem = checkText(text, offset, hint); !problem.empty()) {
    diags.error(code, locationOfOffset(file, text, offset), problem, hint);
    return std::nullopt;
  }
  try {
    // An alias needs a '*': documents without one (every JSON file) skip the second parse.
    if (text.find('*') != std::string::npos) {
      std::istringstream in(text);
      YAML::Parser parser(in);
      AliasBudget budget(kMaxAliasExpansion);
      parser.HandleNextDocument(budget);
      if (budget.refusal) {
        diags.error(code, locationFromMark(file, budget.refusal->mark), budget.refusal->message,
                    "write the values out instead of repeating them with aliases (*name)");
        return std::nullopt;
      }
    }
    return YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    diags.error(code, locationFromMark(file, e.mark),
                "lists and mappings are nested too deeply for the YAML reader",
                "no cspwatch file nests more than a few levels: look for unclosed '[' or '{'");
  } catch (const YAML::Exception& e) {
    diags.error(code, locationFromMark(file, e.mark), "YAML syntax error: " + e.msg,
                "check indentation, quoting and that every ':' is followed by a space");
  }
  return std::nullopt;
}

YamlMap::YamlMap(const YAML::Node& node, std::string file, std::string code_prefix,
                 std::string context, Diagnostics& diags, const YAML::Node& parent_for_position)
    : node_(node),
      file_(std::move(file)),
      prefix_(std::move(code_prefix)),
      context_(std::move(context)),
      diags_(diags),
      parent_(parent_for_position) {
  valid_ = node_.IsMap();
  if (!valid_) {
    SourceLocation loc = location();
    error("wrong-type", loc, "expected a mapping of keys to values, found " + describeNode(node_));
  }
}

SourceLocation YamlMap::location() const {
  SourceLocation loc = node_.IsDefined() ? locationFromMark(file_, node_.Mark()) : SourceLocation{};
  if (!loc.known() && parent_.IsDefined()) loc = locationFromMark(file_, parent_.Mark());
  loc.file = file_;
  return loc;
}

void YamlMap::error(const std::string& kind, const SourceLocation& loc, const std::string& message,
                    const std::string& hint) {
  Diagnostic d;
  d.code = prefix_ + "." + kind;
  d.location = loc;
  d.context = context_;
  d.message = message;
  d.hint = hint;
  diags_.add(std::move(d));
}

void YamlMap::checkKeys(const std::vector<std::string>& known,
                        const std::vector<std::string>& secrets) {
  if (!valid_) return;
  std::set<std::string> seen;
  for (const auto& kv : node_) {
    const YAML::Node& key = kv.first;
    SourceLocation loc = locationFromMark(file_, key.Mark());
    if (!key.IsScalar()) {
      error("wrong-type", loc, "expected a key name, found " + describeNode(key));
      continue;
    }
    const std::string& name = key.Scalar();
    if (!seen.insert(name).second) {
      error("duplicate-key", loc, "key '" + abbreviate(name) + "' appears more than once",
            "remove one of them; only one value can apply");
      continue;
    }
    bool is_secret = false;
    for (const auto& s : secrets) is_secret = is_secret || s == name;
    if (is_secret) {
      error("inline-secret", loc, "'" + name + "' must not be written into the config file",
            "put the secret in a file readable only by cspwatch and set '" + name +
                "_file' to its path");
      continue;
    }
    bool ok = false;
    for (const auto& k : known) ok = ok || k == name;
    if (!ok) {
      std::string hint = didYouMean(name, known);
      if (name == "<<")
        hint = "YAML merge keys (<<) are not supported: write the keys out";
      else if (hint.empty())
        hint = "known keys here: " + join(known, ", ");
      error("unknown-key", loc, "unknown key '" + abbreviate(name) + "'", hint);
    }
  }
}

void YamlMap::checkUniqueKeys() {
  if (!valid_) return;
  std::set<std::string> seen;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) continue;
    if (!seen.insert(kv.first.Scalar()).second)
      error("duplicate-key", locationFromMark(file_, kv.first.Mark()),
            "'" + abbreviate(kv.first.Scalar()) + "' appears more than once", "remove one of them");
  }
}

bool YamlMap::has(const std::string& key) const {
  if (!valid_) return false;
  for (const auto& kv : node_)
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return true;
  return false;
}

YAML::Node YamlMap::get(const std::string& key) const {
  if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
  // Iterate rather than node_[key]: operator[] on a non-const node would insert the key.
  for (const auto& kv : node_)
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  return YAML::Node(YAML::NodeType::Undefined);
}

SourceLocation YamlMap::keyLocation(const std::string& key) const {
  if (valid_)
    for (const auto& kv : node_)
      if (kv.first.IsScalar() && kv.first.Scalar() == key)
        return locationFromMark(file_, kv.first.Mark());
  return location();
}

SourceLocation YamlMap::valueLocation(const std::string& key) const {
  YAML::Node v = get(key);
  SourceLocation loc = v.IsDefined() ? locationFromMark(file_, v.Mark()) : SourceLocation{};
  if (!loc.known()) loc = keyLocation(key);
  return loc;
}

bool YamlMap::present(const std::string& key, bool required) {
  if (!valid_) return false;
  YAML::Node v = get(key);
  if (v.IsDefined() && !v.IsNull()) return true;
  if (required) {
    if (v.IsDefined())
      error("missing-key", keyLocation(key), "'" + key + "' needs a value");
    else
      error("missing-key", location(), "required key '" + key + "' is missing");
  }
  return false;
}

std::optional<std::string> YamlMap::getString(const std::string& key, bool required) {
  if (!present(key, required)) return std::nullopt;
  YAML::Node v = get(key);
  if (!v.IsScalar()) {
    error("wrong-type", valueLocation(key),
          "'" + key + "' must be a string, found " + describeNode(v));
    return std::nullopt;
  }
  return v.Scalar();
}

std::optional<bool> YamlMap::getBool(const std::string& key, bool required) {
  auto s = getString(key, required);
  if (!s) return std::nullopt;
  if (*s == "true") return true;
  if (*s == "false") return false;
  error("wrong-type", valueLocation(key),
        "'" + key + "' must be true or false, found '" + abbreviate(*s) + "'");
  return std::nullopt;
}

std::optional<int64_t> YamlMap::getInt(const std::string& key, int64_t min, int64_t max,
                                       bool required) {
  auto s = getString(key, required);
  if (!s) return std::nullopt;
  try {
    size_t used = 0;
    long long v = std::stoll(*s, &used);
    if (used == s->size() && v >= min && v <= max) return v;
  } catch (const std::exception&) {
  }
  error("bad-value", valueLocation(key),
        "'" + key + "' must be a whole number from " + std::to_string(min) + " to " +
            std::to_string(max) + ", found '" + abbreviate(*s) + "'");
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlMap::getStringList(const std::string& key,
                                                               bool required) {
  if (!present(key, required)) return std::nullopt;
  YAML::Node v = get(key);
  if (!v.IsSequence()) {
    error("wrong-type", valueLocation(key),
          "'" + key + "' must be a list, found " + describeNode(v),
          v.IsScalar() ? "write it as a list: " + key + ": [" + abbreviate(v.Scalar()) + "]" : "");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : v) {
    if (!item.IsScalar()) {
      error("wrong-type", locationFromMark(file_, item.Mark()),
            "items of '" + key + "' must be strings, found " + describeNode(item));
      ok = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Seconds> YamlMap::getDuration(const std::string& key, bool required) {
  auto s = getString(key, required);
  if (!s) return std::nullopt;
  auto d = parseDuration(*s);
  if (!d) {
    error("bad-value", valueLocation(key),
          "'" + key + "' is not a duration: '" + abbreviate(*s) + "'",
          "write a number and a unit (d, h, m, s), e.g. 6h or 90d");
  }
  return d;
}

std::optional<Timestamp> YamlMap::getTimestamp(const std::string& key, bool required) {
  auto s = getString(key, required);
  if (!s) return std::nullopt;
  auto t = parseTimestamp(*s);
  if (!t) {
    error("bad-value", valueLocation(key),
          "'" + key + "' is not a date or time: '" + abbreviate(*s) + "'",
          "use ISO 8601, e.g. 2024-02-10 or 2024-02-10T11:24:42Z");
  }
  return t;
}

std::optional<std::string> YamlMap::getGuid(const std::string& key, bool required) {
  auto s = getString(key, required);
  if (!s) return std::nullopt;
  auto g = normalizeGuid(*s);
  if (!g) {
    error("bad-value", valueLocation(key),
          "'" + key + "' is not a tenant id (GUID): '" + abbreviate(*s) + "'",
          "a tenant id looks like 52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c");
  }
  return g;
}

std::optional<std::vector<std::string>> YamlMap::getGuidList(const std::string& key,
                                                             bool required) {
  auto list = getStringList(key, required);
  if (!list) return std::nullopt;
  YAML::Node v = get(key);
  std::vector<std::string> out;
  bool ok = true;
  size_t i = 0;
  for (const auto& item : v) {
    auto g = normalizeGuid((*list)[i++]);
    if (!g) {
      error("bad-value", locationFromMark(file_, item.Mark()),
            "items of '" + key + "' must be tenant ids (GUIDs), found '" +
                abbreviate(item.Scalar()) + "'");
      ok = false;
      continue;
    }
    out.push_back(*g);
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace cspwatch
