// SPDX-License-Identifier: Apache-2.0
// Small text helpers that several files of alerts/ use, one copy each: the library compiles in
// batches of files that share one scope (docs/development.md#build), so they cannot each keep
// their own. Internal to alerts/. Pure.
#pragma once

#include <cstddef>
#include <string>

namespace cspwatch::alerts {

// `bytes` in standard base64 (RFC 4648 section 4) with '=' padding, on one line: no line
// breaks however long (a MIME encoded-word, an SMTP AUTH argument, Graph's sendMail body).
std::string base64(const std::string& bytes);

// "1 finding", "3 findings": `n`, a space, and `one` when n is 1, else `many`.
std::string plural(size_t n, const char* one, const char* many);

// Where `severity` sorts, most severe first: critical 0, high 1, medium 2, low 3, info 4, and
// 5 for anything else (after every known severity).
int severityRank(const std::string& severity);

}  // namespace cspwatch::alerts
