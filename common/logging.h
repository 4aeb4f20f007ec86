// SPDX-License-Identifier: Apache-2.0
// Logging through spdlog to stderr. Under journald (stderr is the stream JOURNAL_STREAM names),
// in the form the journal reads well: no timestamps of our own (journald adds them) and syslog
// priority prefixes ("<6>"). Anywhere else (a terminal, a file, a pipe) each line starts with
// its local time and offset, to the millisecond: "2026-11-25T10:04:05.123+01:00 warning: ...".
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
  bool journal = false;  // priority prefixes; also when stderrIsJournal()
  // One JSON object per line instead: {"time": RFC 3339 UTC, "level", "message"} (for log
  // shippers other than the journal; logging.format: json).
  bool json = false;
};

// Whether `fd` is the stream journald gave the service: `journal_stream` (the JOURNAL_STREAM
// variable, "DEVICE:INODE") names the device and inode of `fd`. A child of the service that
// writes elsewhere inherits the variable, hence the comparison (systemd.exec(5)).
bool isJournalStream(const char* journal_stream, int fd);
// isJournalStream(getenv("JOURNAL_STREAM"), 2).
bool stderrIsJournal();

// (Re)configures the shared logger to write to stderr.
void setupLogging(const LogOptions& options);
// Test hook: also write every (redacted) message to `out`.
void addLogStream(std::ostream& out);
void removeLogStreams();

// The shared logger.
spdlog::logger& log();

// A prefix for every message the current thread logs while the scope lives: the service names
// the partner account a worker thread works for ("partner contoso: ") when it serves several.
// Scopes nest (the previous prefix comes back at the end). Threads started for that work take
// the creator's prefix with them (msapi/worker_pool.h: LogScope scope(LogScope::current())).
class LogScope {
 public:
  explicit LogScope(std::string prefix);
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;
  // This thread's prefix ("" outside any scope).
  static const std::string& current();

 private:
  std::string previous_;
};

}  // namespace cspwatch
