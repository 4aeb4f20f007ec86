// SPDX-License-Identifier: Apache-2.0
// The 'alerts' section: the transport and sender, when mail is sent and retried, and then its
// routes and transport sections (read_alert_routes.cpp, read_alert_transports.cpp)
// (config/section_readers.h).
#include "alerts/mail_message.h"
#include "config/section_readers.h"
#include "rules/rule_set.h"

namespace cspwatch::config::detail {

namespace {

// transport, from, templates_dir: how mail goes out and who it is from.
void readSender(const ReadContext& ctx, YamlMap& m, AlertsConfig& a) {
  if (auto t = m.getString("transport")) {
    if (*t == "smtp")
      a.transport = alerts::TransportKind::kSmtp;
    else if (*t == "graph")
      a.transport = alerts::TransportKind::kGraph;
    else if (*t == "file")
      a.transport = alerts::TransportKind::kFile;
    else
      m.error("bad-value", m.valueLocation("transport"),
              "'transport' must be smtp, graph or file, found '" + *t + "'",
              hintFor(*t, {"smtp", "graph", "file"}));
  }
  if (auto f = m.getString("from", true)) {
    if (!alerts::bareAddress(*f))
      m.error("bad-value", m.valueLocation("from"), "'from' is not a mailbox: '" + *f + "'",
              "an address, or a name and an address: cspwatch <cspwatch@example.com>");
    a.from = *f;
  }
  if (auto d = m.getString("templates_dir")) a.templates_dir = ctx.path(*d);
}

// reminders: the waits between reminders of a finding still open, each at least an hour.
void readReminders(YamlMap& m, AlertsConfig& a) {
  if (!m.has("reminders")) return;
  auto list = m.getStringList("reminders");
  if (!list) return;
  a.reminders.clear();
  for (const auto& text : *list) {
    auto d = parseDuration(text);
    if (!d || d->count() < 3600)
      m.error("bad-value", m.valueLocation("reminders"),
              "'reminders' entries are durations of at least 1h, found '" + text + "'",
              "for example [1d, 2d, 4d, 7d]: each wait is longer the longer a finding stays "
              "open; the last repeats");
    else
      a.reminders.push_back(*d);
  }
  if (list->empty())
    m.error("bad-value", m.valueLocation("reminders"), "'reminders' is empty",
            "give at least one interval, e.g. [7d]");
}

// What a message holds and when it is sent: could-not-check and suppression notices, the
// severities sent at once, the items per section. `interval` is schedule.interval: by default a
// check must stay unknown for the time the scheduled scans of could_not_check_after_scans span.
void readContent(YamlMap& m, AlertsConfig& a, Seconds interval) {
  if (auto n = m.getInt("could_not_check_after_scans", 1, 1000))
    a.could_not_check_after_scans = static_cast<int>(*n);
  a.could_not_check_after_time = derivedCouldNotCheckTime(a, interval);
  if (auto d = m.getDuration("could_not_check_after_time")) a.could_not_check_after_time = *d;
  if (auto d = m.getDuration("suppression_notice")) a.suppression_notice = *d;
  if (auto list = m.getStringList("immediate_severities")) {
    for (const auto& s : *list)
      if (!rules::severityFromName(s))
        m.error("bad-value", m.valueLocation("immediate_severities"),
                "unknown severity '" + s + "'", hintFor(s, rules::severityNames()));
    a.immediate_severities = *list;
  }
  if (auto n = m.getInt("max_items_per_section", 1, 100000))
    a.max_items_per_section = static_cast<int>(*n);
}

// retry_first, retry_max, give_up_after: how a refused message is retried.
void readRetries(YamlMap& m, AlertsConfig& a) {
  if (auto d = m.getDuration("retry_first")) {
    if (d->count() < 1)
      m.error("bad-value", m.valueLocation("retry_first"), "'retry_first' must be at least 1s",
              "60s is the default: a mail server that refused just now needs a moment");
    else
      a.retry_first = *d;
  }
  if (auto d = m.getDuration("retry_max")) {
    if (*d < a.retry_first)
      m.error("bad-value", m.valueLocation("retry_max"),
              "'retry_max' must be at least 'retry_first' (" + formatDuration(a.retry_first) + ")");
    else
      a.retry_max = *d;
  }
  if (auto d = m.getDuration("give_up_after")) a.give_up_after = *d;
}

// retention: how long sent bodies and the history of findings no longer open are kept.
void readRetention(YamlMap& m, AlertsConfig& a) {
  auto d = m.getDuration("retention");
  if (!d) return;
  if (d->count() < 24 * 3600)
    m.error("bad-value", m.valueLocation("retention"),
            "'retention' must be at least 1d, found '" + formatDuration(*d) + "'",
            "90d is the default: sent messages' bodies and the history of findings no longer "
            "open are kept this long");
  else
    a.retention = *d;
}

}  // namespace

const std::vector<std::string> kAlertsSharedKeys = {"transport",
                                                    "from",
                                                    "templates_dir",
                                                    "reminders",
                                                    "could_not_check_after_scans",
                                                    "could_not_check_after_time",
                                                    "suppression_notice",
                                                    "immediate_severities",
                                                    "retry_first",
                                                    "retry_max",
                                                    "give_up_after",
                                                    "max_items_per_section",
                                                    "retention",
                                                    "smtp",
                                                    "graph",
                                                    "file"};

Seconds derivedCouldNotCheckTime(const AlertsConfig& a, Seconds interval) {
  return (a.could_not_check_after_scans - 1) * interval;
}

void readAlerts(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'alerts'", parent);
  if (!m.valid()) return;
  std::vector<std::string> keys = kAlertsSharedKeys;
  keys.insert(keys.begin() + 3, "routes");  // after templates_dir, as docs/configuration.md
  m.checkKeys(keys);
  AlertsConfig a;
  readSender(ctx, m, a);
  readReminders(m, a);
  readContent(m, a, cfg.schedule_interval);
  cfg.could_not_check_after_time_written = m.has("could_not_check_after_time");
  readRetries(m, a);
  readRetention(m, a);
  if (m.has("routes"))
    readRoutes(ctx, m.get("routes"), m, a);
  else
    m.error("missing-key", m.location(), "section 'alerts' has no 'routes'",
            "add routes with 'to' addresses, one of them 'default: true'");
  readTransports(ctx, m, node, cfg, a);
  if (a.smtp.envelope_from.empty()) a.smtp.envelope_from = alerts::bareAddress(a.from).value_or("");
  cfg.alerts = std::move(a);
}

}  // namespace cspwatch::config::detail
