// SPDX-License-Identifier: Apache-2.0
#include "config/app_config.h"

#include <cstdlib>
#include <utility>

#include <unistd.h>

#include "common/file_safety.h"
#include "common/file_util.h"
#include "common/yaml_util.h"
#include "config/section_readers.h"

namespace cspwatch::config {

namespace {

using detail::kPrefix;
using detail::ReadContext;

using SectionReader = void (*)(const ReadContext&, const YAML::Node& node, const YAML::Node& parent,
                               AppConfig&);

// The sections that may be left out, in the order they are read (and so reported); alerts
// comes last, after sources.partner_center (or partners) that 'transport: graph' needs.
const std::pair<const char*, SectionReader> kOptionalSections[] = {
    {"storage", detail::readStorage},       {"rules", detail::readRules},
    {"schedule", detail::readSchedule},     {"http", detail::readHttp},
    {"network", detail::readNetwork},       {"logging", detail::readLogging},
    {"monitoring", detail::readMonitoring},
};

// partner and sources, each reported when missing; or partners, and then neither of them.
void readRequiredSections(const ReadContext& ctx, YamlMap& top, const YAML::Node& doc,
                          AppConfig& cfg) {
  if (top.has("partners")) {
    for (const char* key : {"partner", "sources"})
      if (top.has(key))
        top.error("partners-conflict", top.keyLocation(key),
                  std::string("'") + key + "' is written at the top level beside 'partners'",
                  "with 'partners', each partner account has its own: move it into each entry of "
                  "'partners' (docs/configuration.md#partners)");
    detail::readPartners(ctx, top, cfg);
    return;
  }
  if (top.has("partner"))
    detail::readPartner(ctx, top.get("partner"), doc, cfg.partner);
  else
    top.error("missing-key", top.location(), "required section 'partner' is missing",
              "it names your company: name, tenant_id, email_domains");
  if (top.has("sources"))
    detail::readSources(ctx, top.get("sources"), doc, cfg);
  else
    top.error("missing-key", top.location(), "required section 'sources' is missing");
}

}  // namespace

std::optional<AppConfig> parseConfig(const std::string& text, const std::string& file,
                                     const std::string& base_dir, Diagnostics& diags) {
  const size_t errors_before = diags.errorCount();
  auto doc = parseYamlDocument(file, text, kPrefix, diags);
  if (!doc) return std::nullopt;
  if (doc->IsNull()) {  // empty, or only comments
    diags.error("config.missing-key", {file, 1, 1}, "the file holds no settings",
                "it needs at least the sections 'partner' and 'sources', or 'partners' "
                "(docs/configuration.md)");
    return std::nullopt;
  }
  YamlMap top(*doc, file, kPrefix, "", diags);
  if (!top.valid()) return std::nullopt;
  top.checkKeys({"partner", "sources", "partners", "storage", "rules", "schedule", "alerts", "http",
                 "network", "logging", "monitoring"});

  const ReadContext ctx{file, base_dir, diags};
  AppConfig cfg;
  cfg.file = file;
  readRequiredSections(ctx, top, *doc, cfg);
  for (const auto& [name, read] : kOptionalSections)
    if (top.has(name)) read(ctx, top.get(name), *doc, cfg);
  detail::checkPartnerStores(ctx, cfg);
  if (top.has("alerts") && !top.get("alerts").IsNull())
    detail::readAlerts(ctx, top.get("alerts"), *doc, cfg);
  if (diags.errorCount() != errors_before) return std::nullopt;
  return cfg;
}

Result<storage::StoreLocation> storeLocation(const AppConfig& cfg) {
  storage::StoreLocation where(cfg.storage_path);
  if (cfg.storage_url.empty()) return where;
  where.path.clear();
  where.url = cfg.storage_url;
  where.schema = cfg.storage_schema;
  if (!cfg.storage_password_file.empty()) {
    auto password = readSecretFile(cfg.storage_password_file, "the database password file");
    if (!password) return password.status();
    where.password = *password;
  }
  return where;
}

std::string storeDescription(const AppConfig& cfg) {
  storage::StoreLocation where(cfg.storage_path);
  if (!cfg.storage_url.empty()) {
    where.url = cfg.storage_url;
    where.schema = cfg.storage_schema;
  }
  return where.describe();
}

Result<storage::FindingStore> openStore(const AppConfig& cfg) {
  auto where = storeLocation(cfg);
  if (!where) return where.status();
  return storage::FindingStore::open(*where, storeOptions(cfg));
}

Result<storage::FindingStore> openStoreReadOnly(const AppConfig& cfg) {
  auto where = storeLocation(cfg);
  if (!where) return where.status();
  return storage::FindingStore::openReadOnly(*where, storeOptions(cfg));
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

}  // namespace cspwatch::config
