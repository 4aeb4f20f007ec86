// SPDX-License-Identifier: Apache-2.0
#include "common/diagnostic.h"

#include <algorithm>

#include "common/text.h"
#include "common/text_position.h"

namespace cspwatch {

const char* severityName(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNote:
      return "note";
  }
  return "error";
}

void Diagnostics::error(std::string code, SourceLocation loc, std::string message,
                        std::string hint) {
  items_.push_back(
      {Severity::kError, std::move(code), std::move(loc), {}, std::move(message), std::move(hint)});
}

void Diagnostics::warning(std::string code, SourceLocation loc, std::string message,
                          std::string hint) {
  items_.push_back({Severity::kWarning,
                    std::move(code),
                    std::move(loc),
                    {},
                    std::move(message),
                    std::move(hint)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
  for (const auto& [file, text] : other.sources_) sources_.emplace(file, text);
}

bool Diagnostics::hasErrors() const { return errorCount() > 0; }

size_t Diagnostics::errorCount() const {
  return std::count_if(items_.begin(), items_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

size_t Diagnostics::warningCount() const {
  return std::count_if(items_.begin(), items_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::kWarning; });
}

namespace {

// Long source lines (a 10 MB value, minified JSON) are shown as a window around the column.
constexpr size_t kMaxShownLine = 160;
// Messages quote what the operator wrote; a huge value must not flood the terminal.
constexpr size_t kMaxShownMessage = 400;
constexpr size_t kMaxShownContext = 120;

}  // namespace

std::string Diagnostics::renderOne(const Diagnostic& d, const std::string* source_text) {
  std::string out;
  if (!d.location.file.empty()) out += printable(d.location.str()) + ": ";
  out += severityName(d.severity);
  out += ": ";
  if (!d.context.empty()) out += printable(abbreviate(d.context, kMaxShownContext)) + ": ";
  out += printable(abbreviate(d.message, kMaxShownMessage));
  if (!d.code.empty()) out += " [" + d.code + "]";
  out += "\n";
  if (source_text != nullptr && d.location.line > 0) {
    std::string line(lineText(*source_text, d.location.line));
    int column = d.location.column;
    std::string before, after;
    if (line.size() > kMaxShownLine) {
      // A window of kMaxShownLine bytes with the column a third of the way in.
      size_t from = column > 0 ? static_cast<size_t>(column - 1) : 0;
      from = from > kMaxShownLine / 3 ? from - kMaxShownLine / 3 : 0;
      from = std::min(from, line.size() - kMaxShownLine);
      while (from > 0 && (static_cast<unsigned char>(line[from]) & 0xC0) == 0x80) --from;
      size_t to = std::min(line.size(), from + kMaxShownLine);
      while (to < line.size() && (static_cast<unsigned char>(line[to]) & 0xC0) == 0x80) ++to;
      if (from > 0) before = "...";
      if (to < line.size()) after = "...";
      if (column > 0) column = column - static_cast<int>(from) + static_cast<int>(before.size());
      line = before + line.substr(from, to - from) + after;
    }
    if (!line.empty()) {
      out += "  " + printable(line) + "\n";
      if (column > 0) {
        // Keep tabs as tabs so the caret lines up in a terminal.
        std::string pad;
        for (int i = 0; i + 1 < column && i < static_cast<int>(line.size()); ++i)
          pad += line[i] == '\t' ? '\t' : ' ';
        out += "  " + pad + "^\n";
      }
    }
  }
  if (!d.hint.empty()) out += "  hint: " + printable(abbreviate(d.hint, kMaxShownMessage)) + "\n";
  return out;
}

std::string Diagnostics::renderText() const {
  std::string out;
  size_t shown = 0;
  for (const auto& d : items_) {
    if (shown == kMaxRendered) {
      out += "... and " + std::to_string(items_.size() - shown) + " more problem(s) not shown (" +
             std::to_string(errorCount()) + " error(s), " + std::to_string(warningCount()) +
             " warning(s) in all)\n";
      break;
    }
    auto it = sources_.find(d.location.file);
    out += renderOne(d, it == sources_.end() ? nullptr : &it->second);
    ++shown;
  }
  return out;
}

}  // namespace cspwatch
