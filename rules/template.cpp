// SPDX-License-Identifier: Apache-2.0
#include "rules/template.h"

#include "rules/expr_parser.h"

namespace cspwatch::rules {

bool Template::compile(const std::string& text, const ExprSource& source, ExprCompiler& compiler,
                       const std::vector<Binding>& scope, int& next_slot, Diagnostics& diags) {
  parts_.clear();
  bool ok = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string::npos) {
      parts_.push_back({text.substr(pos), nullptr});
      break;
    }
    if (open > pos) parts_.push_back({text.substr(pos, open - pos), nullptr});
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) {
      diags.add({Severity::kError, "rules.bad-template", source.locate(static_cast<int>(open)),
                 source.context, "'{{' is never closed", "end the expression with '}}'"});
      return false;
    }
    const std::string inner = text.substr(open + 2, close - open - 2);
    const int base = static_cast<int>(open + 2);
    ParseResult parsed = parseExpr(inner);
    // Positions inside the hole are offsets into `inner`; shift them into the template.
    ExprSource hole{source.context, inner,
                    [&source, base](int off) { return source.locate(base + off); }};
    if (!parsed.ok()) {
      diags.add({Severity::kError, "rules.syntax", hole.locate(parsed.error.pos), source.context,
                 parsed.error.message, parsed.error.hint});
      ok = false;
    } else if (NodePtr n = compiler.compile(*parsed.expr, hole, scope, next_slot)) {
      parts_.push_back({{}, std::move(n)});
    } else {
      ok = false;
    }
    pos = close + 2;
  }
  return ok;
}

std::string Template::render(Frame& frame) const {
  std::string out;
  for (const auto& p : parts_) {
    if (!p.expr) {
      out += p.text;
      continue;
    }
    Value v = p.expr->eval(frame);
    out += v.isError() ? "(unknown)" : v.toText();
  }
  // One paragraph: YAML folding keeps line breaks around more-indented lines, and tenant data
  // may hold any whitespace; runs of it become one space.
  std::string collapsed;
  bool space = false;
  for (char c : out) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !collapsed.empty();
      continue;
    }
    if (space) collapsed += ' ';
    space = false;
    collapsed += c;
  }
  return collapsed;
}

}  // namespace cspwatch::rules
