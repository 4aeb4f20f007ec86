// SPDX-License-Identifier: Apache-2.0
#include "daemon/http_endpoint.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/SHA2Engine.h>
#include <Poco/ThreadPool.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/logging.h"
#include "common/net_util.h"
#include "common/text.h"

namespace cspwatch::daemon {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// What every connection thread reads; immutable once the server runs.
struct Shared {
  HttpHandlers handlers;
  std::string token;  // empty: no token asked for
};

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
std::optional<std::string> bearerToken(const HTTPServerRequest& req) {
  const std::string value = req.get("Authorization", "");
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

enum class BodyCheck { kOk, kTooLarge };

// Past kMaxRequestBody a body is refused, but up to this much of it is still read (8 KiB at a
// time, and dropped) so that closing the connection sends the 413 to the client: closing with
// unread data would reset the connection and could lose the answer.
constexpr Poco::Int64 kDrainLimit = 1024 * 1024;

// Reads and drops the request body (no route takes one), so that the next request on a
// keep-alive connection starts where it should; says whether it was too large.
BodyCheck consumeBody(HTTPServerRequest& req) {
  if (req.hasContentLength() && req.getContentLength64() > kDrainLimit) return BodyCheck::kTooLarge;
  std::istream& in = req.stream();
  char buf[8192];
  Poco::Int64 total = 0;
  while (total <= kDrainLimit && (in.read(buf, sizeof buf) || in.gcount() > 0))
    total += in.gcount();
  return total > static_cast<Poco::Int64>(kMaxRequestBody) ? BodyCheck::kTooLarge : BodyCheck::kOk;
}

void send(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status,
          const std::string& content_type, const std::string& body) {
  resp.setStatusAndReason(status);
  resp.setContentType(content_type);
  resp.set("Cache-Control", "no-store");
  resp.set("X-Content-Type-Options", "nosniff");
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  resp.send() << body;
}

void sendText(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status, const std::string& body) {
  send(resp, status, "text/plain; charset=utf-8", body);
}

void sendJson(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status, const std::string& body) {
  send(resp, status, "application/json", body);
}

// One line: a handler's explanation must not break the response into several.
std::string oneLine(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return s;
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<const Shared> shared) : shared_(std::move(shared)) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    const std::string& uri = req.getURI();
    const std::string path = uri.substr(0, uri.find_first_of("?#"));
    const std::string& method = req.getMethod();
    try {
      serve(req, resp, path, method);
    } catch (const std::exception& e) {
      // Poco exceptions derive from std::exception too. The message stays in the log: it may
      // say more about the machine than a client needs to know.
      log().error("http: {} {}: {}", method, path, e.what());
      if (!resp.sent()) {
        resp.setKeepAlive(false);
        sendText(resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
      }
    }
  }

 private:
  void serve(HTTPServerRequest& req, HTTPServerResponse& resp, const std::string& path,
             const std::string& method) {
    // The token is checked before any body is read: a client without it costs no reading.
    bool authorized = shared_->token.empty();
    if (!authorized) {
      const auto given = bearerToken(req);
      authorized = given && sameSecret(*given, shared_->token);
    }
    if (!authorized && path != "/healthz") {
      // Everything but /healthz, unknown paths included, is behind the token when there is one.
      resp.setKeepAlive(false);  // an unread body may follow
      resp.set("WWW-Authenticate", "Bearer");
      sendText(resp, HTTPResponse::HTTP_UNAUTHORIZED, "unauthorized\n");
      return;
    }
    if (consumeBody(req) == BodyCheck::kTooLarge) {
      resp.setKeepAlive(false);  // some of the body may still be on its way
      sendText(resp, HTTPResponse::HTTP_REQUESTENTITYTOOLARGE, "request body too large\n");
      return;
    }
    const HttpHandlers& h = shared_->handlers;
    const bool get = method == "GET" || method == "HEAD";  // HEAD: Poco sends no body
    if (path == "/healthz") {
      if (!get) return methodNotAllowed(resp, "GET, HEAD");
      if (!h.health) throw std::runtime_error("no health handler");
      const auto [healthy, why] = h.health();
      // Without the token (when there is one) the answer says no more than ok or not: the
      // explanation may name files and errors.
      const std::string detail = authorized ? ": " + oneLine(why) : "";
      if (healthy)
        sendText(resp, HTTPResponse::HTTP_OK, "ok" + detail + "\n");
      else
        sendText(resp, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "unhealthy" + detail + "\n");
      return;
    }
    if (path == "/metrics") {
      if (!get) return methodNotAllowed(resp, "GET, HEAD");
      if (!h.metrics) throw std::runtime_error("no metrics handler");
      send(resp, HTTPResponse::HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", h.metrics());
      return;
    }
    if (path == "/v1/scan") {
      if (method != "POST") return methodNotAllowed(resp, "POST");
      if (!h.request_scan) throw std::runtime_error("no scan handler");
      if (h.request_scan())
        sendJson(resp, HTTPResponse::HTTP_ACCEPTED, "{\"accepted\":true}");
      else
        sendJson(resp, HTTPResponse::HTTP_CONFLICT, "{\"accepted\":false}");
      return;
    }
    sendText(resp, HTTPResponse::HTTP_NOT_FOUND, "not found\n");
  }

  static void methodNotAllowed(HTTPServerResponse& resp, const char* allow) {
    resp.set("Allow", allow);
    sendText(resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
  }

  std::shared_ptr<const Shared> shared_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<const Shared> shared) : shared_(std::move(shared)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(shared_);
  }

 private:
  std::shared_ptr<const Shared> shared_;
};

bool isDecimalPort(const std::string& s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; }) &&
         std::stoi(s) <= 65535;
}

// A token that can travel in a header: printable ASCII without spaces.
bool isUsableToken(const std::string& token) {
  return std::all_of(token.begin(), token.end(),
                     [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

Result<ListenAddress> parseListenAddress(const std::string& listen) {
  auto bad = [&](const std::string& why) {
    return Status::invalidArgument("listen address \"" + listen + "\": " + why +
                                   " (expected HOST:PORT, e.g. 127.0.0.1:9807 or [::1]:9807)");
  };
  std::string host, port;
  if (!listen.empty() && listen.front() == '[') {
    const std::size_t close = listen.find(']');
    if (close == std::string::npos) return bad("no closing bracket");
    host = listen.substr(1, close - 1);
    if (close + 1 >= listen.size() || listen[close + 1] != ':') return bad("no port");
    port = listen.substr(close + 2);
    in6_addr v6{};
    if (::inet_pton(AF_INET6, host.c_str(), &v6) != 1) return bad("not an IPv6 address");
  } else {
    const std::size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return bad("no port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string::npos) return bad("an IPv6 address goes in brackets");
    if (host.empty()) return bad("no host");
    in_addr v4{};
    if (toLowerAscii(host) == "localhost")
      host = "127.0.0.1";  // never looked up: minimal systems have no /etc/hosts
    else if (::inet_pton(AF_INET, host.c_str(), &v4) != 1)
      return bad("the host must be an IP address or localhost");
  }
  if (!isDecimalPort(port)) return bad("the port must be a number from 0 to 65535");
  return ListenAddress{host, std::stoi(port)};
}

struct HttpEndpoint::Impl {
  // Declared before the server: connection threads run in it until stop() has joined them.
  Poco::ThreadPool pool{"cspwatch-http", 1, kHttpThreads};
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::mutex mu;  // stop() from several threads
};

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
  registerSecret(options.token);  // should anything ever try to log it

  auto shared = std::make_shared<Shared>();
  shared->handlers = std::move(handlers);
  shared->token = options.token;

  auto impl = std::make_unique<Impl>();
  int port = 0;
  try {
    const Poco::Net::SocketAddress sa(Poco::Net::IPAddress(address->host),
                                      static_cast<Poco::UInt16>(address->port));
    Poco::Net::ServerSocket socket;
    // SO_REUSEADDR only: a restart binds despite connections in TIME_WAIT, but a port another
    // process listens on stays an error (SO_REUSEPORT would silently share it).
    if (sa.family() == Poco::Net::SocketAddress::IPv6)
      socket.bind6(sa, true, false, /*ipV6Only=*/true);
    else
      socket.bind(sa, true, false);
    socket.listen(64);
    port = socket.address().port();

    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(kHttpThreads);
    params->setMaxQueued(16);
    params->setTimeout(Poco::Timespan(10, 0));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    params->setMaxKeepAliveRequests(100);
    impl->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(std::move(shared)),
                                                           impl->pool, socket, params);
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return Status::unavailable("cannot listen on " + options.listen + ": " + e.displayText());
  } catch (const std::exception& e) {
    return Status::unavailable("cannot listen on " + options.listen + ": " + e.what());
  }
  return std::unique_ptr<HttpEndpoint>(new HttpEndpoint(std::move(impl), port));
}

HttpEndpoint::HttpEndpoint(std::unique_ptr<Impl> impl, int port)
    : impl_(std::move(impl)), port_(port) {}

HttpEndpoint::~HttpEndpoint() { stop(); }

void HttpEndpoint::stop() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!impl_->server) return;
  try {
    // Joins the acceptor (it polls every 250 ms), then shuts down every open connection's
    // socket, so a thread waiting for a keep-alive client's next request wakes at once.
    impl_->server->stopAll(true);
  } catch (const std::exception& e) {
    log().warn("http: stopping: {}", e.what());
  }
  // Handlers must not run once stop() has returned: wait for the connection threads.
  impl_->pool.joinAll();
  impl_->server.reset();  // closes the listening socket
}

}  // namespace cspwatch::daemon
