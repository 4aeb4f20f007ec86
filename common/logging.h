// SPDX-License-Identifier: Apache-2.0
// Logging through spdlog to stderr, in a form the journal reads well: no timestamps of our
// own (journald adds them) and, when JOURNAL_STREAM is set, syslog priority prefixes ("<6>").
//
// Secrets never reach a log: code does not log them, and every message also passes through a
// redactor that replaces any registered secret (client secrets, tokens, assertions) with
// "[redacted]" before it is written. Thread-safe.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include <spdlog/spdlog.h>

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

// Registers a secret to be masked wherever it appears in a message. Values shorter than 6
// characters are ignored (they would mask ordinary words).
void registerSecret(const std::string& secret);

}  // namespace cspwatch
