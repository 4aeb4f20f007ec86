// SPDX-License-Identifier: Apache-2.0
// Which HTTP proxy, if any, a request to a URL goes through (docs/sources.md#networks).
//
// The convention Microsoft's tools follow (azd, the Azure SDKs, curl, Go): HTTPS_PROXY (or
// https_proxy) for https:// URLs, HTTP_PROXY (or http_proxy) for http:// URLs, NO_PROXY (or
// no_proxy) for the hosts reached directly. The upper-case name wins when both are set. Our
// config's `network.proxy` wins over the environment for https URLs; `network.no_proxy` and
// $NO_PROXY add up.
//
// A proxy URL is `http://[user:password@]host[:port]` (the scheme may be left out; the port
// defaults to 80). User and password may be percent-encoded; they are sent as Basic proxy
// authentication and never appear in a message or log line (Proxy::redacted()). Only plain
// HTTP proxies are supported: HTTPS goes through them as a CONNECT tunnel, TLS end to end.
//
// Loopback hosts (127.0.0.0/8, ::1, localhost) never go through a proxy: a proxy elsewhere
// cannot reach our loopback, and the simulator and the tests live there. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace cspwatch::msapi {

// The proxy variables of an environment, each the upper-case one if set and not empty, else
// the lower-case one.
struct ProxyEnvironment {
  std::string https_proxy;  // $HTTPS_PROXY, else $https_proxy
  std::string http_proxy;   // $HTTP_PROXY, else $http_proxy
  std::string no_proxy;     // $NO_PROXY, else $no_proxy: comma-separated
  // This process's environment, read now.
  static ProxyEnvironment fromProcess();
};

// The configured part (the config's `network` section).
struct ProxySettings {
  std::string proxy;                  // for https URLs; empty: the environment's
  std::vector<std::string> no_proxy;  // added to the environment's
  // Tests only: loopback hosts go through the proxy too (a CONNECT test needs a TLS server,
  // and tests have only loopback ones). Never set by the program.
  bool proxy_loopback = false;
};

struct Proxy {
  std::string host;  // a name or an address (IPv6 without brackets)
  uint16_t port = 80;
  std::string username;  // decoded; empty: no proxy authentication
  std::string password;  // decoded; a secret
  std::string source;    // where it came from, for messages: "network.proxy", "$HTTPS_PROXY"
  // "http://user@host:port": for messages and logs; never the password.
  std::string redacted() const;
};

// Parses a proxy URL. Errors name `source` and what is wrong, never the URL itself (it may
// hold a password).
Result<Proxy> parseProxyUrl(const std::string& url, const std::string& source);

// Whether `host` (a name or an address, IPv6 with or without brackets) matches a no-proxy
// list: comma- (or space-) separated entries, each `*` (every host), `host`, `.domain` or
// `domain` (the domain and every host under it; `*.domain` the same). An entry's `:port` is
// ignored. Case-insensitive.
bool matchesNoProxy(const std::string& host, const std::string& list);

// The proxy for a request to `url`, or nullopt to connect directly. An error when the proxy
// URL that applies is malformed, or the URL is not http(s).
Result<std::optional<Proxy>> chooseProxy(const std::string& url, const ProxySettings& settings,
                                         const ProxyEnvironment& env);

}  // namespace cspwatch::msapi
