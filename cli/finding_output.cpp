// SPDX-License-Identifier: Apache-2.0
#include "cli/finding_output.h"

#include <sstream>

#include <Poco/JSON/Array.h>

#include "cli/table.h"
#include "common/text.h"
#include "storage/states.h"

namespace cspwatch::cli {

namespace {

std::string optTime(const std::optional<Timestamp>& t) { return t ? formatTimestamp(*t) : ""; }

const std::vector<std::string> kCsvColumns = {"id",
                                              "rule",
                                              "tenant_id",
                                              "tenant_name",
                                              "subject",
                                              "state",
                                              "suppressed",
                                              "severity",
                                              "first_seen",
                                              "last_seen",
                                              "resolved_at",
                                              "resolved_reason",
                                              "times_reopened",
                                              "message",
                                              "remediation"};

}  // namespace

Poco::JSON::Object::Ptr jsonObject() {
  return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

Poco::JSON::Object::Ptr findingToJson(const storage::FindingRow& f) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("id", f.id);
  o->set("rule", f.rule_id);
  o->set("tenant_id", f.tenant_id);
  o->set("tenant_name", f.tenant_name);
  o->set("subject", f.subject);
  o->set("state", storage::findingStateName(f.state));
  o->set("suppressed", f.suppressed);
  o->set("severity", f.severity);
  o->set("first_seen", formatTimestamp(f.first_seen));
  o->set("last_seen",
         f.last_seen ? Poco::Dynamic::Var(formatTimestamp(*f.last_seen)) : Poco::Dynamic::Var());
  o->set("resolved_at", f.resolved_at ? Poco::Dynamic::Var(formatTimestamp(*f.resolved_at))
                                      : Poco::Dynamic::Var());
  o->set("resolved_reason",
         f.resolved_reason.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(f.resolved_reason));
  o->set("times_reopened", f.times_reopened);
  o->set("message", f.message);
  o->set("remediation", f.remediation);
  return o;
}

Poco::JSON::Array::Ptr notificationsToJson(const std::vector<storage::Notification>& list) {
  Poco::JSON::Array::Ptr out = new Poco::JSON::Array();
  for (const auto& n : list) {
    auto o = jsonObject();
    o->set("message_id", n.message_id);
    o->set("recipient", n.recipient);
    o->set("kind", n.kind);
    o->set("at", formatTimestamp(n.at));
    o->set("status", n.status
                         ? Poco::Dynamic::Var(std::string(storage::outboxStatusName(*n.status)))
                         : Poco::Dynamic::Var());
    o->set("sent_at",
           n.sent_at ? Poco::Dynamic::Var(formatTimestamp(*n.sent_at)) : Poco::Dynamic::Var());
    o->set("attempts", n.attempts);
    o->set("last_error",
           n.last_error.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(n.last_error));
    out->add(o);
  }
  return out;
}

void printNotifications(std::ostream& out, const std::vector<storage::Notification>& list) {
  if (list.empty()) {
    out << "notifications: none\n";
    return;
  }
  out << "notifications\n";
  Table t({{"AT", false, 20},
           {"KIND", false, 6},
           {"TO", true, 12},
           {"STATUS", false, 6},
           {"MESSAGE-ID", false, 20}});
  for (const auto& n : list)
    t.addRow({formatTimestamp(n.at), n.kind, n.recipient,
              n.status ? storage::outboxStatusName(*n.status) : "-", n.message_id});
  // Indented under its heading as the history is; only the TO column is ever cut: a Message-ID
  // is only of use whole.
  std::ostringstream table;
  t.print(table, tableWidth() == kNoWidthLimit ? kNoWidthLimit : tableWidth() - 2);
  for (const auto& line : split(table.str(), '\n'))
    if (!line.empty()) out << "  " << line << "\n";
}

Poco::JSON::Array::Ptr suppressionsToJson(const std::vector<storage::Suppression>& list) {
  auto opt = [](const std::optional<std::string>& v) {
    return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
  };
  Poco::JSON::Array::Ptr out = new Poco::JSON::Array();
  for (const auto& s : list) {
    auto j = jsonObject();
    j->set("id", s.id);
    j->set("reason", s.reason);
    j->set("owner", s.owner);
    j->set("ticket", opt(s.ticket));
    j->set("expires_at", formatTimestamp(s.expires_at));
    j->set("created_at", formatTimestamp(s.created_at));
    j->set("tenant_id", opt(s.tenant_id));
    j->set("tenant_tag", opt(s.tenant_tag));
    j->set("subject", opt(s.subject));
    out->add(j);
  }
  return out;
}

void printSuppressions(std::ostream& out, const std::vector<storage::Suppression>& list) {
  for (const auto& s : list)
    out << "suppressed   #" << s.id << " until " << formatTimestamp(s.expires_at) << ", owner "
        << s.owner << (s.ticket ? ", ticket " + *s.ticket : "") << ": " << s.reason << "\n";
}

void printFindingsTable(std::ostream& out, const std::vector<storage::FindingRow>& rows) {
  Table t({{"ID", false, 2},
           {"SEVERITY", false, 8},
           {"RULE", false, 10},
           {"TENANT", true, 14, 2},
           {"SUBJECT", true, 10, 1},
           {"STATE", false, 5},
           {"LAST SEEN", false, 10}});
  for (const auto& f : rows)
    t.addRow({std::to_string(f.id), f.severity, f.rule_id,
              f.tenant_name.empty() ? f.tenant_id : f.tenant_name, f.subject,
              f.suppressed ? "suppr." : storage::findingStateName(f.state),
              f.last_seen ? formatDate(*f.last_seen) : "-"});
  t.print(out);
}

std::string csvField(const std::string& value) {
  // Invisible characters are shown escaped, as in the table: a spreadsheet shows them as
  // nothing, and a right-to-left override reverses what follows it.
  std::string v = showInvisible(value);
  // Spreadsheets run cells that start like a formula; tenant data is not ours to run.
  if (!v.empty() &&
      (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r'))
    v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string quoted = "\"";
  for (char c : v) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

void printFindingsCsv(std::ostream& out, const std::vector<storage::FindingRow>& rows) {
  for (size_t i = 0; i < kCsvColumns.size(); ++i) out << (i ? "," : "") << kCsvColumns[i];
  out << "\r\n";
  for (const auto& f : rows) {
    const std::vector<std::string> cells = {std::to_string(f.id),
                                            f.rule_id,
                                            f.tenant_id,
                                            f.tenant_name,
                                            f.subject,
                                            storage::findingStateName(f.state),
                                            f.suppressed ? "true" : "false",
                                            f.severity,
                                            formatTimestamp(f.first_seen),
                                            optTime(f.last_seen),
                                            optTime(f.resolved_at),
                                            f.resolved_reason,
                                            std::to_string(f.times_reopened),
                                            f.message,
                                            f.remediation};
    for (size_t i = 0; i < cells.size(); ++i) out << (i ? "," : "") << csvField(cells[i]);
    out << "\r\n";
  }
}

}  // namespace cspwatch::cli
