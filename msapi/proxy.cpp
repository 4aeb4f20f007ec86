// SPDX-License-Identifier: Apache-2.0
#include "msapi/proxy.h"

#include <cstdlib>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "common/net_util.h"
#include "common/text.h"

namespace cspwatch::msapi {

namespace {

std::string envAny(const char* upper, const char* lower) {
  for (const char* name : {upper, lower})
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') return v;
  return {};
}

// A host as written in a URL or a no-proxy entry, for comparing: lower case, without IPv6
// brackets and without a trailing dot (a fully qualified "example.com." is "example.com").
std::string canonicalHost(std::string_view host) {
  std::string h = toLowerAscii(trim(host));
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  while (!h.empty() && h.back() == '.') h.pop_back();
  return h;
}

// A no-proxy entry without its ":port": "[::1]:8080" -> "[::1]", "host:3128" -> "host"; a bare
// IPv6 address (more than one colon) is left whole.
std::string withoutPort(std::string_view entry) {
  if (!entry.empty() && entry.front() == '[') {
    const size_t close = entry.find(']');
    return std::string(close == std::string_view::npos ? entry : entry.substr(0, close + 1));
  }
  const size_t colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos)
    return std::string(entry.substr(0, colon));
  return std::string(entry);
}

std::string decode(const std::string& s) {
  std::string out;
  Poco::URI::decode(s, out);
  return out;
}

}  // namespace

ProxyEnvironment ProxyEnvironment::fromProcess() {
  return {envAny("HTTPS_PROXY", "https_proxy"), envAny("HTTP_PROXY", "http_proxy"),
          envAny("NO_PROXY", "no_proxy")};
}

std::string Proxy::redacted() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (username.empty() ? std::string() : username + "@") +
         (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Proxy> parseProxyUrl(const std::string& url, const std::string& source) {
  // Messages name the source and the problem, never the URL: it may carry a password.
  const auto bad = [&source](const std::string& why) {
    return Status::invalidArgument("the proxy URL in " + source + " " + why +
                                   " (expected http://[user:password@]host:port)");
  };
  std::string rest(trim(url));
  if (rest.empty()) return bad("is empty");
  if (const size_t scheme_end = rest.find("://"); scheme_end != std::string::npos) {
    const std::string scheme = toLowerAscii(rest.substr(0, scheme_end));
    if (scheme != "http")
      return bad("has the scheme '" + printable(scheme.substr(0, 16)) +
                 "'; only http:// proxies are supported (HTTPS goes through them as a CONNECT "
                 "tunnel)");
    rest = rest.substr(scheme_end + 3);
  }
  // The authority ends at the path; "http://proxy:3128/" is common.
  if (const size_t slash = rest.find_first_of("/?#"); slash != std::string::npos) {
    const std::string tail = rest.substr(slash);
    if (tail != "/") return bad("has a path");
    rest.resize(slash);
  }
  Proxy p;
  p.source = source;
  // The last '@' ends the user information: a password may itself hold an '@'.
  if (const size_t at = rest.rfind('@'); at != std::string::npos) {
    const std::string userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    try {
      p.username = decode(userinfo.substr(0, colon));
      if (colon != std::string::npos) p.password = decode(userinfo.substr(colon + 1));
    } catch (const Poco::Exception&) {
      return bad("has a malformed percent-encoding in its user information");
    }
    if (p.username.empty()) return bad("has a password but no user name");
  }
  std::string port_text;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string::npos) return bad("has an unclosed '[' in its host");
    p.host = rest.substr(1, close - 1);
    const std::string after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("has text after its host");
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = rest.find(':');
    p.host = rest.substr(0, colon);
    if (colon != std::string::npos) port_text = rest.substr(colon + 1);
    if (colon != std::string::npos && port_text.empty()) return bad("has an empty port");
  }
  if (p.host.empty()) return bad("has no host");
  for (char c : p.host)
    if (static_cast<unsigned char>(c) <= ' ' || c == '@' || c == '/' || c == '\\')
      return bad("has a malformed host");
  if (!port_text.empty()) {
    if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos)
      return bad("has a malformed port");
    const long port = std::strtol(port_text.c_str(), nullptr, 10);
    if (port < 1 || port > 65535) return bad("has a port outside 1..65535");
    p.port = static_cast<uint16_t>(port);
  }
  return p;
}

bool matchesNoProxy(const std::string& host, const std::string& list) {
  const std::string h = canonicalHost(host);
  if (h.empty()) return false;
  std::string normalised = list;
  for (char& c : normalised)
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') c = ',';
  for (const std::string& raw : split(normalised, ',')) {
    std::string entry(trim(raw));
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (startsWith(entry, "*.")) entry = entry.substr(1);  // "*.example.com" = ".example.com"
    entry = withoutPort(entry);
    const bool dot = startsWith(entry, ".");
    const std::string domain = canonicalHost(dot ? entry.substr(1) : entry);
    if (domain.empty()) continue;
    // "example.com" and ".example.com" both cover example.com and every host under it.
    if (h == domain || endsWith(h, "." + domain)) return true;
  }
  return false;
}

Result<std::optional<Proxy>> chooseProxy(const std::string& url, const ProxySettings& settings,
                                         const ProxyEnvironment& env) {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception&) {
    return Status::invalidArgument("bad URL '" + abbreviate(url, 120) + "'");
  }
  const std::string scheme = toLowerAscii(uri.getScheme());
  const std::string host = uri.getHost();
  if (scheme != "https" && scheme != "http")
    return Status::invalidArgument("no proxy rule for " + printable(scheme) + ":// URLs");
  // A proxy cannot reach this machine's loopback, and the simulator and the tests live there.
  if (isLoopbackHost(host) && !settings.proxy_loopback) return std::optional<Proxy>();
  std::string proxy_url, source;
  if (scheme == "https") {
    if (!settings.proxy.empty()) {
      proxy_url = settings.proxy;
      source = "network.proxy";
    } else {
      proxy_url = env.https_proxy;
      source = "$HTTPS_PROXY";
    }
  } else {
    proxy_url = env.http_proxy;
    source = "$HTTP_PROXY";
  }
  if (trim(proxy_url).empty()) return std::optional<Proxy>();
  if (matchesNoProxy(host, join(settings.no_proxy, ",")) || matchesNoProxy(host, env.no_proxy))
    return std::optional<Proxy>();
  auto proxy = parseProxyUrl(proxy_url, source);
  if (!proxy) return proxy.status();
  return std::optional<Proxy>(std::move(*proxy));
}

}  // namespace cspwatch::msapi
