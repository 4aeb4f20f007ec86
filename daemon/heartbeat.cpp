// SPDX-License-Identifier: Apache-2.0
#include "daemon/heartbeat.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "common/redact.h"
#include "common/text.h"

namespace cspwatch::daemon {

msapi::HttpOptions heartbeatHttpOptions(msapi::NetworkOptions network) {
  msapi::HttpOptions o = msapi::withNetwork(std::move(network));
  o.connect_timeout = Seconds(5);
  o.read_timeout = Seconds(10);
  o.max_body_bytes = 64 * 1024;  // "OK", or an error page: only its start is kept
  return o;
}

std::string heartbeatTarget(const std::string& url) {
  try {
    const Poco::URI uri(url);
    std::string host = uri.getHost();
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    const std::string scheme = toLowerAscii(uri.getScheme());
    std::string out = scheme + "://" + host;
    const bool default_port =
        (scheme == "https" && uri.getPort() == 443) || (scheme == "http" && uri.getPort() == 80);
    if (!default_port) out += ":" + std::to_string(uri.getPort());
    return out;
  } catch (const Poco::Exception&) {
    return "(not a URL)";
  }
}

Status sendHeartbeat(const std::string& url, const msapi::HttpOptions& options) {
  msapi::HttpRequest req;
  req.method = "GET";
  req.url = url;
  auto r = msapi::HttpClient(options).send(req);
  const std::string target = heartbeatTarget(url);
  if (!r)
    return Status::unavailable("the heartbeat to " + target +
                               " failed: " + outsideText(r.status().message()));
  if (r->status >= 200 && r->status < 300) return Status::ok();
  std::string why =
      "the heartbeat to " + target + " was answered HTTP " + std::to_string(r->status);
  const std::string body = outsideText(r->body, 200);
  return Status::unavailable(body.empty() ? why : why + ": " + body);
}

}  // namespace cspwatch::daemon
