// SPDX-License-Identifier: Apache-2.0
// One CEL conformance test (cel.expr.conformance.test.SimpleTest, read by textproto.h) run
// through the condition language's real parser, compiler and evaluator, and judged against its
// expectation. conformance_main.cpp runs every test of every file and keeps the tally.
//
// How a test is judged:
// - Its `type_env` idents and `bindings` become the compiler's scope, one slot each: declared
//   types map to ours (bool, int, double, string, null, timestamp, duration, list(T); anything
//   else is dyn), bound values must be of a kind we have (a google.protobuf.Timestamp or
//   Duration given as an Any becomes a timestamp or duration). A declared variable with no
//   binding holds an error. A binding of another kind (uint64, bytes, map, ...) or an unknown
//   fails the test: it cannot run.
// - `value` (or `typed_result`'s result; its deduced type is not compared) must equal the
//   result exactly, kind included: int 1 is not double 1.0; doubles equal by value, NaN equals
//   NaN, -0.0 equals 0.0; lists element by element; a Timestamp or Duration Any by seconds and
//   nanos. A value of a kind we do not have (uint64, bytes, map, type, enum,
//   other messages) can never pass.
// - `eval_error` and `any_eval_errors` pass on an error value of the kind the test's message
//   names, when it names one (no such overload, out of range, division by zero, overflow:
//   errorFits() in conformance_errors.cpp), else on any error value. They also pass on a load-time
//   diagnostic (the compiler refusing the expression) when the test sets `disable_check: true`:
//   CEL then skips its checker and reports the mistake at evaluation, and our checker reporting
//   at load what CEL reports at evaluation is what docs/rules.md promises. Without
//   `disable_check` CEL's own checker accepts the expression, so our refusing it is a failure;
//   a syntax error always is one (CEL's parser accepts every test's expression).
// - `unknown` and `any_unknowns` never pass: there are no unknown sets.
// - A test with no expectation expects `true`.
// - Evaluation has the default step budget (rules/expr_eval.h); running out fails the test.
#pragma once

#include <string>

#include "tests/rules/cel_conformance/textproto.h"

namespace cspwatch::celconf {

struct Outcome {
  bool passed = false;
  std::string expected;  // the expectation, as a CEL-like literal ("42", "error", ...)
  std::string actual;    // the result, or the diagnostic, or why the test cannot run
};

// Runs one SimpleTest. Throws TextprotoError when the test itself is malformed.
Outcome runTest(const Message& test);

// Whether `ours` (an error value's message or a load-time diagnostic) is of the kind the test's
// expected errors name; `why` says what was expected when it is not.
bool errorFits(const Message& test, const std::string& ours, std::string& why);

// `s` for one line of a report: control characters and (in text that is not UTF-8) bytes
// above 0x7F written as C escapes (\n, \x00); backslashes are left as they are.
std::string showable(const std::string& s);

// For --write-unsupported: the feature a failing test most likely needs, from its expectation,
// its expression's tokens and what went wrong ("uint", "maps", "timestamp accessors", ...), or
// "unclassified".
std::string guessFeature(const Message& test, const Outcome& outcome);

}  // namespace cspwatch::celconf
