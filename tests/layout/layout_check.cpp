// SPDX-License-Identifier: Apache-2.0
#include "tests/layout/layout_check.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "common/text.h"
#include "tests/layout/source_lexer.h"

namespace cspwatch::layout {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKnownFile = "tests/layout/known_oversized.txt";

bool isSourceName(const std::string& name) {
  return endsWith(name, ".cpp") || endsWith(name, ".cc") || endsWith(name, ".h") ||
         endsWith(name, ".hpp");
}

// "a/./b/../c" -> "a/c"; "" when it climbs out of the root.
std::string normalise(const std::string& path) {
  std::vector<std::string> parts;
  for (const std::string& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      parts.push_back(part);
    } else if (parts.empty()) {
      return "";
    } else {
      parts.pop_back();
    }
  }
  return join(parts, "/");
}

std::string topFolder(const std::string& relative) {
  const size_t slash = relative.find('/');
  return slash == std::string::npos ? "" : relative.substr(0, slash);
}

// A quoted include is looked up next to the including file first, then from the root, the only
// include directory of first-party code (cspwatch_target_defaults).
Include resolveInclude(const std::string& root, const std::string& path, const std::string& header,
                       int line) {
  std::string resolved = normalise(path.substr(0, path.rfind('/') + 1) + header);
  std::error_code ec;
  if (resolved.empty() || !fs::exists(fs::path(root) / resolved, ec)) resolved = normalise(header);
  return {header, topFolder(resolved), line};
}

std::optional<SourceFile> readSource(const std::string& root, const std::string& path,
                                     const std::string& folder,
                                     std::vector<std::string>& problems) {
  std::ifstream in(root + "/" + path, std::ios::binary);
  if (!in) {
    problems.push_back(path + ": cannot be read");
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  SourceFile file{path, folder, 0, {}, {}};
  file.lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) +
               (!text.empty() && text.back() != '\n' ? 1 : 0);
  const LexedSource lexed = lex(text);
  for (const Directive& d : lexed.directives) {
    const std::string header = quotedInclude(d);
    if (!header.empty()) file.includes.push_back(resolveInclude(root, path, header, d.line));
  }
  file.functions = findFunctions(lexed);
  return file;
}

// The source files under `dir`, as paths from `root`, skipping hidden folders.
std::vector<std::string> sourcesUnder(const fs::path& root, const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory(ec) && !name.empty() && name[0] == '.') it.disable_recursion_pending();
    if (it->is_regular_file(ec) && isSourceName(name)) {
      out.push_back(it->path().lexically_relative(root).generic_string());
    }
  }
  return out;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string padLeft(const std::string& s, size_t width) {
  return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
}

}  // namespace

SourceTree scanTree(const std::string& root, const LayerTable& table) {
  SourceTree tree;
  std::error_code ec;
  std::vector<fs::path> tops;
  for (fs::directory_iterator it(root, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    tops.push_back(it->path());
  }
  if (ec) tree.problems.push_back("cannot list " + root + ": " + ec.message());
  std::sort(tops.begin(), tops.end());
  for (const fs::path& top : tops) {
    const std::string name = top.filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (fs::is_regular_file(top, ec)) {
      if (isSourceName(name)) tree.problems.push_back(name + ": a source file outside any folder");
      continue;
    }
    if (!fs::is_directory(top, ec) || table.isNotSource(name) ||
        fs::exists(top / "CMakeCache.txt", ec)) {
      continue;
    }
    std::vector<std::string> paths = sourcesUnder(root, top);
    if (paths.empty()) continue;
    if (!table.knows(name)) {
      tree.problems.push_back(name +
                              "/ holds .cpp or .h files but is not in the layer table: "
                              "add it to the layer table (tests/layout/layers.txt)");
      continue;
    }
    for (const std::string& path : paths) {
      if (auto file = readSource(root, path, name, tree.problems)) tree.files.push_back(*file);
    }
  }
  std::sort(tree.files.begin(), tree.files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  return tree;
}

std::vector<std::string> includeViolations(const SourceTree& tree, const LayerTable& table) {
  std::vector<std::string> out;
  for (const SourceFile& file : tree.files) {
    for (const Include& inc : file.includes) {
      if (inc.folder.empty() || table.mayInclude(file.folder, inc.folder)) continue;
      out.push_back(file.path + ":" + std::to_string(inc.line) + ": " + file.folder +
                    " includes \"" + inc.header + "\", which is above it (" + file.folder +
                    " may include: " + table.allowedText(file.folder) + ")");
    }
  }
  return out;
}

std::vector<Oversized> oversized(const SourceTree& tree, const LayerTable& table,
                                 const Limits& limits) {
  std::map<std::string, Oversized> byKey;
  for (const SourceFile& file : tree.files) {
    if (file.lines > limits.fileLines) byKey[file.path] = {file.path, file.path + ":1", file.lines};
    if (table.longFunctionsAllowed(file.folder)) continue;
    for (const FunctionSpan& fn : file.functions) {
      if (fn.lines <= limits.functionLines || fn.isDataTable()) continue;
      const std::string key = file.path + ":" + fn.name;
      Oversized& slot = byKey[key];
      if (fn.lines > slot.lines) slot = {key, file.path + ":" + std::to_string(fn.line), fn.lines};
    }
  }
  std::vector<Oversized> out;
  for (auto& entry : byKey) out.push_back(std::move(entry.second));
  return out;
}

std::vector<std::string> parseKnownOversized(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string& raw : split(text, '\n')) {
    const std::string_view entry = trim(std::string_view(raw).substr(0, raw.find('#')));
    if (!entry.empty()) out.emplace_back(entry);
  }
  return out;
}

std::vector<std::string> ratchetProblems(const std::vector<Oversized>& now,
                                         const std::vector<std::string>& known,
                                         const Limits& limits) {
  const std::set<std::string> listed(known.begin(), known.end());
  std::set<std::string> current;
  std::vector<std::string> out;
  for (const Oversized& o : now) {
    current.insert(o.key);
    if (listed.count(o.key) > 0) continue;
    const size_t colon = o.key.find(':');
    const std::string what = colon == std::string::npos ? "the file" : o.key.substr(colon + 1);
    const int limit = colon == std::string::npos ? limits.fileLines : limits.functionLines;
    out.push_back(o.where + ": " + what + " is " + std::to_string(o.lines) +
                  " lines, over the limit of " + std::to_string(limit) + " (new since " +
                  kKnownFile + "): split it");
  }
  for (const std::string& entry : known) {
    if (current.count(entry) > 0) continue;
    out.push_back(entry + " is listed in " + kKnownFile +
                  " but is no longer over the limit, or no longer exists: remove it from "
                  "known_oversized.txt");
  }
  return out;
}

std::string knownOversizedText(const std::vector<Oversized>& now, const Limits& limits) {
  std::string text = "# The files over " + std::to_string(limits.fileLines) +
                     " lines and the functions over " + std::to_string(limits.functionLines) +
                     " lines (outside data tables)\n"
                     "# that issue 16 has still to split. `ctest -L layout` fails for an "
                     "offender not listed\n"
                     "# here and for an entry no longer over its limit, so the list only "
                     "shrinks. Regenerate:\n"
                     "#   CSPWATCH_LAYOUT_WRITE_KNOWN=1 ctest --test-dir <build> -L layout\n"
                     "# One entry a line, a path or path:function; the comment is its size "
                     "when listed.\n";
  size_t width = 0;
  for (const Oversized& o : now) width = std::max(width, o.key.size());
  for (const Oversized& o : now) {
    text += pad(o.key, width) + "  # " + std::to_string(o.lines) + " lines\n";
  }
  return text;
}

std::string sizeReport(const SourceTree& tree, const LayerTable& table, const Limits& limits,
                       size_t count) {
  std::vector<const SourceFile*> files;
  std::vector<std::pair<const SourceFile*, const FunctionSpan*>> functions;
  for (const SourceFile& file : tree.files) {
    files.push_back(&file);
    if (table.longFunctionsAllowed(file.folder)) continue;
    for (const FunctionSpan& fn : file.functions) functions.emplace_back(&file, &fn);
  }
  std::stable_sort(files.begin(), files.end(),
                   [](const SourceFile* a, const SourceFile* b) { return a->lines > b->lines; });
  std::stable_sort(functions.begin(), functions.end(),
                   [](const auto& a, const auto& b) { return a.second->lines > b.second->lines; });
  const auto size = [](int lines) { return padLeft(std::to_string(lines), 7) + "  "; };
  std::string out = "Largest files (limit " + std::to_string(limits.fileLines) + " lines):\n";
  for (size_t i = 0; i < files.size() && i < count; ++i) {
    out += size(files[i]->lines) + files[i]->path + "\n";
  }
  out += "Longest functions in the product code (limit " + std::to_string(limits.functionLines) +
         " lines, data tables exempt):\n";
  std::string tables;
  for (size_t i = 0; i < functions.size(); ++i) {
    const auto& [file, fn] = functions[i];
    const std::string where = file->path + ":" + std::to_string(fn->line) + "  " + fn->name;
    if (i < count) {
      out += size(fn->lines) + where + (fn->isDataTable() ? "  (data table: exempt)" : "") + "\n";
    }
    if (fn->isDataTable() && fn->lines > limits.functionLines) {
      tables += "  " + file->path + ":" + std::to_string(fn->line) + " " + fn->name + " (" +
                std::to_string(fn->dataLines) + " of " + std::to_string(fn->lines) +
                " lines in braced initialisers)\n";
    }
  }
  return out + "Data tables over " + std::to_string(limits.functionLines) + " lines (exempt):\n" +
         (tables.empty() ? "  none\n" : tables);
}

}  // namespace cspwatch::layout
