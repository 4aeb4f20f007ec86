// SPDX-License-Identifier: Apache-2.0
// Logging through spdlog to stderr, in a form the journal reads well: no timestamps of our
// own (journald adds them) and, when JOURNAL_STREAM is set, syslog priority prefixes ("<6>").
//
// Secrets never reach a log: code does not log them, and every message also passes through
// redactSecrets() (common/redact.h: registered secrets in their encoded forms, bearer tokens,
// JWTs) before it is written. Thread-safe.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include <spdlog/spdlog.h>

#include "common/redact.h"  // registerSecret(), for the code that logs and registers

namespace cspwatch {

struct LogOptions {
  spdlog::level::level_enum level = spdlog::level::info;
  bool journal = false;  // priority prefixes; set when JOURNAL_STREAM is in the environment
  // One JSON object per line instead: {"time": RFC 3339 UTC, "level", "message"} (for log
  // shippers other than the journal; logging.format: json).
  bool json = false;
};

// (Re)configures the shared logger to write to stderr.
void setupLogging(const LogOptions& options);
// Test hook: also write every (redacted) message to `out`.
void addLogStream(std::ostream& out);
void removeLogStreams();

// The shared logger.
spdlog::logger& log();

}  // namespace cspwatch
