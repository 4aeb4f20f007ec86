// SPDX-License-Identifier: Apache-2.0
#include "config/app_config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

#include "alerts/mail_message.h"
#include "alerts/templates.h"
#include "common/file_util.h"
#include "common/net_util.h"
#include "common/text.h"
#include "common/yaml_util.h"
#include "msapi/cloud.h"
#include "rules/rule_set.h"

namespace cspwatch::config {

namespace {

constexpr const char* kPrefix = "config";

std::string resolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

// Checks a base URL: https, or http to a loopback address (the simulator, tests).
void checkUrl(YamlMap& m, const std::string& key, const std::string& url) {
  std::string rest;
  bool https = startsWith(url, "https://"), http = startsWith(url, "http://");
  if (!https && !http) {
    m.error("bad-value", m.valueLocation(key),
            "'" + key + "' must be an https:// URL, found '" + url + "'");
    return;
  }
  rest = url.substr(https ? 8 : 7);
  std::string host = rest.substr(0, rest.find_first_of("/"));
  if (host.rfind(':') != std::string::npos && host.back() != ']')
    host = host.substr(0, host.rfind(':'));
  if (host.empty()) {
    m.error("bad-value", m.valueLocation(key), "'" + key + "' has no host: '" + url + "'");
  } else if (http && !isLoopbackHost(host)) {
    m.error("bad-value", m.valueLocation(key),
            "'" + key + "' uses plain http to " + host +
                "; only https is allowed except to a loopback address",
            "use https://");
  }
}

void readPartner(const YAML::Node& node, const std::string& file, Diagnostics& diags,
                 AppConfig& cfg, const YAML::Node& parent) {
  YamlMap m(node, file, kPrefix, "section 'partner'", diags, parent);
  if (!m.valid()) return;
  m.checkKeys({"name", "tenant_id", "mpn_ids", "distributor_tenant_ids",
               "trusted_partner_tenant_ids", "email_domains"});
  PartnerIdentity& p = cfg.partner;
  p.name = m.getString("name", true).value_or("");
  p.tenant_id = m.getGuid("tenant_id", true).value_or("");
  p.mpn_ids = m.getStringList("mpn_ids").value_or(std::vector<std::string>{});
  p.distributor_tenant_ids =
      m.getGuidList("distributor_tenant_ids").value_or(std::vector<std::string>{});
  p.trusted_partner_tenant_ids =
      m.getGuidList("trusted_partner_tenant_ids").value_or(std::vector<std::string>{});
  auto domains = m.getStringList("email_domains", true);
  if (domains) {
    YAML::Node list = m.get("email_domains");
    size_t i = 0;
    for (const auto& d : *domains) {
      YAML::Node item = list[i++];
      std::string lowered = toLowerAscii(trim(d));
      if (lowered.find('.') == std::string::npos || lowered.find('@') != std::string::npos ||
          lowered.find(' ') != std::string::npos) {
        m.error("bad-value", locationFromMark(file, item.Mark()),
                "'" + d + "' is not a mail domain", "write the part after '@', e.g. contoso.com");
        continue;
      }
      p.email_domains.push_back(lowered);
    }
    if (domains->empty())
      m.error("bad-value", m.valueLocation("email_domains"),
              "'email_domains' must name at least one domain whose mail we control");
  }
}

void readPartnerCenter(const YAML::Node& node, const std::string& file, const std::string& base_dir,
                       Diagnostics& diags, AppConfig& cfg, const YAML::Node& parent) {
  YamlMap m(node, file, kPrefix, "section 'sources.partner_center'", diags, parent);
  if (!m.valid()) return;
  m.checkKeys(
      {"cloud", "login_url", "partner_center_url", "graph_url", "client_id", "public_client",
       "client_secret_file", "client_certificate_file", "client_key_file", "refresh_token_file",
       "concurrency", "retry_backoff_ms", "pc_requests_per_minute", "graph_requests_per_10s"},
      {"client_secret", "refresh_token", "password"});
  PartnerCenterConfig pc;
  if (auto cloud = m.getString("cloud")) {
    if (auto endpoints = msapi::cloudEndpoints(*cloud)) {
      pc.cloud = *cloud;
      pc.login_url = endpoints->login;
      pc.partner_center_url = endpoints->partner_center;
      pc.graph_url = endpoints->graph;
    } else {
      m.error(
          "bad-value", m.valueLocation("cloud"),
          "'cloud' must be one of " + join(msapi::cloudNames(), ", ") + ", found '" + *cloud + "'",
          didYouMean(*cloud, msapi::cloudNames()));
    }
  }
  for (auto [key, target] : {std::pair<const char*, std::string*>{"login_url", &pc.login_url},
                             {"partner_center_url", &pc.partner_center_url},
                             {"graph_url", &pc.graph_url}}) {
    if (auto v = m.getString(key)) {
      std::string url = *v;
      while (!url.empty() && url.back() == '/') url.pop_back();
      checkUrl(m, key, url);
      *target = url;
    }
  }
  pc.client_id = m.getGuid("client_id", true).value_or("");
  pc.client_secret_file =
      secretPath(resolvePath(base_dir, m.getString("client_secret_file").value_or("")));
  pc.refresh_token_file = resolvePath(base_dir, m.getString("refresh_token_file").value_or(""));
  pc.client_certificate_file =
      secretPath(resolvePath(base_dir, m.getString("client_certificate_file").value_or("")));
  pc.client_key_file =
      secretPath(resolvePath(base_dir, m.getString("client_key_file").value_or("")));
  if (pc.client_certificate_file.empty() != pc.client_key_file.empty())
    m.error("missing-key", m.location(), "client_certificate_file and client_key_file go together",
            "give both, or neither and a client secret");
  pc.public_client = m.getBool("public_client").value_or(false);
  if (pc.public_client && (m.has("client_secret_file") || m.has("client_certificate_file")))
    m.error("bad-value",
            m.keyLocation(m.has("client_secret_file") ? "client_secret_file"
                                                      : "client_certificate_file"),
            "a public client presents no secret or certificate, and Entra refuses one that does "
            "(AADSTS700025)",
            "remove it, or set public_client: false for a confidential app (the Secure "
            "Application Model)");
  if (pc.public_client && pc.refresh_token_file.empty())
    m.error("missing-key", m.location(),
            "a public client signs in only as the partner user: 'refresh_token_file' is required",
            "run 'cspwatch auth login' to create it");
  if (auto n = m.getInt("concurrency", 1, 64)) pc.concurrency = static_cast<int>(*n);
  if (auto n = m.getInt("retry_backoff_ms", 10, 60000))
    pc.backoff_base = std::chrono::milliseconds(*n);
  if (auto n = m.getInt("pc_requests_per_minute", 1, 1000000))
    pc.pc_requests_per_minute = static_cast<double>(*n);
  if (auto n = m.getInt("graph_requests_per_10s", 1, 1000000))
    pc.graph_requests_per_10s = static_cast<double>(*n);
  cfg.partner_center = pc;
}

void readSources(const YAML::Node& node, const std::string& file, const std::string& base_dir,
                 Diagnostics& diags, AppConfig& cfg, const YAML::Node& parent) {
  YamlMap m(node, file, kPrefix, "section 'sources'", diags, parent);
  if (!m.valid()) return;
  m.checkKeys({"partner_center", "inventory"});
  if (m.has("partner_center"))
    readPartnerCenter(m.get("partner_center"), file, base_dir, diags, cfg, node);
  if (m.has("inventory")) {
    YamlMap inv(m.get("inventory"), file, kPrefix, "section 'sources.inventory'", diags, node);
    if (inv.valid()) {
      inv.checkKeys({"path"});
      if (auto p = inv.getString("path", true))
        cfg.inventory = InventoryConfig{resolvePath(base_dir, *p)};
    }
  }
  if (!m.has("partner_center") && !m.has("inventory"))
    m.error("missing-key", m.location(), "no source configured",
            "add 'partner_center' (the live data) and/or 'inventory' (the distributor export)");
}

// "did you mean 'x'? (one of: a, b, c)" or just the list.
std::string hintFor(const std::string& word, const std::vector<std::string>& choices) {
  std::string dym = didYouMean(word, choices);
  return (dym.empty() ? "" : dym + " ") + "(one of: " + join(choices, ", ") + ")";
}

void readSmtp(const YAML::Node& node, const std::string& file, const std::string& base_dir,
              Diagnostics& diags, AlertsConfig& a, const YAML::Node& parent) {
  YamlMap m(node, file, kPrefix, "section 'alerts.smtp'", diags, parent);
  if (!m.valid()) return;
  m.checkKeys(
      {"host", "port", "tls", "username", "password_file", "ca_file", "envelope_from", "timeout"},
      {"password"});
  SmtpConfig& s = a.smtp;
  s.host = m.getString("host", true).value_or("");
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
  s.username = m.getString("username").value_or("");
  s.password_file = secretPath(resolvePath(base_dir, m.getString("password_file").value_or("")));
  if (!s.username.empty() && s.password_file.empty())
    m.error("missing-key", m.keyLocation("username"), "'username' needs 'password_file'",
            "put the password in a file readable only by cspwatch and name it here");
  s.ca_file = resolvePath(base_dir, m.getString("ca_file").value_or(""));
  if (auto e = m.getString("envelope_from")) {
    if (!alerts::isMailAddress(*e))
      m.error("bad-value", m.valueLocation("envelope_from"),
              "'envelope_from' is not an email address: '" + *e + "'");
    else
      s.envelope_from = *e;
  }
  if (auto d = m.getDuration("timeout")) s.timeout = *d;
}

void readRoutes(const YAML::Node& node, const std::string& file, Diagnostics& diags,
                AlertsConfig& a, YamlMap& parent) {
  if (!node.IsSequence() || node.size() == 0) {
    parent.error("bad-type", parent.valueLocation("routes"),
                 "'routes' must be a non-empty list of routes",
                 "at least one route with 'to' and 'default: true'");
    return;
  }
  bool have_default = false;
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string where = "alerts.routes[" + std::to_string(i) + "]";
    YamlMap m(node[i], file, kPrefix, "route " + where, diags, node);
    if (!m.valid()) continue;
    m.checkKeys({"name", "to", "match", "sections", "default"});
    alerts::Route r;
    r.name = m.getString("name").value_or(where);
    if (auto to = m.getStringList("to", true)) {
      for (const auto& addr : *to)
        if (!alerts::isMailAddress(addr))
          m.error("bad-value", m.valueLocation("to"), "not an email address: '" + addr + "'");
      r.to = *to;
      if (to->empty())
        m.error("bad-value", m.valueLocation("to"), "'to' names nobody",
                "list at least one address");
    }
    r.is_default = m.getBool("default").value_or(false);
    have_default = have_default || r.is_default;
    if (auto secs = m.getStringList("sections")) {
      r.sections.clear();
      for (const auto& s : *secs) {
        if (auto sec = alerts::sectionFromName(s))
          r.sections.push_back(*sec);
        else
          m.error("bad-value", m.valueLocation("sections"), "unknown section '" + s + "'",
                  hintFor(s, alerts::sectionNames()));
      }
    }
    if (m.has("match") && r.is_default) {
      m.error("bad-value", m.keyLocation("match"),
              "route '" + r.name + "' is the default route and has a 'match'",
              "the default route takes whatever no other route took; drop 'match' here, or "
              "'default: true' and add another route as the default");
    } else if (m.has("match")) {
      YamlMap mm(m.get("match"), file, kPrefix, "match of route " + where, diags, node[i]);
      if (mm.valid()) {
        mm.checkKeys({"severities", "rules", "rule_tags", "tenant_tags"});
        r.match.severities = mm.getStringList("severities").value_or(std::vector<std::string>{});
        for (const auto& s : r.match.severities)
          if (!rules::severityFromName(s))
            mm.error("bad-value", mm.valueLocation("severities"), "unknown severity '" + s + "'",
                     hintFor(s, rules::severityNames()));
        r.match.rules = mm.getStringList("rules").value_or(std::vector<std::string>{});
        r.match.rule_tags = mm.getStringList("rule_tags").value_or(std::vector<std::string>{});
        r.match.tenant_tags = mm.getStringList("tenant_tags").value_or(std::vector<std::string>{});
      }
    } else if (!r.is_default) {
      m.error("missing-key", m.location(), "route '" + r.name + "' has no 'match'",
              "add a 'match' (severities, rules, rule_tags, tenant_tags) or mark it 'default: "
              "true'");
    }
    a.routes.push_back(std::move(r));
  }
  if (!have_default)
    parent.error("missing-key", parent.valueLocation("routes"),
                 "no default route: findings no route matches would never be sent",
                 "mark one route 'default: true'");
}

void readAlerts(const YAML::Node& node, const std::string& file, const std::string& base_dir,
                Diagnostics& diags, AppConfig& cfg, const YAML::Node& parent) {
  YamlMap m(node, file, kPrefix, "section 'alerts'", diags, parent);
  if (!m.valid()) return;
  m.checkKeys({"transport", "from", "templates_dir", "routes", "reminders",
               "could_not_check_after_scans", "suppression_notice", "immediate_severities",
               "retry_first", "retry_max", "give_up_after", "max_items_per_section", "smtp",
               "graph", "file"});
  AlertsConfig a;
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
  if (auto d = m.getString("templates_dir")) a.templates_dir = resolvePath(base_dir, *d);
  if (m.has("reminders")) {
    if (auto list = m.getStringList("reminders")) {
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
  }
  if (auto n = m.getInt("could_not_check_after_scans", 1, 1000))
    a.could_not_check_after_scans = static_cast<int>(*n);
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
  if (m.has("routes"))
    readRoutes(m.get("routes"), file, diags, a, m);
  else
    m.error("missing-key", m.location(), "section 'alerts' has no 'routes'",
            "add routes with 'to' addresses, one of them 'default: true'");
  if (m.has("smtp")) readSmtp(m.get("smtp"), file, base_dir, diags, a, node);
  if (m.has("graph")) {
    YamlMap g(m.get("graph"), file, kPrefix, "section 'alerts.graph'", diags, node);
    if (g.valid()) {
      g.checkKeys({"mailbox"});
      if (auto mb = g.getString("mailbox", true)) {
        if (!alerts::isMailAddress(*mb))
          g.error("bad-value", g.valueLocation("mailbox"),
                  "'mailbox' must be the sending mailbox's address, found '" + *mb + "'");
        a.graph_mailbox = *mb;
      }
    }
  }
  if (m.has("file")) {
    YamlMap f(m.get("file"), file, kPrefix, "section 'alerts.file'", diags, node);
    if (f.valid()) {
      f.checkKeys({"dir"});
      if (auto d = f.getString("dir", true)) a.file_dir = resolvePath(base_dir, *d);
    }
  }
  if (a.transport == alerts::TransportKind::kSmtp && !m.has("smtp"))
    m.error("missing-key", m.valueLocation("transport"),
            "'transport: smtp' needs an 'smtp' section",
            "host, port, tls, username, password_file");
  if (a.transport == alerts::TransportKind::kGraph) {
    if (!m.has("graph"))
      m.error("missing-key", m.valueLocation("transport"),
              "'transport: graph' needs a 'graph' section with the sending 'mailbox'");
    if (!cfg.partner_center)
      m.error("missing-key", m.valueLocation("transport"),
              "'transport: graph' sends with the app of sources.partner_center, which is not "
              "configured",
              "configure sources.partner_center, or use smtp");
    else if (cfg.partner_center->public_client)
      m.error("bad-value", m.valueLocation("transport"),
              "'transport: graph' sends with the application permission Mail.Send, which a "
              "public client (sources.partner_center.public_client) cannot hold",
              "use smtp, or a confidential app registration");
  }
  if (a.smtp.envelope_from.empty()) a.smtp.envelope_from = alerts::bareAddress(a.from).value_or("");
  cfg.alerts = std::move(a);
}

}  // namespace

std::optional<PartnerIdentity> readPartnerSection(const YAML::Node& node, const std::string& file,
                                                  Diagnostics& diags) {
  const size_t errors = diags.errorCount();
  AppConfig cfg;
  readPartner(node, file, diags, cfg, node);
  if (diags.errorCount() != errors) return std::nullopt;
  return cfg.partner;
}

std::optional<AppConfig> parseConfig(const std::string& text, const std::string& file,
                                     const std::string& base_dir, Diagnostics& diags) {
  const size_t errors_before = diags.errorCount();
  auto doc = parseYamlDocument(file, text, kPrefix, diags);
  if (!doc) return std::nullopt;
  AppConfig cfg;
  cfg.file = file;
  if (doc->IsNull()) {  // empty, or only comments
    diags.error("config.missing-key", {file, 1, 1}, "the file holds no settings",
                "it needs at least the sections 'partner' and 'sources' (docs/configuration.md)");
    return std::nullopt;
  }
  YamlMap top(*doc, file, kPrefix, "", diags);
  if (!top.valid()) return std::nullopt;
  top.checkKeys({"partner", "sources", "storage", "rules", "schedule", "alerts", "http", "network",
                 "logging"});

  if (top.has("partner"))
    readPartner(top.get("partner"), file, diags, cfg, *doc);
  else
    top.error("missing-key", top.location(), "required section 'partner' is missing",
              "it names your company: name, tenant_id, email_domains");
  if (top.has("sources"))
    readSources(top.get("sources"), file, base_dir, diags, cfg, *doc);
  else
    top.error("missing-key", top.location(), "required section 'sources' is missing");

  if (top.has("storage")) {
    YamlMap m(top.get("storage"), file, kPrefix, "section 'storage'", diags, *doc);
    m.checkKeys({"path", "tenant_gone_after_scans", "max_suppression"});
    if (auto p = m.getString("path")) cfg.storage_path = resolvePath(base_dir, *p);
    if (auto n = m.getInt("tenant_gone_after_scans", 1, 1000))
      cfg.tenant_gone_after_scans = static_cast<int>(*n);
    if (auto d = m.getDuration("max_suppression")) {
      if (*d < std::chrono::hours(24) || *d > std::chrono::hours(24 * 366))
        m.error("bad-value", m.valueLocation("max_suppression"),
                "'max_suppression' must be between 1d and 366d, found '" + formatDuration(*d) + "'",
                "suppressions must expire so that someone reviews them; 90d is the default");
      else
        cfg.max_suppression = *d;
    }
  }
  if (top.has("rules")) {
    YamlMap m(top.get("rules"), file, kPrefix, "section 'rules'", diags, *doc);
    m.checkKeys({"paths", "max_steps_per_tenant"});
    if (auto paths = m.getStringList("paths")) {
      cfg.rule_paths.clear();
      for (const auto& p : *paths) cfg.rule_paths.push_back(resolvePath(base_dir, p));
    }
    // From a thousand (the default pack needs a few hundred) to a billion (about a minute).
    if (auto n = m.getInt("max_steps_per_tenant", 1000, 1000000000)) cfg.rules_max_steps = *n;
  }
  if (top.has("schedule")) {
    YamlMap m(top.get("schedule"), file, kPrefix, "section 'schedule'", diags, *doc);
    m.checkKeys({"interval"});
    if (auto d = m.getDuration("interval")) {
      if (*d < std::chrono::minutes(5))
        m.error("bad-value", m.valueLocation("interval"),
                "'interval' must be at least 5m, found '" + formatDuration(*d) + "'",
                "Partner Center throttles frequent full scans; 1h to 24h is typical");
      else
        cfg.schedule_interval = *d;
    }
  }
  if (top.has("http")) {
    YamlMap m(top.get("http"), file, kPrefix, "section 'http'", diags, *doc);
    m.checkKeys({"enabled", "listen", "token_file"}, {"token"});
    if (auto e = m.getBool("enabled")) cfg.http.enabled = *e;
    if (auto l = m.getString("listen")) {
      if (auto parsed = parseListenAddress(*l); !parsed)
        m.error("bad-value", m.valueLocation("listen"), parsed.status().message(),
                "127.0.0.1:9807 is the default");
      else
        cfg.http.listen = *l;
    }
    cfg.http.token_file = secretPath(resolvePath(base_dir, m.getString("token_file").value_or("")));
    auto where = parseListenAddress(cfg.http.listen);
    if (cfg.http.enabled && where && !isLoopbackHost(where->host) && cfg.http.token_file.empty())
      m.error("missing-key", m.location(),
              "'listen' is not a loopback address, so 'token_file' is required",
              "metrics and the scan trigger must not be open to the network without a token");
  }
  if (top.has("network")) {
    YamlMap m(top.get("network"), file, kPrefix, "section 'network'", diags, *doc);
    m.checkKeys({"proxy", "no_proxy", "ca_file"});
    if (auto proxy = m.getString("proxy")) {
      if (!startsWith(*proxy, "http://") || proxy->size() <= 7)
        m.error("bad-value", m.valueLocation("proxy"),
                "'proxy' must be an http:// URL such as http://proxy.example.com:3128, found '" +
                    abbreviate(*proxy, 80) + "'",
                "HTTPS goes through the proxy as a CONNECT tunnel, so the proxy URL itself is "
                "http://");
      else
        cfg.network.proxy = *proxy;
    }
    cfg.network.no_proxy = m.getStringList("no_proxy").value_or(std::vector<std::string>{});
    cfg.network.ca_file = resolvePath(base_dir, m.getString("ca_file").value_or(""));
  }
  if (top.has("logging")) {
    YamlMap m(top.get("logging"), file, kPrefix, "section 'logging'", diags, *doc);
    m.checkKeys({"format"});
    if (auto f = m.getString("format")) {
      if (*f != "text" && *f != "json")
        m.error("bad-value", m.valueLocation("format"), "'format' must be text or json",
                "text suits the journal; json gives one JSON object per line");
      else
        cfg.log_format = *f;
    }
  }
  if (top.has("alerts") && !top.get("alerts").IsNull())
    readAlerts(top.get("alerts"), file, base_dir, diags, cfg, *doc);
  if (diags.errorCount() != errors_before) return std::nullopt;
  return cfg;
}

std::string secretPath(const std::string& path) {
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (path.empty() || dir == nullptr || *dir == '\0') return path;
  // LoadCredential=cspwatch:/etc/cspwatch/credentials (a directory, as the shipped unit does)
  // names each file's credential "cspwatch_<file name>"; a single-file LoadCredential= names
  // it as the operator chose, usually the file name.
  if (path.empty() || dir[0] != '/') return path;
  const std::string base = path.substr(path.rfind('/') + 1);
  // A file below the shipped directory keeps its sub-path in the name ("pc/key.pem" becomes
  // cspwatch_pc_key.pem), as systemd names the files of a LoadCredential= directory.
  std::string nested = base;
  const std::string shipped = "/etc/cspwatch/credentials/";
  if (path.compare(0, shipped.size(), shipped) == 0) {
    nested = path.substr(shipped.size());
    for (char& c : nested)
      if (c == '/') c = '_';
  }
  for (const std::string& name : {base, "cspwatch_" + nested}) {
    const std::string candidate = std::string(dir) + "/" + name;
    if (::access(candidate.c_str(), R_OK) == 0) return candidate;
  }
  return path;
}

std::optional<AppConfig> loadConfig(const std::string& path, Diagnostics& diags) {
  auto text = readWholeFile(path, kMaxConfigBytes);
  if (!text) {
    diags.error("config.unreadable", {path, 0, 0}, text.status().message(),
                "pass another file with --config FILE");
    return std::nullopt;
  }
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  return parseConfig(*text, path, dir, diags);
}

Diagnostics checkEnvironment(const AppConfig& cfg) {
  Diagnostics d;
  auto readable = [](const std::string& p) { return ::access(p.c_str(), R_OK) == 0; };
  SourceLocation where{cfg.file, 0, 0};
  if (cfg.inventory && !readable(cfg.inventory->path))
    d.warning("config.missing-file", where,
              "inventory file " + cfg.inventory->path + " cannot be read: " + std::strerror(errno));
  if (cfg.partner_center) {
    const auto& pc = *cfg.partner_center;
    if (pc.public_client) {
      // No secret: every call is made as the signed-in partner user.
    } else if (!pc.client_key_file.empty()) {
      for (const auto& f : {pc.client_key_file, pc.client_certificate_file})
        if (!readable(f))
          d.warning("config.missing-file", where,
                    "certificate file " + f + " cannot be read: " + std::strerror(errno));
    } else if (pc.client_secret_file.empty()) {
      if (std::getenv(kClientSecretEnv) == nullptr)
        d.warning("config.missing-secret", where,
                  std::string("no client secret: set client_secret_file or ") + kClientSecretEnv);
    } else if (!readable(pc.client_secret_file)) {
      d.warning("config.missing-file", where,
                "client secret file " + pc.client_secret_file +
                    " cannot be read: " + std::strerror(errno));
    }
    if (!pc.refresh_token_file.empty() && !readable(pc.refresh_token_file))
      d.warning("config.missing-file", where,
                "refresh token file " + pc.refresh_token_file +
                    " cannot be read; run 'cspwatch auth login' to create it");
  }
  if (cfg.alerts) {
    const AlertsConfig& a = *cfg.alerts;
    if (auto t = alerts::MailTemplates::load(a.templates_dir); !t)
      d.warning("config.bad-templates", where,
                "mail templates in " + a.templates_dir + ": " + t.status().message());
    for (const auto& f : {a.smtp.password_file, a.smtp.ca_file})
      if (a.transport == alerts::TransportKind::kSmtp && !f.empty() && !readable(f))
        d.warning("config.missing-file", where,
                  "SMTP file " + f + " cannot be read: " + std::strerror(errno));
  }
  if (!cfg.network.ca_file.empty() && !readable(cfg.network.ca_file))
    d.warning(
        "config.missing-file", where,
        "network.ca_file " + cfg.network.ca_file + " cannot be read: " + std::strerror(errno));
  for (const auto& p : cfg.rule_paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
      d.warning("config.missing-file", where, "rules path " + p + " does not exist");
  }
  return d;
}

}  // namespace cspwatch::config
