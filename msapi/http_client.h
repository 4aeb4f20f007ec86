// SPDX-License-Identifier: Apache-2.0
// HTTP(S) for everything cspwatch sends out (Entra ID, Partner Center, Graph, Graph mail), over
// Poco: keep-alive connections reused per thread, host and route, connect and read timeouts, a
// response size limit, gzip when offered, `User-Agent: cspwatch/<version>` on every request.
//
// Certificate verification is always on for https, against the system's CA store plus the
// certificates of `network.ca_file`. Plain http is refused unless the host is a loopback
// address (the simulator, tests). Proxies (msapi/proxy.h): HTTPS goes through an HTTP proxy as
// a CONNECT tunnel, with Basic proxy authentication when the proxy URL has a user; loopback
// hosts never use one. Failures of the exchange itself (connection refused or dropped, timeout,
// a proxy refusing the tunnel, a body shorter than promised, a body too large) are Status
// values; any HTTP status is a response. No message or log line holds a header value or a
// proxy password. Thread-safe: each thread gets its own connections.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "msapi/proxy.h"

namespace cspwatch::msapi {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;  // for a body
  // Send on a new connection, not a kept-alive one (Graph asks for that when retrying a 503).
  bool new_connection = false;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// The config's `network` section (docs/configuration.md#network).
struct NetworkOptions {
  std::string proxy;                  // http://[user:password@]host:port; empty: $HTTPS_PROXY
  std::vector<std::string> no_proxy;  // hosts reached directly; plus $NO_PROXY
  std::string ca_file;                // PEM certificates trusted besides the system's
  bool proxy_loopback = false;        // tests only (ProxySettings::proxy_loopback)
};

struct HttpOptions {
  Seconds connect_timeout = Seconds(10);
  Seconds read_timeout = Seconds(60);
  size_t max_body_bytes = 64 * 1024 * 1024;
  NetworkOptions network{};
};

// `base` with `network` set, e.g. HttpClient(withNetwork({proxy, no_proxy, ca_file})).
HttpOptions withNetwork(NetworkOptions network, HttpOptions base = {});

// "cspwatch/<version>": the User-Agent of every request (the CMake project version).
const std::string& userAgent();

// True for http(s)://127.x.x.x, localhost and [::1] URLs.
bool isLoopbackUrl(const std::string& url);

class HttpClient {
 public:
  // Reads the proxy variables of the process environment now (ProxyEnvironment::fromProcess).
  explicit HttpClient(HttpOptions options = {});
  HttpClient(HttpOptions options, ProxyEnvironment env);
  // A request's own User-Agent header replaces ours. Headers whose name is not an HTTP token
  // or whose value holds a line break or NUL are refused (kInvalidArgument), never sent.
  Result<HttpResponse> send(const HttpRequest& request) const;

 private:
  HttpOptions options_;
  ProxyEnvironment env_;
};

}  // namespace cspwatch::msapi
