// SPDX-License-Identifier: Apache-2.0
// alerts.smtp, alerts.graph and alerts.file: the settings of each mail transport, and whether
// the one chosen in alerts.transport has what it needs (config/section_readers.h).
#include "alerts/mail_message.h"
#include "common/net_util.h"
#include "config/section_readers.h"

namespace cspwatch::config::detail {

namespace {

// tls, and the port it implies unless one is given; 'tls: none' only to a loopback host.
void readSmtpConnection(YamlMap& m, SmtpConfig& s) {
  if (auto t = m.getString("tls")) {
    if (*t == "starttls")
      s.tls = alerts::SmtpTls::kStartTls;
    else if (*t == "implicit")
      s.tls = alerts::SmtpTls::kImplicit;
    else if (*t == "none")
      s.tls = alerts::SmtpTls::kNone;
    else
      m.error("bad-value", m.valueLocation("tls"),
              "'tls' must be starttls, implicit or none, found '" + *t + "'",
              "starttls on port 587 is usual; implicit on 465");
  }
  s.port = s.tls == alerts::SmtpTls::kImplicit ? 465 : s.tls == alerts::SmtpTls::kNone ? 25 : 587;
  if (auto p = m.getInt("port", 1, 65535)) s.port = static_cast<int>(*p);
  if (s.tls == alerts::SmtpTls::kNone && !s.host.empty() && !isLoopbackHost(s.host))
    m.error("bad-value", m.valueLocation("tls"),
            "'tls: none' sends mail (and any password) in the clear; it is only allowed to a "
            "loopback address, not to " +
                s.host,
            "use starttls (port 587) or implicit (port 465)");
}

void readSmtp(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
              SmtpConfig& s) {
  YamlMap m = ctx.map(node, "section 'alerts.smtp'", parent);
  if (!m.valid()) return;
  m.checkKeys(
      {"host", "port", "tls", "username", "password_file", "ca_file", "envelope_from", "timeout"},
      {"password"});
  s.host = m.getString("host", true).value_or("");
  readSmtpConnection(m, s);
  s.username = m.getString("username").value_or("");
  s.password_file = secretPath(ctx.path(m.getString("password_file").value_or("")));
  if (!s.username.empty() && s.password_file.empty())
    m.error("missing-key", m.keyLocation("username"), "'username' needs 'password_file'",
            "put the password in a file readable only by cspwatch and name it here");
  s.ca_file = ctx.path(m.getString("ca_file").value_or(""));
  if (auto e = m.getString("envelope_from")) {
    if (!alerts::isMailAddress(*e))
      m.error("bad-value", m.valueLocation("envelope_from"),
              "'envelope_from' is not an email address: '" + *e + "'");
    else
      s.envelope_from = *e;
  }
  if (auto d = m.getDuration("timeout")) s.timeout = *d;
}

void readGraph(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
               AlertsConfig& a) {
  YamlMap g = ctx.map(node, "section 'alerts.graph'", parent);
  if (!g.valid()) return;
  g.checkKeys({"mailbox"});
  if (auto mb = g.getString("mailbox", true)) {
    if (!alerts::isMailAddress(*mb))
      g.error("bad-value", g.valueLocation("mailbox"),
              "'mailbox' must be the sending mailbox's address, found '" + *mb + "'");
    a.graph_mailbox = *mb;
  }
}

void readFile(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
              AlertsConfig& a) {
  YamlMap f = ctx.map(node, "section 'alerts.file'", parent);
  if (!f.valid()) return;
  f.checkKeys({"dir"});
  if (auto d = f.getString("dir", true)) a.file_dir = ctx.path(*d);
}

// 'transport: graph' sends with a confidential sources.partner_center app: `pc` is the
// account's, `account` names it in messages ("" for the one configured at the top level).
void checkGraphApp(YamlMap& m, const std::optional<PartnerCenterConfig>& pc,
                   const std::string& account) {
  if (!pc)
    m.error("missing-key", m.valueLocation("transport"),
            "'transport: graph' sends with the app of sources.partner_center, which " +
                (account.empty() ? "is not configured" : account + " does not configure"),
            "configure sources.partner_center" +
                std::string(account.empty() ? "" : " in every entry of 'partners'") +
                ", or use smtp");
  else if (pc->public_client)
    m.error(
        "bad-value", m.valueLocation("transport"),
        "'transport: graph' sends with the application permission Mail.Send, which a "
        "public client (" +
            (account.empty() ? "sources.partner_center.public_client)"
                             : "sources.partner_center.public_client, as " + account + " has)") +
            " cannot hold",
        "use smtp, or a confidential app registration");
}

// smtp needs its section; graph needs its section and, for every partner account (each sends
// its own mail), a confidential sources.partner_center app, whose application permission
// Mail.Send it sends with.
void checkTransportNeeds(YamlMap& m, const AppConfig& cfg, const AlertsConfig& a) {
  if (a.transport == alerts::TransportKind::kSmtp && !m.has("smtp"))
    m.error("missing-key", m.valueLocation("transport"),
            "'transport: smtp' needs an 'smtp' section",
            "host, port, tls, username, password_file");
  if (a.transport != alerts::TransportKind::kGraph) return;
  if (!m.has("graph"))
    m.error("missing-key", m.valueLocation("transport"),
            "'transport: graph' needs a 'graph' section with the sending 'mailbox'");
  if (cfg.partners.empty()) checkGraphApp(m, cfg.partner_center, "");
  for (const PartnerAccount& p : cfg.partners)
    checkGraphApp(m, p.partner_center,
                  "partner '" + p.name + "' (line " + std::to_string(p.at.line) + ")");
}

}  // namespace

void readTransports(const ReadContext& ctx, YamlMap& alerts, const YAML::Node& alerts_node,
                    const AppConfig& cfg, AlertsConfig& a) {
  if (alerts.has("smtp")) readSmtp(ctx, alerts.get("smtp"), alerts_node, a.smtp);
  if (alerts.has("graph")) readGraph(ctx, alerts.get("graph"), alerts_node, a);
  if (alerts.has("file")) readFile(ctx, alerts.get("file"), alerts_node, a);
  checkTransportNeeds(alerts, cfg, a);
}

}  // namespace cspwatch::config::detail
