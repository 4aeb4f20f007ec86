// SPDX-License-Identifier: Apache-2.0
#include "common/yaml_util.h"

#include <cstdlib>
#include <set>

#include "common/guid.h"
#include "common/text.h"

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
  // Line and column of raw offset r.
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < r && i < text.size(); ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  return {file, line, static_cast<int>(r - line_start) + 1};
}

std::string describeNode(const YAML::Node& node) {
  if (!node.IsDefined()) return "nothing";
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null:
      return "nothing (an empty value)";
    default:
      return "nothing";
  }
}

std::optional<YAML::Node> parseYamlDocument(const std::string& file, const std::string& text,
                                            const std::string& code_prefix, Diagnostics& diags) {
  diags.addSource(file, text);
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diags.error(code_prefix + ".yaml-syntax", locationFromMark(file, e.mark),
                "YAML syntax error: " + e.msg,
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
      error("duplicate-key", loc, "key '" + name + "' appears more than once",
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
      if (hint.empty()) hint = "known keys here: " + join(known, ", ");
      error("unknown-key", loc, "unknown key '" + name + "'", hint);
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
            "'" + kv.first.Scalar() + "' appears more than once", "remove one of them");
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
        "'" + key + "' must be true or false, found '" + *s + "'");
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
            std::to_string(max) + ", found '" + *s + "'");
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlMap::getStringList(const std::string& key,
                                                               bool required) {
  if (!present(key, required)) return std::nullopt;
  YAML::Node v = get(key);
  if (!v.IsSequence()) {
    error("wrong-type", valueLocation(key),
          "'" + key + "' must be a list, found " + describeNode(v),
          v.IsScalar() ? "write it as a list: " + key + ": [" + v.Scalar() + "]" : "");
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
    error("bad-value", valueLocation(key), "'" + key + "' is not a duration: '" + *s + "'",
          "write a number and a unit (d, h, m, s), e.g. 6h or 90d");
  }
  return d;
}

std::optional<Timestamp> YamlMap::getTimestamp(const std::string& key, bool required) {
  auto s = getString(key, required);
  if (!s) return std::nullopt;
  auto t = parseTimestamp(*s);
  if (!t) {
    error("bad-value", valueLocation(key), "'" + key + "' is not a date or time: '" + *s + "'",
          "use ISO 8601, e.g. 2024-02-10 or 2024-02-10T11:24:42Z");
  }
  return t;
}

std::optional<std::string> YamlMap::getGuid(const std::string& key, bool required) {
  auto s = getString(key, required);
  if (!s) return std::nullopt;
  auto g = normalizeGuid(*s);
  if (!g) {
    error("bad-value", valueLocation(key), "'" + key + "' is not a tenant id (GUID): '" + *s + "'",
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
            "items of '" + key + "' must be tenant ids (GUIDs), found '" + item.Scalar() + "'");
      ok = false;
      continue;
    }
    out.push_back(*g);
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace cspwatch
