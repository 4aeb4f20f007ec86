// SPDX-License-Identifier: Apache-2.0
// The daemon's metrics: a registry the service feeds as scans, API calls, deliveries and
// reloads happen, and that GET /metrics renders in the Prometheus text exposition format 0.0.4.
// Thread-safe: every member may be called from any thread at any time.
//
// One instance serves any number of partner accounts (config::partnerConfigs): every family
// but build_info, config_reloads_total and start_timestamp_seconds is kept per account and
// carries its name as the label `partner` (first among its labels; "default" for the
// configuration without `partners:`), so the label sets below are those besides `partner`. An
// account's samples appear once the service first records something of it (its interval, at
// start).
//
// Metric families (the names, types and labels are a contract for dashboards and alerts; a
// family is only ever added):
//
//   cspwatch_build_info{version}                          gauge    1; version from version.h
//   cspwatch_scans_total{status}                          counter  completed, partial, failed,
//                                                                  interrupted (all four from 0)
//   cspwatch_scan_duration_seconds                        gauge    the last scan, any status
//   cspwatch_last_scan_timestamp_seconds                  gauge    when the last scan (any
//                                                                  status) finished, Unix time
//   cspwatch_last_successful_scan_timestamp_seconds       gauge    when the last applied scan
//                                                                  (completed or partial) ended
//                                                                  (from the database at start)
//   cspwatch_tenants{read}                                gauge    full, partial, none: tenants
//                                                                  of the last applied scan
//   cspwatch_findings_open{rule,severity}                 gauge    as last set (setOpenFindings)
//   cspwatch_checks_unknown                               gauge    checks the last applied scan
//                                                                  could not make
//   cspwatch_api_requests_total{api}                      counter  api: partner_center, graph
//   cspwatch_api_retries_total{api}                       counter  (both from 0; others as
//   cspwatch_api_throttled_total{api}                     counter   they are added); throttled
//   cspwatch_api_failures_total{api}                      counter   counts 429 answers
//   cspwatch_outbox_queued                                gauge    messages waiting in the outbox
//   cspwatch_outbox_failed                                gauge    messages given up on, kept
//   cspwatch_mail_delivered_total                         counter
//   cspwatch_mail_failed_total                            counter
//   cspwatch_config_reloads_total{result}                 counter  ok, error (both from 0)
//   cspwatch_scan_interval_seconds                        gauge    schedule.interval in force
//   cspwatch_start_timestamp_seconds                      gauge    when the service started
//   cspwatch_sign_in_failing                              gauge    1: the last applied scan
//                                                                  could not sign in as the
//                                                                  partner user; else 0
//   cspwatch_outbox_oldest_queued_timestamp_seconds       gauge    when the oldest message
//                                                                  waiting was queued
//
// docs/operations.md#monitoring and the shipped alerting rules (etc/prometheus/) build on
// these names: tests/prometheus/ fails when a rule names a family not exported here.
//
// Every family has its HELP and TYPE lines, always; a gauge with nothing to report yet (no scan
// so far, open findings never set, no interval or start time set, nothing waiting in the outbox)
// has no sample. Counters start at 0 when the process starts.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/time.h"
#include "storage/finding_store.h"
#include "storage/states.h"

namespace cspwatch::daemon {

struct OpenFindingCount {
  std::string rule_id, severity;
  int64_t count = 0;
};

class Metrics {
 public:
  // A scan that was applied (status "completed" or "partial", from `summary`): counts it,
  // records its tenants and unknown checks, its duration and when it finished (which is also
  // the last successful scan). `sign_in_failed`: the scan could not sign in as the partner user
  // (cspwatch_sign_in_failing 1 until an applied scan can again).
  void recordScan(const std::string& partner, const storage::ScanSummary& summary,
                  double duration_seconds, Timestamp finished, bool sign_in_failed = false);
  // When the last applied scan before this process ended (from the database at start), so that
  // the last successful scan's time survives restarts as /healthz's does. A later recordScan()
  // replaces it; an earlier time than the one held is ignored.
  void restoreLastSuccessfulScan(const std::string& partner, Timestamp finished);
  // schedule.interval as loaded (at start and on each reload).
  void setScanInterval(const std::string& partner, Seconds interval);
  // When the service started.
  void setStartTime(Timestamp started);
  // A scan that changed nothing: `status` is kFailed or kInterrupted (another value is
  // counted under its own name's label). Sets the last scan's duration and time, not the last
  // successful one, and leaves the tenant and unknown-check gauges as the last applied scan
  // left them.
  void recordScanFailure(const std::string& partner, storage::ScanStatus status,
                         double duration_seconds, Timestamp finished);
  // Replaces the open-findings gauge (one sample per rule and severity, as given).
  void setOpenFindings(const std::string& partner, std::vector<OpenFindingCount> counts);
  // Adds a finished scan's API counters (msapi::ApiCounters) to the totals of `api`
  // ("partner_center" or "graph"). Negative values count as 0: counters never go down.
  void addApiCounters(const std::string& partner, const std::string& api, int64_t requests,
                      int64_t retries, int64_t throttled, int64_t failed);
  // The outbox as it stands: messages queued (waiting or retrying) and failed (given up on),
  // and when the oldest queued one was queued (nullopt: none is queued).
  void setOutbox(const std::string& partner, int64_t queued, int64_t failed,
                 std::optional<Timestamp> oldest_queued = std::nullopt);
  // Adds messages delivered and given up on by a delivery run (negative values count as 0).
  void addDeliveries(const std::string& partner, int64_t delivered, int64_t failed);
  // Whether the partner user's sign-in is refused, as a standby found when it used the refresh
  // token (daemon/partner_runner.h) rather than a scan.
  void setSignInFailing(const std::string& partner, bool failing);
  // A configuration reload, successful or refused.
  void recordReload(bool ok);
  // Whether this instance holds the lease of `partner`'s account (daemon/lease_keeper.h), and
  // one more time it took the lease over from a holder that had stopped renewing.
  void setLeaseHeld(const std::string& partner, bool held);
  void recordTakeover(const std::string& partner);

  // When the last applied scan finished; nullopt until one was recorded.
  std::optional<Timestamp> lastSuccessfulScan(const std::string& partner) const;

  // Every family above in the text exposition format 0.0.4: HELP and TYPE before the samples of
  // each family, label values escaped (backslash, double quote, newline), "\n" line ends.
  std::string prometheusText() const;

 private:
  struct ApiTotals {
    int64_t requests = 0, retries = 0, throttled = 0, failed = 0;
  };
  // What is kept of one partner account.
  struct Account {
    std::map<std::string, int64_t> scans{
        {"completed", 0}, {"partial", 0}, {"failed", 0}, {"interrupted", 0}};  // by status
    std::optional<double> last_duration;
    std::optional<Timestamp> last_scan, last_success;
    std::optional<storage::ScanSummary> last_applied;
    std::optional<std::vector<OpenFindingCount>> open_findings;
    std::map<std::string, ApiTotals> api{{"graph", {}}, {"partner_center", {}}};
    int64_t outbox_queued = 0, outbox_failed = 0;
    std::optional<Timestamp> outbox_oldest_queued;
    std::optional<Seconds> scan_interval;
    std::optional<bool> sign_in_failed;  // set by the first applied scan
    int64_t mail_delivered = 0, mail_failed = 0;
    std::optional<bool> lease_held;
    int64_t lease_takeovers = 0;
  };

  // The writers of prometheusText(), each of a group of families in metrics.h's order; mu_ held.
  void writeScanFamilies(std::string& out) const;         // scans_total .. last successful scan
  void writeLastAppliedFamilies(std::string& out) const;  // tenants, findings_open, checks_unknown
  void writeApiFamilies(std::string& out) const;          // api_*_total
  void writeMailFamilies(std::string& out) const;         // outbox_*, mail_*_total
  void writeServiceFamilies(std::string& out) const;      // scan_interval .. lease takeovers
  Account& account(const std::string& partner) { return accounts_[partner]; }  // mu_ held

  mutable std::mutex mu_;
  std::map<std::string, Account> accounts_;  // by partner account name
  std::optional<Timestamp> started_;
  int64_t reloads_ok_ = 0, reloads_error_ = 0;
};

// `value` escaped for a label value in the text format: \ -> \\, " -> \", newline -> \n.
std::string escapeLabelValue(const std::string& value);

}  // namespace cspwatch::daemon
