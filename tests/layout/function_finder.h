// SPDX-License-Identifier: Apache-2.0
// Finds the function bodies in lexed C++ and measures them, for the layout test's function limit.
//
// A function body is a '{' at namespace or class scope that follows a parameter list's ')',
// optionally followed by const, noexcept, override, final, mutable, &, && or a trailing
// '-> type', or by a constructor's member-initialiser list (': a_(x), b_{y}'). Namespaces,
// extern "C" blocks and class bodies are scopes to look inside; anything else braced at those
// scopes (an enum, '= {...}', 'Type name{...}', a default argument, a lambda passed in an
// initialiser) is data. A lambda assigned at namespace scope ('auto kRun = [](int x) {') is a
// function named "lambda". Lambdas and local classes inside a function are part of it. A function's
// length counts the lines from its '{' to the matching
// '}'; lines inside braced initialiser lists within it ('= {', 'return {', 'f({...})',
// 'Type x{...}') are counted apart, so a function that is mostly a table can be told apart.
//
// Heuristic, not a parser: macros that expand to braces, or #if branches that each open a
// brace, can mislead it; the layout test runs it over the real tree, which keeps it honest.
#pragma once

#include <string>
#include <vector>

#include "tests/layout/source_lexer.h"

namespace cspwatch::layout {

struct FunctionSpan {
  std::string name;   // as written, with the enclosing classes: "FindingStore::applyScan"
  int line = 0;       // of the name
  int lines = 0;      // from the '{' to the matching '}', both included
  int dataLines = 0;  // of those, lines inside braced initialiser lists

  // Over 60% of the body is braced initialiser lists: a data table, exempt from the limit.
  bool isDataTable() const { return dataLines * 10 > lines * 6; }
};

// The functions in `source`, in the order their bodies start (nested ones are part of the outer).
std::vector<FunctionSpan> findFunctions(const LexedSource& source);

}  // namespace cspwatch::layout
