// SPDX-License-Identifier: Apache-2.0
// The 'monitoring' section (config/section_readers.h, docs/configuration.md#monitoring): the
// heartbeat URL the service requests after each successful scan. Its secret parts, the path
// included (a push monitor's token is there), are registered with common/redact.h as soon as it
// is read, so that no log line or diagnostic shows them.
#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "alerts/route_outputs.h"
#include "common/redact.h"
#include "config/section_readers.h"

namespace cspwatch::config {

std::vector<std::string> heartbeatUrlSecrets(const std::string& url) {
  std::vector<std::string> out = alerts::urlSecrets(url);
  try {
    const Poco::URI uri(url);
    // "/ping/<uuid>", "/api/push/<token>": the whole path, with and without its leading slash
    // (registerSecret ignores values under 6 bytes, so "/" and short words are left alone).
    const std::string path = uri.getPath();
    if (path.size() > 1) {
      out.push_back(path);
      out.push_back(path.substr(1));
    }
    const std::string raw = uri.getPathEtc();
    if (raw != path && raw.size() > 1) out.push_back(raw);
  } catch (const Poco::Exception&) {
    out.push_back(url);  // not a URL: all of it, to be safe
  }
  return out;
}

namespace detail {

void readMonitoring(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                    AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'monitoring'", parent);
  m.checkKeys({"heartbeat"});
  if (!m.valid() || !m.has("heartbeat")) return;
  YamlMap h = ctx.map(m.get("heartbeat"), "monitoring.heartbeat", node);
  if (!h.valid()) return;
  h.checkKeys({"url", "url_file"});
  // Registered before it is checked: a diagnostic quoting the line must not show the token.
  if (const YAML::Node written = h.get("url"); written.IsScalar())
    for (const auto& s : heartbeatUrlSecrets(written.Scalar())) registerSecret(s);
  std::string url, url_file;
  if (!readOutputUrl(ctx, h, url, url_file)) return;
  for (const auto& s : heartbeatUrlSecrets(url)) registerSecret(s);
  cfg.monitoring.heartbeat_url = std::move(url);
  cfg.monitoring.heartbeat_url_file = std::move(url_file);
}

}  // namespace detail

}  // namespace cspwatch::config
