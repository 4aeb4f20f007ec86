// SPDX-License-Identifier: Apache-2.0
// The scan's path, one step per function, in the order ScanJob::run calls them (scan_job.h).
#include "scan/scan_job.h"

#include <chrono>
#include <map>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "scan/fault_points.h"
#include "storage/outbox.h"
#include "storage/states.h"

namespace cspwatch::scan {

namespace {

// The rule set in force: open findings of other rules are retired.
std::vector<std::string> enabledRules(const rules::RuleSet& rules) {
  std::vector<std::string> enabled;
  for (const auto& r : rules.rules())
    if (r.enabled) enabled.push_back(r.id);
  return enabled;
}

// Partners' names as the database holds them; the scan looks up those missing or stale.
tenants::PartnerDirectory knownNames(storage::FindingStore& store, Timestamp now) {
  std::map<std::string, tenants::TenantInfo> known;
  if (auto stored = store.directory(); stored)
    for (const auto& e : *stored)
      known[e.tenant_id] = {e.tenant_id, e.display_name, e.default_domain, e.looked_up_at};
  else
    log().warn("partners' names could not be read from the database: {}",
               stored.status().message());
  return tenants::PartnerDirectory(std::move(known), now);
}

}  // namespace

ScanJob::ScanJob(storage::FindingStore& store, const rules::RuleSet& rules, ScanJobOptions options)
    : store_(store), rules_(rules), options_(std::move(options)) {}

ScanJobReport ScanJob::run(Timestamp now) {
  const auto started = std::chrono::steady_clock::now();
  ScanJobReport report;
  if (auto scan = begin(now); !scan) {
    report.status = scan.status();
  } else if (auto source = readAndStage(now); !source) {
    report.status = failed(*scan, source.status(), now);
  } else {
    report.source = *source;
    auto summary =
        applyAndQueue(store_, *scan, enabledRules(rules_), *source, options_.alerts, now);
    if (summary) {
      report.summary = *summary;
      keepNames(*source);
    } else {
      report.status = failed(*scan, summary.status(), now);
    }
  }
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (options_.delivery && !cancelled()) report.sent = deliverQueued(store_, *options_.delivery);
  if (options_.retention && !cancelled()) report.pruned = prune(now);
  return report;
}

Result<int64_t> ScanJob::begin(Timestamp now) {
  if (auto n = store_.markInterrupted(now); !n) return n.status();
  return store_.beginScan(now, rules_.hash());
}

Result<ScanSourceReport> ScanJob::readAndStage(Timestamp now) {
  tenants::PartnerDirectory names = knownNames(store_, now);
  long staged = 0;
  auto stage = [&](const TenantOutcome& o) -> Status {
    if (Status s = store_.stageTenant(toTenantRead(o)); !s) return s;
    for (const auto& e : toEvaluations(o))
      if (Status s = store_.stageEvaluation(e); !s) return s;
    faults::tenantStaged(++staged);
    if (cancelled()) return Status::aborted("stopped: cspwatch is shutting down");
    return Status::ok();
  };
  return runScan(options_.sources, rules_, now, stage, options_.cancel, options_.progress, &names);
}

// Ends a scan that was not applied; returns why. Shutdown is not a failure of the scan: it is
// left unapplied and marked interrupted, and the next run scans again from the start.
Status ScanJob::failed(int64_t scan, Status why, Timestamp now) {
  if (why.code() == Status::Code::kAborted || cancelled()) {
    (void)store_.failScan(scan, now,
                          "the scan was stopped (cspwatch shut down); nothing of it was applied",
                          storage::ScanStatus::kInterrupted);
    return Status::aborted(why.message());
  }
  (void)store_.failScan(scan, now, why.message());
  return why;
}

// The scan stands without them: the next one looks the names up again.
void ScanJob::keepNames(const ScanSourceReport& source) {
  std::vector<storage::DirectoryEntry> looked_up;
  for (const auto& n : source.names_looked_up)
    looked_up.push_back({n.tenant_id, n.display_name, n.default_domain, n.looked_up_at});
  if (Status s = store_.saveDirectory(looked_up); !s)
    log().warn("partners' names could not be stored: {}", s.message());
}

// Step 9, at the scan's time: in a transaction of its own, after the scan's is over, so that
// the scan stands whatever happens here.
Result<storage::PruneReport> ScanJob::prune(Timestamp now) {
  auto pruned = storage::pruneExpired(store_.db(), *options_.retention, now);
  if (!pruned)
    log().warn("retention: nothing was pruned: {}", pruned.status().message());
  else if (!pruned->empty())
    log().info(
        "retention: older than {}: emptied the bodies of {} sent message(s) ({} KB), deleted {} "
        "reminder and {} notification row(s) of findings no longer open",
        formatDuration(*options_.retention), pruned->bodies, pruned->body_bytes / 1024,
        pruned->reminders, pruned->notifications);
  return pruned;
}

bool ScanJob::cancelled() const {
  return options_.cancel != nullptr && options_.cancel->cancelled();
}

// In the scan's transaction, after its phases: the composer sees everything this scan changed
// and its messages are stored with the scan's changes or not at all.
static Status queue(storage::FindingStore& store, int64_t scan, const ScanSourceReport& source,
                    AlertComposer& composer, Timestamp now) {
  auto changes = store.changesOf(scan, now);
  if (!changes) return changes.status();
  changes->sign_in_failure = source.sign_in_failure;
  auto alerts = composer.compose(store, *changes, now);
  if (!alerts) return alerts.status();
  storage::Outbox outbox(store.db());
  for (const auto& m : alerts->messages)
    if (Status s = outbox.enqueue(m); !s) return s;
  // A reminder counts as given when it reached someone; one no route took stays due.
  if (Status s = store.recordReminders(alerts->reminded, now); !s) return s;
  log().info("scan {}: {} message(s) queued for delivery", scan, alerts->messages.size());
  return Status::ok();
}

Result<storage::ScanSummary> applyAndQueue(storage::FindingStore& store, int64_t scan,
                                           const std::vector<std::string>& enabled_rules,
                                           const ScanSourceReport& source, AlertComposer* alerts,
                                           Timestamp now) {
  // Entra refused the partner user's refresh token: noted on the scan, and the alerts know it
  // (the admins hear of it: every App+User check is could-not-check until someone signs in).
  if (source.sign_in_failure)
    if (Status s = store.noteSignInFailure(scan, *source.sign_in_failure); !s) return s;
  auto tx = store.beginApply();
  if (!tx) return tx.status();
  auto summary = store.applyStaged(**tx, scan, enabled_rules, source.complete, now);
  if (!summary) return summary.status();
  if (alerts != nullptr)
    if (Status s = queue(store, scan, source, *alerts, now); !s) return s;
  if (Status s = (*tx)->commit(); !s) return s;
  return summary;
}

Result<SendReport> deliverQueued(storage::FindingStore& store, const MailDelivery& delivery) {
  auto mail = delivery.transport();
  std::unique_ptr<alerts::Transport> outputs = delivery.outputs ? delivery.outputs() : nullptr;
  storage::Outbox outbox(store.db());
  SystemClock system;
  const Clock& clock = delivery.clock != nullptr ? *delivery.clock : system;
  const Transports transports{mail ? mail->get() : nullptr, outputs.get()};
  auto sent = deliverAllDue(outbox, transports, clock, delivery.options);
  if (!mail) return mail.status();  // the mail stays queued: this is why
  return sent;
}

}  // namespace cspwatch::scan
