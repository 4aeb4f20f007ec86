// SPDX-License-Identifier: Apache-2.0
#include "daemon/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <tuple>

#include "common/version.h"

namespace cspwatch::daemon {

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Shortest text that reads back as the same double ("0.25", not "0.25000000000000000").
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

std::string formatValue(int64_t v) { return std::to_string(v); }

// A finite, non-negative duration; anything else counts as 0.
double cleanDuration(double seconds) {
  return std::isfinite(seconds) && seconds > 0 ? seconds : 0.0;
}

int64_t nonNegative(int64_t v) { return std::max<int64_t>(v, 0); }

// Writes one family: its HELP and TYPE lines, then its samples.
class Family {
 public:
  Family(std::string& out, const char* name, const char* type, const char* help)
      : out_(out), name_(name) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;  // our own constant texts: no backslash or newline to escape
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  template <typename V>
  void sample(const Labels& labels, V value) {
    out_ += name_;
    if (!labels.empty()) {
      out_ += '{';
      bool first = true;
      for (const auto& [k, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += k;
        out_ += "=\"";
        out_ += escapeLabelValue(v);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += formatValue(value);
    out_ += '\n';
  }

 private:
  std::string& out_;
  const char* name_;
};

}  // namespace

std::string escapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void Metrics::recordScan(const std::string& partner, const storage::ScanSummary& summary,
                         double duration_seconds, Timestamp finished, bool sign_in_failed) {
  std::lock_guard<std::mutex> lock(mu_);
  Account& a = account(partner);
  ++a.scans[storage::scanStatusName(summary.status)];
  a.last_duration = cleanDuration(duration_seconds);
  a.last_scan = finished;
  a.last_success = finished;
  a.last_applied = summary;
  a.sign_in_failed = sign_in_failed;
}

void Metrics::restoreLastSuccessfulScan(const std::string& partner, Timestamp finished) {
  std::lock_guard<std::mutex> lock(mu_);
  Account& a = account(partner);
  if (!a.last_success || *a.last_success < finished) a.last_success = finished;
}

void Metrics::setScanInterval(const std::string& partner, Seconds interval) {
  std::lock_guard<std::mutex> lock(mu_);
  account(partner).scan_interval = interval;
}

void Metrics::setStartTime(Timestamp started) {
  std::lock_guard<std::mutex> lock(mu_);
  started_ = started;
}

void Metrics::recordScanFailure(const std::string& partner, storage::ScanStatus status,
                                double duration_seconds, Timestamp finished) {
  std::lock_guard<std::mutex> lock(mu_);
  Account& a = account(partner);
  ++a.scans[storage::scanStatusName(status)];
  a.last_duration = cleanDuration(duration_seconds);
  a.last_scan = finished;
}

void Metrics::setOpenFindings(const std::string& partner, std::vector<OpenFindingCount> counts) {
  // Sorted so that the output is stable from one scrape to the next.
  std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
    return std::tie(a.rule_id, a.severity) < std::tie(b.rule_id, b.severity);
  });
  std::lock_guard<std::mutex> lock(mu_);
  account(partner).open_findings = std::move(counts);
}

void Metrics::addApiCounters(const std::string& partner, const std::string& api, int64_t requests,
                             int64_t retries, int64_t throttled, int64_t failed) {
  std::lock_guard<std::mutex> lock(mu_);
  ApiTotals& t = account(partner).api[api];
  t.requests += nonNegative(requests);
  t.retries += nonNegative(retries);
  t.throttled += nonNegative(throttled);
  t.failed += nonNegative(failed);
}

void Metrics::setOutbox(const std::string& partner, int64_t queued, int64_t failed,
                        std::optional<Timestamp> oldest_queued) {
  std::lock_guard<std::mutex> lock(mu_);
  Account& a = account(partner);
  a.outbox_queued = queued;
  a.outbox_failed = failed;
  a.outbox_oldest_queued = oldest_queued;
}

void Metrics::addDeliveries(const std::string& partner, int64_t delivered, int64_t failed) {
  std::lock_guard<std::mutex> lock(mu_);
  Account& a = account(partner);
  a.mail_delivered += nonNegative(delivered);
  a.mail_failed += nonNegative(failed);
}

void Metrics::setSignInFailing(const std::string& partner, bool failing) {
  std::lock_guard<std::mutex> lock(mu_);
  account(partner).sign_in_failed = failing;
}

void Metrics::recordReload(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  ++(ok ? reloads_ok_ : reloads_error_);
}

std::optional<Timestamp> Metrics::lastSuccessfulScan(const std::string& partner) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = accounts_.find(partner);
  return it == accounts_.end() ? std::nullopt : it->second.last_success;
}

void Metrics::setLeaseHeld(const std::string& partner, bool held) {
  std::lock_guard<std::mutex> lock(mu_);
  account(partner).lease_held = held;  // the takeover counter exists from then on
}

void Metrics::recordTakeover(const std::string& partner) {
  std::lock_guard<std::mutex> lock(mu_);
  ++account(partner).lease_takeovers;
}

// One writer a group of families, each called with mu_ held, in the order of the families in
// metrics.h; every family's HELP and TYPE lines are written whether or not it has a sample.
std::string Metrics::prometheusText() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out.reserve(4096 * (1 + accounts_.size()));
  Family(out, "cspwatch_build_info", "gauge", "Always 1; the version of cspwatch running.")
      .sample({{"version", kVersion}}, int64_t{1});
  writeScanFamilies(out);
  writeLastAppliedFamilies(out);
  writeApiFamilies(out);
  writeMailFamilies(out);
  Family f(out, "cspwatch_config_reloads_total", "counter", "Configuration reloads, by result.");
  f.sample({{"result", "ok"}}, reloads_ok_);
  f.sample({{"result", "error"}}, reloads_error_);
  writeServiceFamilies(out);
  return out;
}

void Metrics::writeScanFamilies(std::string& out) const {
  {
    Family f(out, "cspwatch_scans_total", "counter", "Scans ended, by status.");
    for (const auto& [p, a] : accounts_)
      for (const auto& [status, n] : a.scans) f.sample({{"partner", p}, {"status", status}}, n);
  }
  {
    Family f(out, "cspwatch_scan_duration_seconds", "gauge",
             "How long the last scan took, whatever its status.");
    for (const auto& [p, a] : accounts_)
      if (a.last_duration) f.sample({{"partner", p}}, *a.last_duration);
  }
  {
    Family f(out, "cspwatch_last_scan_timestamp_seconds", "gauge",
             "When the last scan ended, whatever its status (Unix time).");
    for (const auto& [p, a] : accounts_)
      if (a.last_scan) f.sample({{"partner", p}}, toUnixSeconds(*a.last_scan));
  }
  Family f(out, "cspwatch_last_successful_scan_timestamp_seconds", "gauge",
           "When the last applied (completed or partial) scan ended (Unix time).");
  for (const auto& [p, a] : accounts_)
    if (a.last_success) f.sample({{"partner", p}}, toUnixSeconds(*a.last_success));
}

void Metrics::writeLastAppliedFamilies(std::string& out) const {
  {
    Family f(out, "cspwatch_tenants", "gauge",
             "Tenants of the last applied scan, by how much of them could be read.");
    for (const auto& [p, a] : accounts_) {
      if (!a.last_applied) continue;
      f.sample({{"partner", p}, {"read", "full"}}, int64_t{a.last_applied->tenants_full});
      f.sample({{"partner", p}, {"read", "partial"}}, int64_t{a.last_applied->tenants_partial});
      f.sample({{"partner", p}, {"read", "none"}}, int64_t{a.last_applied->tenants_unread});
    }
  }
  {
    Family f(out, "cspwatch_findings_open", "gauge", "Open findings, by rule and severity.");
    for (const auto& [p, a] : accounts_)
      if (a.open_findings)
        for (const auto& c : *a.open_findings)
          f.sample({{"partner", p}, {"rule", c.rule_id}, {"severity", c.severity}}, c.count);
  }
  Family f(out, "cspwatch_checks_unknown", "gauge",
           "Checks the last applied scan could not make (rule and tenant pairs).");
  for (const auto& [p, a] : accounts_)
    if (a.last_applied) f.sample({{"partner", p}}, int64_t{a.last_applied->checks_unknown});
}

void Metrics::writeApiFamilies(std::string& out) const {
  struct ApiFamily {
    const char* name;
    const char* help;
    int64_t ApiTotals::*count;
  };
  static const ApiFamily kApiFamilies[] = {
      {"cspwatch_api_requests_total", "HTTP requests sent to Microsoft APIs, retries included.",
       &ApiTotals::requests},
      {"cspwatch_api_retries_total", "Requests to Microsoft APIs that were retried.",
       &ApiTotals::retries},
      {"cspwatch_api_throttled_total", "Throttled answers (429) from Microsoft APIs.",
       &ApiTotals::throttled},
      {"cspwatch_api_failures_total", "Requests to Microsoft APIs that failed for good.",
       &ApiTotals::failed},
  };
  for (const ApiFamily& family : kApiFamilies) {
    Family f(out, family.name, "counter", family.help);
    for (const auto& [p, a] : accounts_)
      for (const auto& [api, t] : a.api) f.sample({{"partner", p}, {"api", api}}, t.*family.count);
  }
}

void Metrics::writeMailFamilies(std::string& out) const {
  struct MailFamily {
    const char* name;
    const char* type;
    const char* help;
    int64_t Account::*value;
  };
  static const MailFamily kMailFamilies[] = {
      {"cspwatch_outbox_queued", "gauge", "Messages waiting in the outbox.",
       &Account::outbox_queued},
      {"cspwatch_outbox_failed", "gauge", "Messages in the outbox given up on.",
       &Account::outbox_failed},
      {"cspwatch_mail_delivered_total", "counter", "Messages delivered.", &Account::mail_delivered},
      {"cspwatch_mail_failed_total", "counter", "Messages given up on.", &Account::mail_failed},
  };
  for (const MailFamily& family : kMailFamilies) {
    Family f(out, family.name, family.type, family.help);
    for (const auto& [p, a] : accounts_) f.sample({{"partner", p}}, a.*family.value);
  }
}

// The families added for the alerting rules (etc/prometheus/cspwatch.rules.yml), after the
// others so that the output of those stays as it was.
void Metrics::writeServiceFamilies(std::string& out) const {
  {
    Family f(out, "cspwatch_scan_interval_seconds", "gauge",
             "The time between scheduled scans (schedule.interval) in force.");
    for (const auto& [p, a] : accounts_)
      if (a.scan_interval)
        f.sample({{"partner", p}}, static_cast<int64_t>(a.scan_interval->count()));
  }
  {
    Family f(out, "cspwatch_start_timestamp_seconds", "gauge",
             "When the service started (Unix time).");
    if (started_) f.sample({}, toUnixSeconds(*started_));
  }
  {
    Family f(out, "cspwatch_sign_in_failing", "gauge",
             "1 when the last applied scan could not sign in as the partner user, else 0.");
    for (const auto& [p, a] : accounts_)
      if (a.sign_in_failed) f.sample({{"partner", p}}, int64_t{*a.sign_in_failed ? 1 : 0});
  }
  {
    Family f(out, "cspwatch_outbox_oldest_queued_timestamp_seconds", "gauge",
             "When the oldest message waiting in the outbox was queued (Unix time).");
    for (const auto& [p, a] : accounts_)
      if (a.outbox_oldest_queued)
        f.sample({{"partner", p}}, toUnixSeconds(*a.outbox_oldest_queued));
  }
  {
    Family f(out, "cspwatch_lease_held", "gauge",
             "1 while this instance holds the partner account's lease (it scans), 0 on standby.");
    for (const auto& [p, a] : accounts_)
      if (a.lease_held) f.sample({{"partner", p}}, int64_t{*a.lease_held ? 1 : 0});
  }
  Family f(out, "cspwatch_lease_takeovers_total", "counter",
           "Times this instance took the partner account's lease over from a holder that had "
           "stopped renewing.");
  for (const auto& [p, a] : accounts_)
    if (a.lease_held) f.sample({{"partner", p}}, a.lease_takeovers);
}

}  // namespace cspwatch::daemon
