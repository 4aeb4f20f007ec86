// SPDX-License-Identifier: Apache-2.0
#include "msapi/http_client.h"

#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string_view>

#include <Poco/InflatingStream.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "common/logging.h"
#include "common/net_util.h"
#include "common/redact.h"
#include "common/text.h"

#ifndef CSPWATCH_VERSION
#error "CSPWATCH_VERSION comes from CMake (common/CMakeLists.txt)"
#endif

namespace cspwatch::msapi {

HttpOptions withNetwork(NetworkOptions network, HttpOptions base) {
  base.network = std::move(network);
  return base;
}

const std::string& userAgent() {
  static const std::string agent = std::string("cspwatch/") + CSPWATCH_VERSION;
  return agent;
}

bool isLoopbackUrl(const std::string& url) {
  try {
    Poco::URI uri(url);
    const std::string host = uri.getHost();
    return isLoopbackHost(host);
  } catch (const Poco::Exception&) {
    return false;
  }
}

namespace {

// TLS with the system's CA store and strict verification; an invalid certificate is refused,
// never accepted or asked about. Made once for the process.
Poco::Net::Context::Ptr tlsContext() {
  static std::once_flag once;
  static Poco::Net::Context::Ptr context;
  std::call_once(once, [] {
    context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                     Poco::Net::Context::VERIFY_STRICT, 9, true);
    Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject =
        new Poco::Net::RejectCertificateHandler(false);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, context);
  });
  return context;
}

// The same, trusting the certificates of `ca_file` (network.ca_file, e.g. a TLS-inspecting
// proxy's CA) in addition to the system's: OpenSSL loads the file, then the default paths
// (loadDefaultCAs). One context per file for the process.
Result<Poco::Net::Context::Ptr> tlsContext(const std::string& ca_file) {
  Poco::Net::Context::Ptr plain = tlsContext();  // also sets up the SSLManager's handlers
  if (ca_file.empty()) return plain;
  static std::mutex mutex;
  static std::map<std::string, Poco::Net::Context::Ptr> contexts;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = contexts.find(ca_file); it != contexts.end()) return it->second;
  try {
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file,
                               Poco::Net::Context::VERIFY_STRICT, 9, true);
    contexts.emplace(ca_file, context);
    return context;
  } catch (const Poco::Exception& e) {
    return Status::invalidArgument("cannot use the CA certificates in " + ca_file + ": " +
                                   e.displayText());
  }
}

// Connections kept alive per thread and route: scheme, host, port, proxy and CA file. A route
// through another proxy (or as another proxy user) is another connection.
std::unique_ptr<Poco::Net::HTTPClientSession>& sessionFor(const Poco::URI& uri,
                                                          const std::optional<Proxy>& proxy,
                                                          const std::string& ca_file) {
  thread_local std::map<std::string, std::unique_ptr<Poco::Net::HTTPClientSession>> sessions;
  std::string key = uri.getScheme() + "://" + uri.getHost() + ":" + std::to_string(uri.getPort());
  // The password only as a hash: the key is no place for a secret.
  if (proxy)
    key += " via " + proxy->redacted() + "#" +
           std::to_string(std::hash<std::string>()(proxy->password));
  if (!ca_file.empty()) key += " trusting " + ca_file;
  return sessions[key];
}

// RFC 9110 token characters, the only ones a header name may have.
bool isToken(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) ||
          std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos))
      return false;
  return true;
}

// Whether a header can be sent as it is: a line break in a value (from an answer's
// links.next.headers, say) would start a header or a request of its own.
Status checkHeader(const std::string& name, const std::string& value) {
  if (!isToken(name))
    return Status::invalidArgument("refusing to send a header named '" +
                                   printable(abbreviate(name, 60)) + "'");
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0')
      return Status::invalidArgument("refusing to send the header " + name +
                                     ": its value holds a line break or NUL");
  return Status::ok();
}

}  // namespace

HttpClient::HttpClient(HttpOptions options)
    : HttpClient(std::move(options), ProxyEnvironment::fromProcess()) {}

HttpClient::HttpClient(HttpOptions options, ProxyEnvironment env)
    : options_(std::move(options)), env_(std::move(env)) {
  // Proxy passwords are secrets: masked in any log line that might ever hold one.
  const std::pair<std::string, std::string> urls[] = {{options_.network.proxy, "network.proxy"},
                                                      {env_.https_proxy, "$HTTPS_PROXY"},
                                                      {env_.http_proxy, "$HTTP_PROXY"}};
  for (const auto& [url, source] : urls)
    if (!url.empty())
      if (auto p = parseProxyUrl(url, source); p && !p->password.empty())
        registerSecret(p->password);
}

namespace {

// The URL of `req` if it may be sent: it parses, it is https (or http to a loopback address),
// and every header can be sent as it is.
Result<Poco::URI> checkRequest(const HttpRequest& req) {
  Poco::URI uri;
  try {
    uri = Poco::URI(req.url);
  } catch (const Poco::Exception& e) {
    // A URL may come from an answer (a next-page link): outside text.
    return Status::invalidArgument("bad URL '" + outsideText(req.url, 200) +
                                   "': " + outsideText(e.displayText()));
  }
  if (uri.getScheme() != "https" && !(uri.getScheme() == "http" && isLoopbackUrl(req.url)))
    return Status::invalidArgument("refusing " + uri.getScheme() + "://" + uri.getHost() +
                                   ": only https is allowed, except to a loopback address");
  for (const auto& [k, v] : req.headers)
    if (Status s = checkHeader(k, v); !s) return s;
  return uri;
}

// "host:port" or "host:port through the proxy http://user@proxy:port (source)", for messages
// and the log: never the password.
std::string describeRoute(const Poco::URI& uri, const std::optional<Proxy>& proxy) {
  return uri.getHost() + ":" + std::to_string(uri.getPort()) +
         (proxy ? " through the proxy " + proxy->redacted() + " (" + proxy->source + ")"
                : std::string());
}

// A new connection to `uri`'s server (not yet connected: Poco connects on the first request),
// through `proxy` when there is one; TLS with `context` when `https`.
std::unique_ptr<Poco::Net::HTTPClientSession> openSession(const Poco::URI& uri, bool https,
                                                          const std::optional<Proxy>& proxy,
                                                          const Poco::Net::Context::Ptr& context,
                                                          const HttpOptions& options) {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (https)
    session =
        std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
  else
    session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  if (proxy) {
    // For https Poco opens a CONNECT tunnel through the proxy and runs TLS to the server
    // inside it, verifying the server's certificate and name as on a direct connection.
    Poco::Net::HTTPClientSession::ProxyConfig pc;
    pc.host = proxy->host;
    pc.port = proxy->port;
    pc.username = proxy->username;
    pc.password = proxy->password;
    // Poco would otherwise send "Proxy-Authorization: Basic" with an empty user.
    pc.authMethod = proxy->username.empty() ? Poco::Net::HTTPClientSession::PROXY_AUTH_NONE
                                            : Poco::Net::HTTPClientSession::PROXY_AUTH_HTTP_BASIC;
    session->setProxyConfig(pc);
  }
  session->setKeepAlive(true);
  session->setTimeout(Poco::Timespan(options.connect_timeout.count(), 0),
                      Poco::Timespan(options.read_timeout.count(), 0),
                      Poco::Timespan(options.read_timeout.count(), 0));
  return session;
}

// The request line and headers of `req` as Poco sends them: ours first (a request's own
// User-Agent replaces ours), a content type and length for a body or a POST.
Poco::Net::HTTPRequest pocoRequest(const HttpRequest& req, const Poco::URI& uri) {
  Poco::Net::HTTPRequest r(req.method, uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
  r.setKeepAlive(true);
  r.set("Accept-Encoding", "gzip");
  r.set("User-Agent", userAgent());
  for (const auto& [k, v] : req.headers) r.set(k, v);
  if (!req.body.empty() || req.method == "POST") {
    r.setContentType(req.content_type.empty() ? "application/x-www-form-urlencoded"
                                              : req.content_type);
    r.setContentLength(static_cast<std::streamsize>(req.body.size()));
  }
  return r;
}

// All of `in`, or nullopt as soon as it is more than `limit` bytes: read with a limit, so a
// hostile or broken server cannot exhaust memory.
std::optional<std::string> readAtMost(std::istream& in, size_t limit) {
  std::string out;
  char buf[16384];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > limit) return std::nullopt;
  }
  return out;
}

// The body of the answer `head` whose content follows in `in`: all of it as Content-Length
// promised, inflated when gzipped, within the size limit before and after inflating.
Result<std::string> receiveBody(std::istream& in, const Poco::Net::HTTPResponse& head, bool gzip,
                                const std::string& host, size_t limit) {
  std::optional<std::string> raw = readAtMost(in, limit);
  if (!raw)
    return Status::unavailable("response from " + host + " is larger than " +
                               std::to_string(limit) + " bytes");
  if (head.hasContentLength() && static_cast<int64_t>(raw->size()) != head.getContentLength64())
    return Status::unavailable("truncated response: " + std::to_string(raw->size()) + " of " +
                               std::to_string(head.getContentLength64()) + " bytes");
  if (!gzip) return std::move(*raw);
  // The limit holds for the inflated body too: a small gzip "bomb" can inflate a thousandfold.
  std::istringstream zin(*raw);
  Poco::InflatingInputStream inflate(zin, Poco::InflatingStreamBuf::STREAM_GZIP);
  std::optional<std::string> plain = readAtMost(inflate, limit);
  if (!plain)
    return Status::unavailable("response from " + host + " inflates to more than " +
                               std::to_string(limit) + " bytes");
  return std::move(*plain);
}

// One request and its answer on `session`, which is dropped after a failure or when the server
// closes the connection. Poco's exceptions (connection failures, timeouts) pass through.
Result<HttpResponse> exchange(std::unique_ptr<Poco::Net::HTTPClientSession>& session,
                              const HttpRequest& req, const Poco::URI& uri, size_t max_body_bytes) {
  Poco::Net::HTTPRequest request = pocoRequest(req, uri);
  session->sendRequest(request) << req.body;
  Poco::Net::HTTPResponse head;
  std::istream& in = session->receiveResponse(head);
  HttpResponse out;
  out.status = head.getStatus();
  for (const auto& [k, v] : head) out.headers[toLowerAscii(k)] = v;
  const bool gzip = toLowerAscii(out.header("content-encoding")) == "gzip";
  auto body = receiveBody(in, head, gzip, uri.getHost(), max_body_bytes);
  if (!body) {
    session.reset();
    return body.status();
  }
  out.body = std::move(*body);
  if (!head.getKeepAlive()) session.reset();
  return out;
}

}  // namespace

Result<HttpResponse> HttpClient::send(const HttpRequest& req) const {
  const auto uri = checkRequest(req);
  if (!uri) return uri.status();
  const auto proxy = chooseProxy(
      req.url, {options_.network.proxy, options_.network.no_proxy, options_.network.proxy_loopback},
      env_);
  if (!proxy) return proxy.status();
  const bool https = uri->getScheme() == "https";
  Poco::Net::Context::Ptr context;
  if (https) {
    auto c = tlsContext(options_.network.ca_file);
    if (!c) return c.status();
    context = *c;
  }
  const std::string where = describeRoute(*uri, *proxy);
  auto& session = sessionFor(*uri, *proxy, options_.network.ca_file);
  if (req.new_connection) session.reset();
  // Two tries: a kept-alive connection the server closed meanwhile fails at once, and only
  // then is a fresh connection worth trying.
  for (int round = 0; round < 2; ++round) {
    const bool reused = session != nullptr;
    try {
      if (!session) session = openSession(*uri, https, *proxy, context, options_);
      auto out = exchange(session, req, *uri, options_.max_body_bytes);
      // Method, URL and outcome only: headers and bodies may hold credentials.
      if (out)
        log().trace("{} {}://{}{} -> {} ({} bytes)", req.method, uri->getScheme(), where,
                    uri->getPath(), out->status, out->body.size());
      return out;
    } catch (const Poco::TimeoutException& e) {
      session.reset();
      return Status::unavailable("timed out talking to " + where + ": " +
                                 outsideText(e.displayText()));
    } catch (const Poco::Exception& e) {
      session.reset();
      if (reused && round == 0) continue;
      return Status::unavailable("connection to " + where +
                                 " failed: " + outsideText(e.displayText()));
    } catch (const std::exception& e) {
      session.reset();
      return Status::unavailable("HTTP exchange failed: " + outsideText(e.what()));
    }
  }
  return Status::unavailable("connection to " + where + " failed");
}

}  // namespace cspwatch::msapi
