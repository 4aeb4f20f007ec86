// SPDX-License-Identifier: Apache-2.0
// One scan, start to end: what `cspwatch scan --once` and the service (`cspwatch run`) both
// run (docs/development.md "Where a scan goes"). ScanJob::run makes each step a call in turn
// and owns the store's transaction:
//   1. begin    scans a crash left running are marked interrupted; a new scan row
//   2. read     every tenant from the sources, the rules evaluated against each (scan_runner.h),
//   3. stage    each tenant's read and evaluations staged as it comes (connection-private)
//   4. apply    BEGIN; the staged scan's phases (storage/apply_scan.cpp)
//   5. queue    what the scan changed, to the alert composer (alert_composer.h); its messages
//               into the outbox and its reminders counted, in the same transaction
//   6. commit   the scan, its changes and its alerts together, or nothing at all
//   7. names    partners' names the scan looked up, kept for the next scan
//   8. deliver  due mail through the transport (outbox_sender.h), after every scan, a failed
//               one too (earlier messages may be due), unless the scan was cancelled
//   9. prune    what is older than the retention (storage/retention.h), after every scan that
//               was not cancelled, outside its transaction: a failure is logged, not the scan's
// A failure in steps 2 to 6 marks the scan failed and stores nothing of it; a cancelled scan
// (shutdown) is marked interrupted, and its Status is kAborted.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alerts/transport.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/time.h"
#include "msapi/cancellation.h"
#include "rules/rule_set.h"
#include "scan/alert_composer.h"
#include "scan/outbox_sender.h"
#include "scan/scan_runner.h"
#include "storage/finding_store.h"
#include "storage/retention.h"

namespace cspwatch::scan {

// Where due mail goes; the caller makes it from the configuration (daemon/scan_setup.h).
struct MailDelivery {
  // Called only when delivery is tried; an error leaves the mail queued.
  std::function<Result<std::unique_ptr<alerts::Transport>>()> transport;
  // The webhooks' and Teams' transport (alerts/http_post_transport.h), made when delivery is
  // tried; empty, or null when made: their rows stay queued. They go whatever becomes of mail.
  std::function<std::unique_ptr<alerts::Transport>()> outputs;
  SenderOptions options;
  const Clock* clock = nullptr;  // the time retries are reckoned from; must outlive the job
};

struct ScanJobOptions {
  ScanSources sources;
  AlertComposer* alerts = nullptr;       // null: nothing is queued
  std::optional<MailDelivery> delivery;  // none: nothing is delivered
  std::optional<Seconds> retention;      // alerts.retention; none: nothing is pruned
  // Told how many tenants are done out of how many, after each one (may be empty).
  std::function<void(size_t done, size_t total)> progress;
  msapi::Cancellation* cancel = nullptr;  // may be null
};

struct ScanJobReport {
  Status status;                                // why the scan was not applied
  std::optional<storage::ScanSummary> summary;  // set when it was
  ScanSourceReport source;                      // what the sources reported, API use included
  double seconds = 0;  // steps 1 to 7 took, by the steady clock (for the log and metrics)
  // Set when delivery was tried: what went out, or why the mail stays queued.
  std::optional<Result<SendReport>> sent;
  // Set when pruning was tried: what went, or why nothing did.
  std::optional<Result<storage::PruneReport>> pruned;
};

class ScanJob {
 public:
  // `store` and `rules` must outlive the job.
  ScanJob(storage::FindingStore& store, const rules::RuleSet& rules, ScanJobOptions options);

  // Steps 1 to 9 (above), at `now`.
  ScanJobReport run(Timestamp now);

 private:
  Result<int64_t> begin(Timestamp now);
  Result<ScanSourceReport> readAndStage(Timestamp now);
  Status failed(int64_t scan, Status why, Timestamp now);
  void keepNames(const ScanSourceReport& source);
  Result<storage::PruneReport> prune(Timestamp now);
  bool cancelled() const;

  storage::FindingStore& store_;
  const rules::RuleSet& rules_;
  ScanJobOptions options_;
};

// Steps 4 to 6 alone, for a scan already staged: apply it (`enabled_rules` in force; with
// `source.complete` absent tenants count towards tenant-gone), queue the messages `alerts` (may
// be null) composes from what it changed (`source.sign_in_failure` included) and count their
// reminders, commit. An error leaves the store as it was; the caller fails the scan.
// ScanJob::run calls it; so do tests that stage a scan by hand.
Result<storage::ScanSummary> applyAndQueue(storage::FindingStore& store, int64_t scan,
                                           const std::vector<std::string>& enabled_rules,
                                           const ScanSourceReport& source, AlertComposer* alerts,
                                           Timestamp now);

// Step 8 alone: the due mail, webhook events and Teams cards through `delivery` (the service's
// delivery timer). When the mail transport cannot be made, the posts still go and its error is
// returned.
Result<SendReport> deliverQueued(storage::FindingStore& store, const MailDelivery& delivery);

}  // namespace cspwatch::scan
