// SPDX-License-Identifier: Apache-2.0
// The 'sources' section: Partner Center (the live data) and the inventory file
// (config/section_readers.h).
#include <utility>

#include "common/net_util.h"
#include "common/text.h"
#include "config/section_readers.h"
#include "msapi/cloud.h"

namespace cspwatch::config::detail {

namespace {

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

// cloud, then the three URLs it sets by default (each may be given, trailing '/' dropped).
void readEndpoints(YamlMap& m, PartnerCenterConfig& pc) {
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
}

// The app and how it signs in: a secret, a certificate and key, or (a public client) only the
// partner user's refresh token.
void readSignIn(const ReadContext& ctx, YamlMap& m, PartnerCenterConfig& pc) {
  pc.client_id = m.getGuid("client_id", true).value_or("");
  pc.client_secret_file = secretPath(ctx.path(m.getString("client_secret_file").value_or("")));
  pc.refresh_token_file = ctx.path(m.getString("refresh_token_file").value_or(""));
  pc.client_certificate_file =
      secretPath(ctx.path(m.getString("client_certificate_file").value_or("")));
  pc.client_key_file = secretPath(ctx.path(m.getString("client_key_file").value_or("")));
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
}

// How hard we may press: tenants read at once, retry backoff, client-side request rates.
void readPacing(YamlMap& m, PartnerCenterConfig& pc) {
  if (auto n = m.getInt("concurrency", 1, 64)) pc.concurrency = static_cast<int>(*n);
  if (auto n = m.getInt("retry_backoff_ms", 10, 60000))
    pc.backoff_base = std::chrono::milliseconds(*n);
  if (auto n = m.getInt("pc_requests_per_minute", 1, 1000000))
    pc.pc_requests_per_minute = static_cast<double>(*n);
  if (auto n = m.getInt("graph_requests_per_10s", 1, 1000000))
    pc.graph_requests_per_10s = static_cast<double>(*n);
}

void readPartnerCenter(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                       AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'sources.partner_center'", parent);
  if (!m.valid()) return;
  m.checkKeys(
      {"cloud", "login_url", "partner_center_url", "graph_url", "client_id", "public_client",
       "client_secret_file", "client_certificate_file", "client_key_file", "refresh_token_file",
       "concurrency", "retry_backoff_ms", "pc_requests_per_minute", "graph_requests_per_10s"},
      {"client_secret", "refresh_token", "password"});
  PartnerCenterConfig pc;
  readEndpoints(m, pc);
  readSignIn(ctx, m, pc);
  readPacing(m, pc);
  cfg.partner_center = pc;
}

void readInventory(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                   AppConfig& cfg) {
  YamlMap inv = ctx.map(node, "section 'sources.inventory'", parent);
  if (!inv.valid()) return;
  inv.checkKeys({"path"});
  if (auto p = inv.getString("path", true)) cfg.inventory = InventoryConfig{ctx.path(*p)};
}

}  // namespace

void readSources(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                 AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'sources'", parent);
  if (!m.valid()) return;
  m.checkKeys({"partner_center", "inventory"});
  if (m.has("partner_center")) readPartnerCenter(ctx, m.get("partner_center"), node, cfg);
  if (m.has("inventory")) readInventory(ctx, m.get("inventory"), node, cfg);
  if (!m.has("partner_center") && !m.has("inventory"))
    m.error("missing-key", m.location(), "no source configured",
            "add 'partner_center' (the live data) and/or 'inventory' (the distributor export)");
}

}  // namespace cspwatch::config::detail
