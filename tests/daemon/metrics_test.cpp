// SPDX-License-Identifier: Apache-2.0
// The metrics registry: its output read back by a strict parser of the Prometheus text format
// 0.0.4, the families and types it promises, values after scans, failures, API counters and
// outbox figures, label escaping, and the last successful scan.
#include "daemon/metrics.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "common/version.h"
#include "config/app_config.h"
#include "tests/support/prometheus.h"

using namespace cspwatch;
using namespace cspwatch::daemon;
using namespace cspwatch::config;
using cspwatch::testing::Exposition;
using cspwatch::testing::LabelSet;
using cspwatch::testing::parse;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T06:00:00Z");
const std::string kP = "default";  // the partner account of the single-account layout

// The families and types the header promises (a contract: dashboards use these names).
const std::map<std::string, std::string> kFamilies = {
    {"cspwatch_build_info", "gauge"},
    {"cspwatch_scans_total", "counter"},
    {"cspwatch_scan_duration_seconds", "gauge"},
    {"cspwatch_last_scan_timestamp_seconds", "gauge"},
    {"cspwatch_last_successful_scan_timestamp_seconds", "gauge"},
    {"cspwatch_tenants", "gauge"},
    {"cspwatch_findings_open", "gauge"},
    {"cspwatch_checks_unknown", "gauge"},
    {"cspwatch_api_requests_total", "counter"},
    {"cspwatch_api_retries_total", "counter"},
    {"cspwatch_api_throttled_total", "counter"},
    {"cspwatch_api_failures_total", "counter"},
    {"cspwatch_outbox_queued", "gauge"},
    {"cspwatch_outbox_failed", "gauge"},
    {"cspwatch_mail_delivered_total", "counter"},
    {"cspwatch_mail_failed_total", "counter"},
    {"cspwatch_config_reloads_total", "counter"},
    {"cspwatch_scan_interval_seconds", "gauge"},
    {"cspwatch_start_timestamp_seconds", "gauge"},
    {"cspwatch_sign_in_failing", "gauge"},
    {"cspwatch_outbox_oldest_queued_timestamp_seconds", "gauge"},
    {"cspwatch_lease_held", "gauge"},
    {"cspwatch_lease_takeovers_total", "counter"},
};

Exposition parseChecked(const Metrics& m) {
  const std::string text = m.prometheusText();
  Exposition x = parse(text);
  INFO(text);
  CHECK(x.errors == std::vector<std::string>{});
  CHECK(x.types == kFamilies);
  for (const auto& [name, type] : x.types) {
    CHECK(x.helps.count(name) == 1);
    if (type == "counter") CHECK(name.size() > 6);
    if (type == "counter") CHECK(name.substr(name.size() - 6) == "_total");
  }
  return x;
}

storage::ScanSummary summary(storage::ScanStatus status, int full, int partial, int unread,
                             int unknown) {
  storage::ScanSummary s;
  s.status = status;
  s.tenants_full = full;
  s.tenants_partial = partial;
  s.tenants_unread = unread;
  s.tenants_total = full + partial + unread;
  s.checks_unknown = unknown;
  return s;
}

}  // namespace

TEST_CASE("metrics: the parser catches what the format forbids", "[metrics]") {
  CHECK(parse("# HELP a x\n# TYPE a gauge\na 1\n").errors.empty());
  CHECK(parse("# HELP a x\n# TYPE a gauge\na{l=\"v\\\"\\\\\\n\"} 1\n").errors.empty());
  CHECK_FALSE(parse("a 1\n").errors.empty());                            // no HELP or TYPE
  CHECK_FALSE(parse("# TYPE a gauge\na 1\n").errors.empty());            // no HELP
  CHECK_FALSE(parse("# HELP a x\n# TYPE a gauge\na 1").errors.empty());  // no final line end
  CHECK_FALSE(parse("# HELP a x\n# TYPE a gauge\na{l=\"\\t\"} 1\n").errors.empty());
  CHECK_FALSE(parse("# HELP a x\n# TYPE a gauge\na{l=\"v} 1\n").errors.empty());
  CHECK_FALSE(parse("# HELP 1a x\n# TYPE 1a gauge\n1a 1\n").errors.empty());
  CHECK_FALSE(parse("# HELP a x\n# TYPE a gauge\na one\n").errors.empty());
  CHECK_FALSE(parse("# HELP a x\n# TYPE a gauge\na 1\na 2\n").errors.empty());
  CHECK_FALSE(parse("# HELP a x\n# TYPE a counter\na -1\n").errors.empty());
  CHECK_FALSE(
      parse("# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na{x=\"y\"} 2\n")
          .errors.empty());  // a family's samples split
}

TEST_CASE("metrics: a fresh registry has every family, counters at 0 and no scan yet",
          "[metrics]") {
  Metrics m;
  // No account yet: the families' HELP and TYPE, and only the process's own samples.
  CHECK(parseChecked(m).count("cspwatch_scans_total") == 0);
  CHECK(parseChecked(m).value("cspwatch_build_info", {{"version", kVersion}}) == 1.0);
  // The service records each account's interval at start: its counters start at 0 then.
  m.setScanInterval(kP, std::chrono::hours(6));
  const Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_build_info", {{"version", kVersion}}) == 1.0);
  for (const char* status : {"completed", "partial", "failed", "interrupted"})
    CHECK(x.value("cspwatch_scans_total", {{"partner", kP}, {"status", status}}) == 0.0);
  for (const char* family :
       {"cspwatch_scan_duration_seconds", "cspwatch_last_scan_timestamp_seconds",
        "cspwatch_last_successful_scan_timestamp_seconds", "cspwatch_tenants",
        "cspwatch_findings_open", "cspwatch_checks_unknown", "cspwatch_start_timestamp_seconds",
        "cspwatch_sign_in_failing", "cspwatch_outbox_oldest_queued_timestamp_seconds"})
    CHECK(x.count(family) == 0);
  for (const char* api : {"partner_center", "graph"}) {
    CHECK(x.value("cspwatch_api_requests_total", {{"partner", kP}, {"api", api}}) == 0.0);
    CHECK(x.value("cspwatch_api_failures_total", {{"partner", kP}, {"api", api}}) == 0.0);
  }
  CHECK(x.value("cspwatch_outbox_queued", {{"partner", kP}}) == 0.0);
  CHECK(x.value("cspwatch_mail_delivered_total", {{"partner", kP}}) == 0.0);
  CHECK(x.value("cspwatch_config_reloads_total", {{"result", "ok"}}) == 0.0);
  CHECK(x.value("cspwatch_config_reloads_total", {{"result", "error"}}) == 0.0);
  CHECK_FALSE(m.lastSuccessfulScan(kP).has_value());
}

TEST_CASE("metrics: scans, failures, API counters, outbox and reloads add up", "[metrics]") {
  Metrics m;
  m.recordScan(kP, summary(storage::ScanStatus::kCompleted, 20, 3, 1, 4), 12.5, kNow);
  m.recordScan(kP, summary(storage::ScanStatus::kPartial, 18, 4, 2, 7), 30.25,
               kNow + Seconds(3600));
  m.recordScanFailure(kP, storage::ScanStatus::kFailed, 1.5, kNow + Seconds(7200));
  m.recordScanFailure(kP, storage::ScanStatus::kInterrupted, 0, kNow + Seconds(7300));
  m.addApiCounters(kP, "partner_center", 40, 2, 1, 0);
  m.addApiCounters(kP, "graph", 300, 10, 6, 2);
  m.addApiCounters(kP, "graph", 200, 5, 0, 1);
  m.addApiCounters(kP, "graph", -5, -1, -1, -1);  // nonsense: counters never go down
  m.setOpenFindings(kP, {{"gdap-expiring", "warning", 3},
                         {"partner-not-listed", "critical", 5},
                         {"gdap-expiring", "critical", 1}});
  m.setOutbox(kP, 7, 2);
  m.addDeliveries(kP, 10, 1);
  m.addDeliveries(kP, 4, 0);
  m.recordReload(true);
  m.recordReload(false);
  m.recordReload(true);

  const Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_scans_total", {{"partner", kP}, {"status", "completed"}}) == 1.0);
  CHECK(x.value("cspwatch_scans_total", {{"partner", kP}, {"status", "partial"}}) == 1.0);
  CHECK(x.value("cspwatch_scans_total", {{"partner", kP}, {"status", "failed"}}) == 1.0);
  CHECK(x.value("cspwatch_scans_total", {{"partner", kP}, {"status", "interrupted"}}) == 1.0);
  // The last scan (interrupted) for duration and time; the last applied one for the rest.
  CHECK(x.value("cspwatch_scan_duration_seconds", {{"partner", kP}}) == 0.0);
  CHECK(x.value("cspwatch_last_scan_timestamp_seconds", {{"partner", kP}}) ==
        static_cast<double>(toUnixSeconds(kNow) + 7300));
  CHECK(x.value("cspwatch_last_successful_scan_timestamp_seconds", {{"partner", kP}}) ==
        static_cast<double>(toUnixSeconds(kNow) + 3600));
  CHECK(x.value("cspwatch_tenants", {{"partner", kP}, {"read", "full"}}) == 18.0);
  CHECK(x.value("cspwatch_tenants", {{"partner", kP}, {"read", "partial"}}) == 4.0);
  CHECK(x.value("cspwatch_tenants", {{"partner", kP}, {"read", "none"}}) == 2.0);
  CHECK(x.value("cspwatch_checks_unknown", {{"partner", kP}}) == 7.0);
  CHECK(x.count("cspwatch_findings_open") == 3);
  CHECK(x.value("cspwatch_findings_open",
                {{"partner", kP}, {"rule", "gdap-expiring"}, {"severity", "warning"}}) == 3.0);
  CHECK(x.value("cspwatch_findings_open",
                {{"partner", kP}, {"rule", "partner-not-listed"}, {"severity", "critical"}}) ==
        5.0);
  CHECK(x.value("cspwatch_api_requests_total", {{"partner", kP}, {"api", "partner_center"}}) ==
        40.0);
  CHECK(x.value("cspwatch_api_requests_total", {{"partner", kP}, {"api", "graph"}}) == 500.0);
  CHECK(x.value("cspwatch_api_retries_total", {{"partner", kP}, {"api", "graph"}}) == 15.0);
  CHECK(x.value("cspwatch_api_throttled_total", {{"partner", kP}, {"api", "graph"}}) == 6.0);
  CHECK(x.value("cspwatch_api_throttled_total", {{"partner", kP}, {"api", "partner_center"}}) ==
        1.0);
  CHECK(x.value("cspwatch_api_failures_total", {{"partner", kP}, {"api", "graph"}}) == 3.0);
  CHECK(x.value("cspwatch_outbox_queued", {{"partner", kP}}) == 7.0);
  CHECK(x.value("cspwatch_outbox_failed", {{"partner", kP}}) == 2.0);
  CHECK(x.value("cspwatch_mail_delivered_total", {{"partner", kP}}) == 14.0);
  CHECK(x.value("cspwatch_mail_failed_total", {{"partner", kP}}) == 1.0);
  CHECK(x.value("cspwatch_config_reloads_total", {{"result", "ok"}}) == 2.0);
  CHECK(x.value("cspwatch_config_reloads_total", {{"result", "error"}}) == 1.0);

  // A fractional duration is written exactly, not as 30.250000000000000.
  m.recordScan(kP, summary(storage::ScanStatus::kCompleted, 1, 0, 0, 0), 30.25,
               kNow + Seconds(9000));
  CHECK(m.prometheusText().find("\ncspwatch_scan_duration_seconds{partner=\"default\"} 30.25\n") !=
        std::string::npos);
  // Open findings are replaced, not added to.
  m.setOpenFindings(kP, {});
  CHECK(parseChecked(m).count("cspwatch_findings_open") == 0);
}

TEST_CASE("metrics: label values with quotes, backslashes and line breaks are escaped",
          "[metrics]") {
  const std::string nasty = "a\"b\\c\nd";
  CHECK(escapeLabelValue(nasty) == "a\\\"b\\\\c\\nd");
  Metrics m;
  m.setOpenFindings(kP, {{nasty, "critical", 2}});
  m.addApiCounters(kP, nasty, 1, 0, 0, 0);
  const std::string text = m.prometheusText();
  CHECK(text.find("cspwatch_findings_open{partner=\"default\",rule=\"a\\\"b\\\\c\\nd\",severity="
                  "\"critical\"} 2\n") != std::string::npos);
  const Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_findings_open",
                {{"partner", kP}, {"rule", nasty}, {"severity", "critical"}}) == 2.0);
  CHECK(x.value("cspwatch_api_requests_total", {{"partner", kP}, {"api", nasty}}) == 1.0);
}

TEST_CASE("metrics: the last successful scan is the last applied one", "[metrics]") {
  Metrics m;
  m.recordScanFailure(kP, storage::ScanStatus::kFailed, 2, kNow);
  CHECK_FALSE(m.lastSuccessfulScan(kP).has_value());
  m.recordScan(kP, summary(storage::ScanStatus::kPartial, 1, 1, 0, 0), 3, kNow + Seconds(60));
  CHECK(m.lastSuccessfulScan(kP) == kNow + Seconds(60));
  m.recordScan(kP, summary(storage::ScanStatus::kCompleted, 2, 0, 0, 0), 3, kNow + Seconds(120));
  CHECK(m.lastSuccessfulScan(kP) == kNow + Seconds(120));
  m.recordScanFailure(kP, storage::ScanStatus::kInterrupted, 1, kNow + Seconds(180));
  CHECK(m.lastSuccessfulScan(kP) == kNow + Seconds(120));
}

TEST_CASE("metrics: what the alerting rules need: interval, start, sign-in and the outbox's age",
          "[metrics]") {
  Metrics m;
  m.setScanInterval(kP, std::chrono::hours(6));
  m.setStartTime(kNow);
  m.setOutbox(kP, 3, 0, kNow - Seconds(900));
  Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_scan_interval_seconds", {{"partner", kP}}) == 21600.0);
  CHECK(x.value("cspwatch_start_timestamp_seconds") == static_cast<double>(toUnixSeconds(kNow)));
  CHECK(x.value("cspwatch_outbox_oldest_queued_timestamp_seconds", {{"partner", kP}}) ==
        static_cast<double>(toUnixSeconds(kNow) - 900));
  CHECK(x.count("cspwatch_sign_in_failing") == 0);  // no applied scan yet

  // The sign-in gauge follows the last applied scan; a failed scan leaves it as it was.
  m.recordScan(kP, summary(storage::ScanStatus::kPartial, 5, 0, 0, 9), 3, kNow, true);
  CHECK(parseChecked(m).value("cspwatch_sign_in_failing", {{"partner", kP}}) == 1.0);
  m.recordScanFailure(kP, storage::ScanStatus::kFailed, 1, kNow + Seconds(60));
  CHECK(parseChecked(m).value("cspwatch_sign_in_failing", {{"partner", kP}}) == 1.0);
  m.recordScan(kP, summary(storage::ScanStatus::kCompleted, 5, 0, 0, 0), 3, kNow + Seconds(120));
  CHECK(parseChecked(m).value("cspwatch_sign_in_failing", {{"partner", kP}}) == 0.0);

  // A reload changes the interval; an emptied outbox has no oldest message.
  m.setScanInterval(kP, std::chrono::minutes(30));
  m.setOutbox(kP, 0, 1);
  x = parseChecked(m);
  CHECK(x.value("cspwatch_scan_interval_seconds", {{"partner", kP}}) == 1800.0);
  CHECK(x.count("cspwatch_outbox_oldest_queued_timestamp_seconds") == 0);
  CHECK(x.value("cspwatch_outbox_failed", {{"partner", kP}}) == 1.0);
}

TEST_CASE("metrics: the last successful scan restored from the database survives a restart",
          "[metrics]") {
  Metrics m;
  m.restoreLastSuccessfulScan(kP, kNow - Seconds(3600));
  CHECK(m.lastSuccessfulScan(kP) == kNow - Seconds(3600));
  CHECK(
      parseChecked(m).value("cspwatch_last_successful_scan_timestamp_seconds", {{"partner", kP}}) ==
      static_cast<double>(toUnixSeconds(kNow) - 3600));
  // Restored, not scanned: no scan is counted and the last scan's gauges stay empty.
  const Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_scans_total", {{"partner", kP}, {"status", "completed"}}) == 0.0);
  CHECK(x.count("cspwatch_last_scan_timestamp_seconds") == 0);
  CHECK(x.count("cspwatch_checks_unknown") == 0);
  // A scan of this process replaces it; an older restored time never does.
  m.recordScan(kP, summary(storage::ScanStatus::kCompleted, 1, 0, 0, 0), 3, kNow);
  m.restoreLastSuccessfulScan(kP, kNow - Seconds(7200));
  CHECK(m.lastSuccessfulScan(kP) == kNow);
}

TEST_CASE("metrics: recording from several threads while scraping loses nothing", "[metrics]") {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 500; ++i) {
        m.addApiCounters(kP, "graph", 1, 0, 0, 0);
        m.addDeliveries(kP, 1, 0);
        if (i % 100 == 0) (void)m.prometheusText();
      }
    });
  }
  for (auto& t : threads) t.join();
  const Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_api_requests_total", {{"partner", kP}, {"api", "graph"}}) == 2000.0);
  CHECK(x.value("cspwatch_mail_delivered_total", {{"partner", kP}}) == 2000.0);
}

TEST_CASE("metrics: each partner account's samples carry its name, process ones none",
          "[metrics]") {
  Metrics m;
  m.setStartTime(kNow);
  m.setScanInterval("alpha", std::chrono::hours(6));
  m.setScanInterval("beta", std::chrono::hours(1));
  m.recordScan("alpha", summary(storage::ScanStatus::kCompleted, 10, 0, 0, 2), 5, kNow);
  m.recordScanFailure("beta", storage::ScanStatus::kFailed, 1, kNow);
  m.addApiCounters("beta", "graph", 7, 0, 0, 0);
  m.setLeaseHeld("alpha", true);
  m.setLeaseHeld("beta", false);
  m.recordTakeover("alpha");
  const Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_scans_total", {{"partner", "alpha"}, {"status", "completed"}}) == 1.0);
  CHECK(x.value("cspwatch_scans_total", {{"partner", "alpha"}, {"status", "failed"}}) == 0.0);
  CHECK(x.value("cspwatch_scans_total", {{"partner", "beta"}, {"status", "failed"}}) == 1.0);
  CHECK(x.value("cspwatch_checks_unknown", {{"partner", "alpha"}}) == 2.0);
  CHECK(x.count("cspwatch_checks_unknown") == 1);  // beta has no applied scan
  CHECK(x.value("cspwatch_scan_interval_seconds", {{"partner", "beta"}}) == 3600.0);
  CHECK(x.value("cspwatch_api_requests_total", {{"partner", "beta"}, {"api", "graph"}}) == 7.0);
  CHECK(x.value("cspwatch_api_requests_total", {{"partner", "alpha"}, {"api", "graph"}}) == 0.0);
  CHECK(x.value("cspwatch_lease_held", {{"partner", "alpha"}}) == 1.0);
  CHECK(x.value("cspwatch_lease_held", {{"partner", "beta"}}) == 0.0);
  CHECK(x.value("cspwatch_lease_takeovers_total", {{"partner", "alpha"}}) == 1.0);
  CHECK(x.value("cspwatch_lease_takeovers_total", {{"partner", "beta"}}) == 0.0);
  CHECK(x.value("cspwatch_start_timestamp_seconds") == static_cast<double>(toUnixSeconds(kNow)));
  CHECK(m.lastSuccessfulScan("alpha") == kNow);
  CHECK_FALSE(m.lastSuccessfulScan("beta").has_value());
}
