// SPDX-License-Identifier: Apache-2.0
// The `alerts` section of the configuration (docs/alerts.md) as alerts/ and the scan's alert
// pipeline use it: sender, templates, reminders, routes, retries and the transport's settings.
// config/ reads it from cspwatch.yaml. Plain data.
#pragma once

#include <string>
#include <vector>

#include "alerts/digest.h"
#include "alerts/smtp_transport.h"
#include "common/time.h"

namespace cspwatch::alerts {

// alerts.transport: how finished messages leave.
enum class TransportKind { kSmtp, kGraph, kFile };

// The name the configuration uses: "smtp", "graph" or "file".
inline const char* transportName(TransportKind kind) {
  switch (kind) {
    case TransportKind::kSmtp:
      return "smtp";
    case TransportKind::kGraph:
      return "graph";
    case TransportKind::kFile:
      break;
  }
  return "file";
}

// alerts.smtp (docs/alerts.md#smtp).
struct SmtpConfig {
  std::string host;
  int port = 587;                    // default by tls: starttls 587, implicit 465, none 25
  SmtpTls tls = SmtpTls::kStartTls;  // tls: starttls, implicit, none (none: loopback only)
  std::string username;              // empty: no AUTH
  std::string password_file;
  std::string ca_file;        // extra CA certificates to trust (a private CA)
  std::string envelope_from;  // MAIL FROM; default: the address in alerts.from
  Seconds timeout = Seconds(30);
};

// The `alerts` section (docs/alerts.md). Present only when configured.
struct AlertsConfig {
  TransportKind transport = TransportKind::kFile;  // transport: smtp, graph, file
  std::string from;                                // "cspwatch <cspwatch@example.com>"
  std::string templates_dir = "/etc/cspwatch/templates";
  std::vector<Seconds> reminders = {std::chrono::hours(24), std::chrono::hours(48),
                                    std::chrono::hours(96), std::chrono::hours(168)};
  int could_not_check_after_scans = 2;
  // And the time the streak must have lasted, from its first scan to this one (a tenth early
  // still counts), so that a `scan --now` minutes after a scheduled scan does not report a check
  // as unknown. config/ sets (could_not_check_after_scans - 1) x schedule.interval when the
  // configuration does not say; 0 here counts scans alone.
  Seconds could_not_check_after_time = Seconds(0);
  Seconds suppression_notice = std::chrono::hours(24 * 7);
  std::vector<std::string> immediate_severities = {"critical"};
  int max_items_per_section = 200;  // per message; the rest is counted, not listed
  Seconds retry_first = Seconds(60);
  Seconds retry_max = Seconds(3600);
  Seconds give_up_after = std::chrono::hours(24);
  // What is older than this is pruned after each scan: sent messages' bodies, and reminder and
  // notification rows of findings no longer open (storage/retention.h).
  Seconds retention = std::chrono::hours(24 * 90);
  std::vector<alerts::Route> routes;
  SmtpConfig smtp;
  std::string graph_mailbox;  // alerts.graph.mailbox
  std::string file_dir = "/var/lib/cspwatch/mail";
};

}  // namespace cspwatch::alerts
