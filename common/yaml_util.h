// SPDX-License-Identifier: Apache-2.0
// Strict, position-aware reading of YAML documents written by operators (config, rule files,
// rule tests, tenant fixtures). yaml-cpp parses; these helpers check shape and types and turn
// every mistake into a Diagnostic at the exact 1-based line and column, with did-you-mean hints
// for misspelt keys. They never throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/diagnostic.h"
#include "common/time.h"

namespace cspwatch {

// The only conversion from yaml-cpp's 0-based marks; an unset mark gives line 0 ("unknown").
SourceLocation locationFromMark(const std::string& file, const YAML::Mark& mark);

// The file position of byte `offset` of a scalar's value, for errors inside expressions
// written as YAML strings. Handles plain, quoted (with escapes), folded and literal block
// scalars by aligning the value with the raw text from the node's mark. `file_text` is the
// whole file the node was parsed from.
SourceLocation locateInScalar(const std::string& file, const std::string& file_text,
                              const YAML::Node& node, int offset);

// "a mapping", "a list", "a string", "nothing": for "expected X, found Y" messages.
std::string describeNode(const YAML::Node& node);

// How many nodes aliases may add to a document when expanded (see parseYamlDocument).
inline constexpr uint64_t kMaxAliasExpansion = 100000;

// Parses one YAML (or JSON) document. On a syntax error adds `<prefix>.yaml-syntax` at the
// error's position and returns nullopt. The text is registered with `diags` for carets.
// Refused the same way, before yaml-cpp sees them: NUL bytes, text that is not UTF-8, lone CR
// line ends, nesting deeper than yaml-cpp's guard, aliases that would expand the document by
// more than kMaxAliasExpansion nodes ("billion laughs") and aliases inside their own anchor.
std::optional<YAML::Node> parseYamlDocument(const std::string& file, const std::string& text,
                                            const std::string& code_prefix, Diagnostics& diags);

// Reads one mapping: checks that every key is known and appears once, and offers typed getters
// that report wrong types at the value's position. Codes are "<prefix>.<kind>", with kinds
// unknown-key, duplicate-key, missing-key, wrong-type, bad-value, inline-secret.
// `node` must outlive the reader; `diags` collects every problem.
class YamlMap {
 public:
  // `context` is what is being read ("section 'partner'", "rule 'x'"), used in messages.
  YamlMap(const YAML::Node& node, std::string file, std::string code_prefix, std::string context,
          Diagnostics& diags, const YAML::Node& parent_for_position = YAML::Node());

  bool valid() const { return valid_; }  // false if the node was not a mapping (reported)

  // Reports every key not in `known` (with did-you-mean), and duplicates. Keys listed in
  // `secrets` are reported as inline secrets with the hint to use `<key>_file` instead.
  void checkKeys(const std::vector<std::string>& known,
                 const std::vector<std::string>& secrets = {});

  // Reports duplicate keys only: for mappings whose keys are names chosen by the author.
  void checkUniqueKeys();

  bool has(const std::string& key) const;
  YAML::Node get(const std::string& key) const;  // undefined node if absent
  SourceLocation keyLocation(const std::string& key) const;
  SourceLocation valueLocation(const std::string& key) const;
  SourceLocation location() const;  // of the mapping itself

  // Typed getters: nullopt when absent (reported as missing-key if `required`) or when the value
  // has the wrong type or form (reported).
  std::optional<std::string> getString(const std::string& key, bool required = false);
  std::optional<bool> getBool(const std::string& key, bool required = false);
  std::optional<int64_t> getInt(const std::string& key, int64_t min, int64_t max,
                                bool required = false);
  std::optional<std::vector<std::string>> getStringList(const std::string& key,
                                                        bool required = false);
  std::optional<Seconds> getDuration(const std::string& key, bool required = false);
  std::optional<Timestamp> getTimestamp(const std::string& key, bool required = false);
  std::optional<std::string> getGuid(const std::string& key, bool required = false);
  std::optional<std::vector<std::string>> getGuidList(const std::string& key,
                                                      bool required = false);

  void error(const std::string& kind, const SourceLocation& loc, const std::string& message,
             const std::string& hint = {});

 private:
  bool present(const std::string& key, bool required);
  const YAML::Node node_;
  const std::string file_;
  const std::string prefix_;
  const std::string context_;
  Diagnostics& diags_;
  YAML::Node parent_;
  bool valid_ = false;
};

}  // namespace cspwatch
