// SPDX-License-Identifier: Apache-2.0
// The 'http' section (the endpoint we listen on) and the 'network' section (the proxy and CA
// certificates we go out through) (config/section_readers.h).
#include "common/net_util.h"
#include "common/text.h"
#include "config/section_readers.h"

namespace cspwatch::config::detail {

void readHttp(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
              AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'http'", parent);
  m.checkKeys({"enabled", "listen", "token_file"}, {"token"});
  if (auto e = m.getBool("enabled")) cfg.http.enabled = *e;
  if (auto l = m.getString("listen")) {
    if (auto parsed = parseListenAddress(*l); !parsed)
      m.error("bad-value", m.valueLocation("listen"), parsed.status().message(),
              "127.0.0.1:9807 is the default");
    else
      cfg.http.listen = *l;
  }
  cfg.http.token_file = secretPath(ctx.path(m.getString("token_file").value_or("")));
  auto where = parseListenAddress(cfg.http.listen);
  if (cfg.http.enabled && where && !isLoopbackHost(where->host) && cfg.http.token_file.empty())
    m.error("missing-key", m.location(),
            "'listen' is not a loopback address, so 'token_file' is required",
            "metrics and the scan trigger must not be open to the network without a token");
}

void readNetwork(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                 AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'network'", parent);
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
  cfg.network.ca_file = ctx.path(m.getString("ca_file").value_or(""));
}

}  // namespace cspwatch::config::detail
