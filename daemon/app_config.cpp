// SPDX-License-Identifier: Apache-2.0
#include "daemon/app_config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

#include "common/file_util.h"
#include "common/text.h"
#include "common/yaml_util.h"

namespace cspwatch::daemon {

namespace {

constexpr const char* kPrefix = "config";

std::string resolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

bool isLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "[::1]" || startsWith(host, "127.");
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
  m.checkKeys({"login_url", "partner_center_url", "graph_url", "client_id", "client_secret_file",
               "client_certificate_file", "client_key_file", "refresh_token_file", "concurrency",
               "retry_backoff_ms", "pc_requests_per_minute", "graph_requests_per_10s"},
              {"client_secret", "refresh_token", "password"});
  PartnerCenterConfig pc;
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
  pc.client_secret_file = resolvePath(base_dir, m.getString("client_secret_file").value_or(""));
  pc.refresh_token_file = resolvePath(base_dir, m.getString("refresh_token_file").value_or(""));
  pc.client_certificate_file =
      resolvePath(base_dir, m.getString("client_certificate_file").value_or(""));
  pc.client_key_file = resolvePath(base_dir, m.getString("client_key_file").value_or(""));
  if (pc.client_certificate_file.empty() != pc.client_key_file.empty())
    m.error("missing-key", m.location(), "client_certificate_file and client_key_file go together",
            "give both, or neither and a client secret");
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
  YamlMap top(*doc, file, kPrefix, "", diags);
  if (!top.valid()) return std::nullopt;
  top.checkKeys({"partner", "sources", "storage", "rules", "schedule", "alerts"});

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
    m.checkKeys({"paths"});
    if (auto paths = m.getStringList("paths")) {
      cfg.rule_paths.clear();
      for (const auto& p : *paths) cfg.rule_paths.push_back(resolvePath(base_dir, p));
    }
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
  if (top.has("alerts")) {
    YAML::Node alerts = top.get("alerts");
    if (!alerts.IsNull()) {
      YamlMap m(alerts, file, kPrefix, "section 'alerts'", diags, *doc);
      m.checkKeys({});  // alert settings arrive with the alerts module
    }
  }
  if (diags.errorCount() != errors_before) return std::nullopt;
  return cfg;
}

std::optional<AppConfig> loadConfig(const std::string& path, Diagnostics& diags) {
  auto text = readWholeFile(path);
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
    if (!pc.client_key_file.empty()) {
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
  for (const auto& p : cfg.rule_paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
      d.warning("config.missing-file", where, "rules path " + p + " does not exist");
  }
  return d;
}

}  // namespace cspwatch::daemon
