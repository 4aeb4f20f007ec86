// SPDX-License-Identifier: Apache-2.0
#include "common/diagnostic.h"

#include <algorithm>

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

// Line `line` (1-based) of `text`, without its line break; empty if out of range.
std::string lineOf(const std::string& text, int line) {
  size_t start = 0;
  for (int i = 1; i < line; ++i) {
    start = text.find('\n', start);
    if (start == std::string::npos) return {};
    ++start;
  }
  size_t end = text.find('\n', start);
  std::string out = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return out;
}

}  // namespace

std::string Diagnostics::renderOne(const Diagnostic& d, const std::string* source_text) {
  std::string out;
  if (!d.location.file.empty()) out += d.location.str() + ": ";
  out += severityName(d.severity);
  out += ": ";
  if (!d.context.empty()) out += d.context + ": ";
  out += d.message;
  if (!d.code.empty()) out += " [" + d.code + "]";
  out += "\n";
  if (source_text != nullptr && d.location.line > 0) {
    std::string line = lineOf(*source_text, d.location.line);
    if (!line.empty()) {
      out += "  " + line + "\n";
      if (d.location.column > 0) {
        // Keep tabs as tabs so the caret lines up in a terminal.
        std::string pad;
        for (int i = 0; i + 1 < d.location.column && i < static_cast<int>(line.size()); ++i)
          pad += line[i] == '\t' ? '\t' : ' ';
        out += "  " + pad + "^\n";
      }
    }
  }
  if (!d.hint.empty()) out += "  hint: " + d.hint + "\n";
  return out;
}

std::string Diagnostics::renderText() const {
  std::string out;
  for (const auto& d : items_) {
    auto it = sources_.find(d.location.file);
    out += renderOne(d, it == sources_.end() ? nullptr : &it->second);
  }
  return out;
}

}  // namespace cspwatch
