// SPDX-License-Identifier: Apache-2.0
#include "daemon/http_endpoint.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>

#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/SHA2Engine.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/logging.h"
#include "common/net_util.h"
#include "common/text.h"

namespace cspwatch::daemon {

namespace {

// SHA-256 of both, then every byte compared: the time taken says nothing about where (or
// whether) the tokens differ, nor about the token's length.
bool sameSecret(const std::string& given, const std::string& expected) {
  auto digest = [](const std::string& s) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(s);
    return engine.digest();
  };
  const auto a = digest(given);
  const auto b = digest(expected);
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

// The credentials of "Authorization: Bearer <token>" (scheme in any case), or nullopt.
std::optional<std::string> bearerToken(const RequestHead& req) {
  const std::string* field = req.field("authorization");
  const std::string value = field ? *field : "";
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() || toLowerAscii(value.substr(0, kScheme.size())) != kScheme)
    return std::nullopt;
  std::size_t begin = kScheme.size();
  if (value[begin] != ' ' && value[begin] != '\t') return std::nullopt;
  while (begin < value.size() && (value[begin] == ' ' || value[begin] == '\t')) ++begin;
  std::size_t end = value.size();
  while (end > begin && (value[end - 1] == ' ' || value[end - 1] == '\t')) --end;
  return value.substr(begin, end - begin);
}

HttpResponse text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse json(int status, std::string body) {
  HttpResponse r = text(status, std::move(body));
  r.content_type = "application/json";
  return r;
}

HttpResponse methodNotAllowed(const char* allow) {
  HttpResponse r = text(405, "method not allowed\n");
  r.headers.emplace_back("Allow", allow);
  return r;
}

// The routes and the token; immutable once serving, called from several threads.
class Router {
 public:
  Router(HttpHandlers handlers, std::string token)
      : handlers_(std::move(handlers)), token_(std::move(token)) {}

  // Before the body is read: a client without the token costs no reading.
  std::optional<HttpResponse> screen(const RequestHead& req) const {
    // Everything but /healthz, unknown paths included, is behind the token when there is one.
    if (authorized(req) || req.path == "/healthz") return std::nullopt;
    HttpResponse r = text(401, "unauthorized\n");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }

  HttpResponse serve(const RequestHead& req) const {
    const bool authorized = this->authorized(req);
    HttpResponse r;
    try {
      r = route(req, authorized);
    } catch (const std::exception& e) {
      // Poco exceptions derive from std::exception too. The message stays in the log: it may
      // say more about the machine than a client needs to know.
      log().error("http: {} {}: {}", req.method, req.path, e.what());
      r = text(500, "internal error\n");
    }
    // No keep-alive before authentication: a client without the token gets one answer per
    // connection, so it cannot hold connections open between requests.
    r.keep_alive = authorized && r.status != 500;
    return r;
  }

 private:
  bool authorized(const RequestHead& req) const {
    if (token_.empty()) return true;
    const auto given = bearerToken(req);
    return given && sameSecret(*given, token_);
  }

  HttpResponse route(const RequestHead& req, bool authorized) const {
    const bool get =
        req.method == "GET" || req.method == "HEAD";  // HEAD: the server drops the body
    if (req.path == "/healthz") {
      if (!get) return methodNotAllowed("GET, HEAD");
      if (!handlers_.health) throw std::runtime_error("no health handler");
      const auto [healthy, why] = handlers_.health();
      // Without the token (when there is one) the answer says no more than ok or not: the
      // explanation may name files and errors.
      // One line: a handler's explanation must not break the response into several.
      const std::string detail = authorized ? ": " + withoutLineBreaks(why) : "";
      return healthy ? text(200, "ok" + detail + "\n") : text(503, "unhealthy" + detail + "\n");
    }
    if (req.path == "/metrics") {
      if (!get) return methodNotAllowed("GET, HEAD");
      if (!handlers_.metrics) throw std::runtime_error("no metrics handler");
      HttpResponse r = text(200, handlers_.metrics());
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return r;
    }
    if (req.path == "/v1/scan") {
      if (req.method != "POST") return methodNotAllowed("POST");
      if (!handlers_.request_scan) throw std::runtime_error("no scan handler");
      return handlers_.request_scan() ? json(202, "{\"accepted\":true}")
                                      : json(409, "{\"accepted\":false}");
    }
    return text(404, "not found\n");
  }

  HttpHandlers handlers_;
  std::string token_;
};

// A token that can travel in a header: printable ASCII without spaces.
bool isUsableToken(const std::string& token) {
  return std::all_of(token.begin(), token.end(),
                     [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::start(const HttpEndpointOptions& options,
                                                          HttpHandlers handlers) {
  auto address = parseListenAddress(options.listen);
  if (!address) return address.status();
  if (!isUsableToken(options.token))
    return Status::invalidArgument(
        "the HTTP token holds spaces or control characters (a line end left from its file?)");
  if (!isLoopbackHost(address->host) && options.token.empty())
    return Status::invalidArgument("listen address " + options.listen +
                                   " is not loopback: a token is required");
  const HttpLimits& l = options.limits;
  if (l.max_connections == 0 || l.max_connections_per_client == 0 || l.head_timeout.count() <= 0 ||
      l.body_timeout.count() <= 0 || l.send_timeout.count() <= 0)
    return Status::invalidArgument("HTTP limits: every cap and timeout must be positive");
  registerSecret(options.token);  // should anything ever try to log it

  Poco::Net::ServerSocket socket;
  int port = 0;
  try {
    const Poco::Net::SocketAddress sa(Poco::Net::IPAddress(address->host),
                                      static_cast<Poco::UInt16>(address->port));
    // SO_REUSEADDR only: a restart binds despite connections in TIME_WAIT, but a port another
    // process listens on stays an error (SO_REUSEPORT would silently share it).
    if (sa.family() == Poco::Net::SocketAddress::IPv6)
      socket.bind6(sa, true, false, /*ipV6Only=*/true);
    else
      socket.bind(sa, true, false);
    socket.listen(64);
    port = socket.address().port();
  } catch (const Poco::Exception& e) {
    return Status::unavailable("cannot listen on " + options.listen + ": " + e.displayText());
  } catch (const std::exception& e) {
    return Status::unavailable("cannot listen on " + options.listen + ": " + e.what());
  }

  auto router = std::make_shared<const Router>(std::move(handlers), options.token);
  HttpServerHandlers calls;
  calls.screen = [router](const RequestHead& req) { return router->screen(req); };
  calls.serve = [router](const RequestHead& req) { return router->serve(req); };
  auto server = HttpServer::start(socket, options.limits, std::move(calls));
  if (!server) return server.status();
  return std::unique_ptr<HttpEndpoint>(new HttpEndpoint(std::move(*server), port));
}

HttpEndpoint::HttpEndpoint(std::unique_ptr<HttpServer> server, int port)
    : server_(std::move(server)), port_(port) {}

HttpEndpoint::~HttpEndpoint() { stop(); }

void HttpEndpoint::stop() { server_->stop(); }

}  // namespace cspwatch::daemon
