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
  const Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_build_info", {{"version", kVersion}}) == 1.0);
  for (const char* status : {"completed", "partial", "failed", "interrupted"})
    CHECK(x.value("cspwatch_scans_total", {{"status", status}}) == 0.0);
  for (const char* family :
       {"cspwatch_scan_duration_seconds", "cspwatch_last_scan_timestamp_seconds",
        "cspwatch_last_successful_scan_timestamp_seconds", "cspwatch_tenants",
        "cspwatch_findings_open", "cspwatch_checks_unknown", "cspwatch_scan_interval_seconds",
        "cspwatch_start_timestamp_seconds", "cspwatch_sign_in_failing",
        "cspwatch_outbox_oldest_queued_timestamp_seconds"})
    CHECK(x.count(family) == 0);
  for (const char* api : {"partner_center", "graph"}) {
    CHECK(x.value("cspwatch_api_requests_total", {{"api", api}}) == 0.0);
    CHECK(x.value("cspwatch_api_failures_total", {{"api", api}}) == 0.0);
  }
  CHECK(x.value("cspwatch_outbox_queued") == 0.0);
  CHECK(x.value("cspwatch_mail_delivered_total") == 0.0);
  CHECK(x.value("cspwatch_config_reloads_total", {{"result", "ok"}}) == 0.0);
  CHECK(x.value("cspwatch_config_reloads_total", {{"result", "error"}}) == 0.0);
  CHECK_FALSE(m.lastSuccessfulScan().has_value());
}

TEST_CASE("metrics: scans, failures, API counters, outbox and reloads add up", "[metrics]") {
  Metrics m;
  m.recordScan(summary(storage::ScanStatus::kCompleted, 20, 3, 1, 4), 12.5, kNow);
  m.recordScan(summary(storage::ScanStatus::kPartial, 18, 4, 2, 7), 30.25, kNow + Seconds(3600));
  m.recordScanFailure(storage::ScanStatus::kFailed, 1.5, kNow + Seconds(7200));
  m.recordScanFailure(storage::ScanStatus::kInterrupted, 0, kNow + Seconds(7300));
  m.addApiCounters("partner_center", 40, 2, 1, 0);
  m.addApiCounters("graph", 300, 10, 6, 2);
  m.addApiCounters("graph", 200, 5, 0, 1);
  m.addApiCounters("graph", -5, -1, -1, -1);  // nonsense: counters never go down
  m.setOpenFindings({{"gdap-expiring", "warning", 3},
                     {"partner-not-listed", "critical", 5},
                     {"gdap-expiring", "critical", 1}});
  m.setOutbox(7, 2);
  m.addDeliveries(10, 1);
  m.addDeliveries(4, 0);
  m.recordReload(true);
  m.recordReload(false);
  m.recordReload(true);

  const Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_scans_total", {{"status", "completed"}}) == 1.0);
  CHECK(x.value("cspwatch_scans_total", {{"status", "partial"}}) == 1.0);
  CHECK(x.value("cspwatch_scans_total", {{"status", "failed"}}) == 1.0);
  CHECK(x.value("cspwatch_scans_total", {{"status", "interrupted"}}) == 1.0);
  // The last scan (interrupted) for duration and time; the last applied one for the rest.
  CHECK(x.value("cspwatch_scan_duration_seconds") == 0.0);
  CHECK(x.value("cspwatch_last_scan_timestamp_seconds") ==
        static_cast<double>(toUnixSeconds(kNow) + 7300));
  CHECK(x.value("cspwatch_last_successful_scan_timestamp_seconds") ==
        static_cast<double>(toUnixSeconds(kNow) + 3600));
  CHECK(x.value("cspwatch_tenants", {{"read", "full"}}) == 18.0);
  CHECK(x.value("cspwatch_tenants", {{"read", "partial"}}) == 4.0);
  CHECK(x.value("cspwatch_tenants", {{"read", "none"}}) == 2.0);
  CHECK(x.value("cspwatch_checks_unknown") == 7.0);
  CHECK(x.count("cspwatch_findings_open") == 3);
  CHECK(x.value("cspwatch_findings_open", {{"rule", "gdap-expiring"}, {"severity", "warning"}}) ==
        3.0);
  CHECK(x.value("cspwatch_findings_open",
                {{"rule", "partner-not-listed"}, {"severity", "critical"}}) == 5.0);
  CHECK(x.value("cspwatch_api_requests_total", {{"api", "partner_center"}}) == 40.0);
  CHECK(x.value("cspwatch_api_requests_total", {{"api", "graph"}}) == 500.0);
  CHECK(x.value("cspwatch_api_retries_total", {{"api", "graph"}}) == 15.0);
  CHECK(x.value("cspwatch_api_throttled_total", {{"api", "graph"}}) == 6.0);
  CHECK(x.value("cspwatch_api_throttled_total", {{"api", "partner_center"}}) == 1.0);
  CHECK(x.value("cspwatch_api_failures_total", {{"api", "graph"}}) == 3.0);
  CHECK(x.value("cspwatch_outbox_queued") == 7.0);
  CHECK(x.value("cspwatch_outbox_failed") == 2.0);
  CHECK(x.value("cspwatch_mail_delivered_total") == 14.0);
  CHECK(x.value("cspwatch_mail_failed_total") == 1.0);
  CHECK(x.value("cspwatch_config_reloads_total", {{"result", "ok"}}) == 2.0);
  CHECK(x.value("cspwatch_config_reloads_total", {{"result", "error"}}) == 1.0);

  // A fractional duration is written exactly, not as 30.250000000000000.
  m.recordScan(summary(storage::ScanStatus::kCompleted, 1, 0, 0, 0), 30.25, kNow + Seconds(9000));
  CHECK(m.prometheusText().find("\ncspwatch_scan_duration_seconds 30.25\n") != std::string::npos);
  // Open findings are replaced, not added to.
  m.setOpenFindings({});
  CHECK(parseChecked(m).count("cspwatch_findings_open") == 0);
}

TEST_CASE("metrics: label values with quotes, backslashes and line breaks are escaped",
          "[metrics]") {
  const std::string nasty = "a\"b\\c\nd";
  CHECK(escapeLabelValue(nasty) == "a\\\"b\\\\c\\nd");
  Metrics m;
  m.setOpenFindings({{nasty, "critical", 2}});
  m.addApiCounters(nasty, 1, 0, 0, 0);
  const std::string text = m.prometheusText();
  CHECK(text.find("cspwatch_findings_open{rule=\"a\\\"b\\\\c\\nd\",severity=\"critical\"} 2\n") !=
        std::string::npos);
  const Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_findings_open", {{"rule", nasty}, {"severity", "critical"}}) == 2.0);
  CHECK(x.value("cspwatch_api_requests_total", {{"api", nasty}}) == 1.0);
}

TEST_CASE("metrics: the last successful scan is the last applied one", "[metrics]") {
  Metrics m;
  m.recordScanFailure(storage::ScanStatus::kFailed, 2, kNow);
  CHECK_FALSE(m.lastSuccessfulScan().has_value());
  m.recordScan(summary(storage::ScanStatus::kPartial, 1, 1, 0, 0), 3, kNow + Seconds(60));
  CHECK(m.lastSuccessfulScan() == kNow + Seconds(60));
  m.recordScan(summary(storage::ScanStatus::kCompleted, 2, 0, 0, 0), 3, kNow + Seconds(120));
  CHECK(m.lastSuccessfulScan() == kNow + Seconds(120));
  m.recordScanFailure(storage::ScanStatus::kInterrupted, 1, kNow + Seconds(180));
  CHECK(m.lastSuccessfulScan() == kNow + Seconds(120));
}

TEST_CASE("metrics: what the alerting rules need: interval, start, sign-in and the outbox's age",
          "[metrics]") {
  Metrics m;
  m.setScanInterval(std::chrono::hours(6));
  m.setStartTime(kNow);
  m.setOutbox(3, 0, kNow - Seconds(900));
  Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_scan_interval_seconds") == 21600.0);
  CHECK(x.value("cspwatch_start_timestamp_seconds") == static_cast<double>(toUnixSeconds(kNow)));
  CHECK(x.value("cspwatch_outbox_oldest_queued_timestamp_seconds") ==
        static_cast<double>(toUnixSeconds(kNow) - 900));
  CHECK(x.count("cspwatch_sign_in_failing") == 0);  // no applied scan yet

  // The sign-in gauge follows the last applied scan; a failed scan leaves it as it was.
  m.recordScan(summary(storage::ScanStatus::kPartial, 5, 0, 0, 9), 3, kNow, true);
  CHECK(parseChecked(m).value("cspwatch_sign_in_failing") == 1.0);
  m.recordScanFailure(storage::ScanStatus::kFailed, 1, kNow + Seconds(60));
  CHECK(parseChecked(m).value("cspwatch_sign_in_failing") == 1.0);
  m.recordScan(summary(storage::ScanStatus::kCompleted, 5, 0, 0, 0), 3, kNow + Seconds(120));
  CHECK(parseChecked(m).value("cspwatch_sign_in_failing") == 0.0);

  // A reload changes the interval; an emptied outbox has no oldest message.
  m.setScanInterval(std::chrono::minutes(30));
  m.setOutbox(0, 1);
  x = parseChecked(m);
  CHECK(x.value("cspwatch_scan_interval_seconds") == 1800.0);
  CHECK(x.count("cspwatch_outbox_oldest_queued_timestamp_seconds") == 0);
  CHECK(x.value("cspwatch_outbox_failed") == 1.0);
}

TEST_CASE("metrics: the last successful scan restored from the database survives a restart",
          "[metrics]") {
  Metrics m;
  m.restoreLastSuccessfulScan(kNow - Seconds(3600));
  CHECK(m.lastSuccessfulScan() == kNow - Seconds(3600));
  CHECK(parseChecked(m).value("cspwatch_last_successful_scan_timestamp_seconds") ==
        static_cast<double>(toUnixSeconds(kNow) - 3600));
  // Restored, not scanned: no scan is counted and the last scan's gauges stay empty.
  const Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_scans_total", {{"status", "completed"}}) == 0.0);
  CHECK(x.count("cspwatch_last_scan_timestamp_seconds") == 0);
  CHECK(x.count("cspwatch_checks_unknown") == 0);
  // A scan of this process replaces it; an older restored time never does.
  m.recordScan(summary(storage::ScanStatus::kCompleted, 1, 0, 0, 0), 3, kNow);
  m.restoreLastSuccessfulScan(kNow - Seconds(7200));
  CHECK(m.lastSuccessfulScan() == kNow);
}

TEST_CASE("metrics: recording from several threads while scraping loses nothing", "[metrics]") {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 500; ++i) {
        m.addApiCounters("graph", 1, 0, 0, 0);
        m.addDeliveries(1, 0);
        if (i % 100 == 0) (void)m.prometheusText();
      }
    });
  }
  for (auto& t : threads) t.join();
  const Exposition x = parseChecked(m);
  CHECK(x.value("cspwatch_api_requests_total", {{"api", "graph"}}) == 2000.0);
  CHECK(x.value("cspwatch_mail_delivered_total") == 2000.0);
}
