// SPDX-License-Identifier: Apache-2.0
// The sections that set how the service keeps and runs: 'storage', 'rules', 'schedule' and
// 'logging' (config/section_readers.h).
#include "common/redact.h"
#include "config/section_readers.h"
#include "storage/database.h"

namespace cspwatch::config::detail {

namespace {

// An SQL name PostgreSQL takes unquoted: a letter or '_', then letters, digits and '_'.
bool plainSqlName(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool letter = (c >= 'a' && c <= 'z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// storage.url, storage.schema and storage.password_file: a PostgreSQL server instead of the
// SQLite file (docs/configuration.md#storage).
void readStorageServer(const ReadContext& ctx, YamlMap& m, AppConfig& cfg) {
  if (auto u = m.getString("url")) {
    const std::string& url = *u;
    // The password first, before any message quotes the value.
    const std::string password = storage::passwordInUrl(url);
    if (!password.empty()) registerSecret(password);  // kept out of every log and message
    if (!password.empty() || url.find("password=") != std::string::npos) {
      m.error("inline-secret", m.valueLocation("url"), "'url' holds a password",
              "put the password in a file of its own, named by 'password_file' (or a systemd "
              "credential), and leave it out of the URL");
    } else if (m.has("path")) {
      m.error("bad-value", m.keyLocation("url"), "'url' and 'path' are both set",
              "'path' is a SQLite file, 'url' a PostgreSQL server: keep one");
    } else if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0) {
      m.error("bad-value", m.valueLocation("url"),
              "'url' must start with postgresql://, found '" + url.substr(0, 40) + "'",
              "postgresql://user@host:5432/database?sslmode=verify-full");
    } else {
      cfg.storage_url = url;
    }
  }
  if (auto s = m.getString("schema")) {
    if (!plainSqlName(*s))
      m.error("bad-value", m.valueLocation("schema"),
              "'schema' must be a plain SQL name, found '" + *s + "'",
              "lower-case letters, digits and '_', starting with a letter: cspwatch");
    else
      cfg.storage_schema = *s;
  }
  if (auto f = m.getString("password_file")) cfg.storage_password_file = secretPath(ctx.path(*f));
  if ((m.has("schema") || m.has("password_file")) && !m.has("url"))
    m.error("missing-key", m.location(), "'schema' and 'password_file' need 'url'",
            "they say where on a PostgreSQL server the store is: add 'url: postgresql://...'");
}

}  // namespace

void readStorage(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                 AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'storage'", parent);
  m.checkKeys({"path", "url", "schema", "password_file", "lease_period", "tenant_gone_after_scans",
               "max_suppression"});
  if (auto p = m.getString("path")) cfg.storage_path = ctx.path(*p);
  readStorageServer(ctx, m, cfg);
  if (auto d = m.getDuration("lease_period")) {
    if (*d < Seconds(2) || *d > std::chrono::hours(1))
      m.error("bad-value", m.valueLocation("lease_period"),
              "'lease_period' must be between 2s and 1h, found '" + formatDuration(*d) + "'",
              "a standby takes over within two lease periods of the active instance's death; "
              "60s is the default");
    else
      cfg.lease_period = *d;
  }
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

void readRules(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
               AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'rules'", parent);
  m.checkKeys({"paths", "max_steps_per_tenant"});
  if (auto paths = m.getStringList("paths")) {
    cfg.rule_paths.clear();
    for (const auto& p : *paths) cfg.rule_paths.push_back(ctx.path(p));
  }
  // From a thousand (the default pack needs a few hundred) to a billion (about a minute).
  if (auto n = m.getInt("max_steps_per_tenant", 1000, 1000000000)) cfg.rules_max_steps = *n;
}

std::optional<Seconds> readInterval(YamlMap& m, bool required) {
  auto d = m.getDuration("interval", required);
  if (d && *d < std::chrono::minutes(5)) {
    m.error("bad-value", m.valueLocation("interval"),
            "'interval' must be at least 5m, found '" + formatDuration(*d) + "'",
            "Partner Center throttles frequent full scans; 1h to 24h is typical");
    return std::nullopt;
  }
  return d;
}

void readSchedule(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                  AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'schedule'", parent);
  m.checkKeys({"interval"});
  if (auto d = readInterval(m, false)) cfg.schedule_interval = *d;
}

void readLogging(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                 AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'logging'", parent);
  m.checkKeys({"format"});
  if (auto f = m.getString("format")) {
    if (*f != "text" && *f != "json")
      m.error("bad-value", m.valueLocation("format"), "'format' must be text or json",
              "text suits the journal; json gives one JSON object per line");
    else
      cfg.log_format = *f;
  }
}

}  // namespace cspwatch::config::detail
