// SPDX-License-Identifier: Apache-2.0
// Whether an error is the error a conformance test expects (conformance.h). CEL
// implementations word their errors differently, so the test's message is not compared as
// text; but where it names a kind of error (no such overload, out of range, division by zero,
// overflow), ours must be of that kind, so that an error test does not pass on an unrelated
// error (a function we lack, a literal we refuse).
#include <string>
#include <utility>
#include <vector>

#include "common/text.h"
#include "tests/rules/cel_conformance/conformance.h"

namespace cspwatch::celconf {

namespace {

// The kinds: words in the test's message, and words one of which ours must contain.
struct ErrorKind {
  std::vector<std::string> expected;
  std::vector<std::string> ours;
};

const std::vector<ErrorKind>& kinds() {
  static const std::vector<ErrorKind> kKinds = {
      // "no matching overload" is left out: logic.textproto says it of division by zero too.
      {{"no such overload", "no_such_overload"},
       {"no such overload", "does not exist", "needs a", "rules.type-mismatch",
        "rules.wrong-arity"}},
      {{"unbound function"}, {"unknown function"}},
      {{"range"}, {"range"}},
      {{"by zero"}, {"by zero"}},
      {{"overflow"}, {"overflow", "out of range"}},
  };
  return kKinds;
}

bool containsAny(const std::string& text, const std::vector<std::string>& words) {
  for (const auto& w : words)
    if (text.find(w) != std::string::npos) return true;
  return false;
}

}  // namespace

bool errorFits(const Message& test, const std::string& ours, std::string& why) {
  const std::string mine = toLowerAscii(ours);
  std::vector<const Field*> sets;
  for (const char* name : {"eval_error", "any_eval_errors"})
    for (const Field* f : test.all(name)) sets.push_back(f);
  for (const Field* set : sets)
    for (const Field* e : set->asMessage().all("errors")) {
      const Field* m = e->asMessage().find("message");
      if (m == nullptr) continue;
      const std::string theirs = toLowerAscii(m->asString());
      for (const auto& kind : kinds())
        if (containsAny(theirs, kind.expected) && !containsAny(mine, kind.ours)) {
          why = "expected an error like \"" + m->asString() + "\"";
          return false;
        }
    }
  return true;
}

}  // namespace cspwatch::celconf
