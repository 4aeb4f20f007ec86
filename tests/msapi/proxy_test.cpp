// SPDX-License-Identifier: Apache-2.0
// Proxies: which proxy serves which URL (the config, HTTPS_PROXY/HTTP_PROXY/NO_PROXY and their
// lower-case forms, loopback never), and HTTPS end to end through a real CONNECT proxy to a TLS
// server with a throwaway certificate trusted through network.ca_file. Everything runs on
// 127.0.0.1; the TLS server is addressed as localhost, so the end-to-end tests set the
// test-only proxy_loopback to send loopback through the proxy.
#include "msapi/proxy.h"

#include <cstdlib>
#include <string>
#include <thread>

#include <Poco/Base64Encoder.h>
#include <catch2/catch.hpp>

#include "msapi/http_client.h"
#include "tests/msapi/connect_proxy.h"
#include "tests/msapi/test_server.h"
#include "tests/support/smtp_server.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::msapi;
using cspwatch::testing::ConnectProxy;
using cspwatch::testing::Reply;
using cspwatch::testing::SeenRequest;
using cspwatch::testing::TempDir;
using cspwatch::testing::TestServer;

namespace {

// The proxy for `url`, "direct", or "error: ..." (a compact form for the table below).
std::string choice(const std::string& url, const ProxySettings& settings,
                   const ProxyEnvironment& env) {
  auto p = chooseProxy(url, settings, env);
  if (!p) return "error: " + p.status().message();
  if (!*p) return "direct";
  return (*p)->redacted() + (!(*p)->password.empty() ? " +password" : "") + " from " + (*p)->source;
}

std::string basic(const std::string& user_colon_password) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc << user_colon_password;
  enc.close();
  return "Basic " + out.str();
}

// A TLS server on 127.0.0.1 with a certificate for localhost and 127.0.0.1 from a throwaway CA.
// Reached directly it is addressed by its address: a minimal system may not resolve
// "localhost" (no /etc/hosts entry in a debootstrap root). Through the proxy it is addressed as
// localhost, which the test proxy resolves itself.
struct TlsServer {
  TempDir dir;
  testing::TestCertificates certs = testing::makeTestCertificates(dir.path() + "/certs");
  TestServer server{[](const SeenRequest& r) -> Reply {
                      return {200, R"({"path":")" + r.uri + R"("})"};
                    },
                    certs.cert_file, certs.key_file};
  std::string direct() const { return "https://127.0.0.1:" + std::to_string(server.port); }
};

// Sends one GET from a thread of its own, so its kept-alive connections (and the proxy's
// tunnel) close when it ends.
Result<HttpResponse> getOnce(const HttpClient& http, const std::string& url) {
  Result<HttpResponse> out = Status::unavailable("not sent");
  std::thread t([&] { out = http.send({"GET", url, {}, "", ""}); });
  t.join();
  return out;
}

}  // namespace

TEST_CASE("proxy choice: which proxy for which URL") {
  const ProxyEnvironment env{"http://envproxy:3128", "http://plainproxy:8080", ""};
  const std::string graph = "https://graph.microsoft.com/v1.0/organization";
  // HTTPS_PROXY for https, HTTP_PROXY for http (which we send only to loopback: never proxied).
  CHECK(choice(graph, {}, env) == "http://envproxy:3128 from $HTTPS_PROXY");
  CHECK(choice(graph, {}, {}) == "direct");
  // The config wins over the environment.
  CHECK(choice(graph, {"http://corp:8080", {}}, env) == "http://corp:8080 from network.proxy");
  CHECK(choice(graph, {"corp:8080", {}}, {}) == "http://corp:8080 from network.proxy");
  CHECK(choice(graph, {"http://corp", {}}, {}) == "http://corp:80 from network.proxy");
  CHECK(choice(graph, {"http://u%40x:p%3Aw@corp:8080/", {}}, {}) ==
        "http://u@x@corp:8080 +password from network.proxy");
  CHECK(choice(graph, {"http://[fd00::1]:3128", {}}, {}) ==
        "http://[fd00::1]:3128 from network.proxy");
  // Loopback never goes through a proxy: a proxy cannot reach our loopback.
  for (const std::string loop :
       {"https://127.0.0.1:8443/x", "https://127.8.9.10/x", "https://localhost:8443/x",
        "https://LOCALHOST/x", "https://[::1]:8443/x", "http://127.0.0.1:8080/pc/v1/customers"}) {
    INFO(loop);
    CHECK(choice(loop, {"http://corp:8080", {}}, env) == "direct");
  }
  // ...unless a test says so.
  CHECK(choice("https://localhost:8443/x", {"http://corp:8080", {}, true}, env) ==
        "http://corp:8080 from network.proxy");
  CHECK(choice("http://127.0.0.1:8080/x", {"http://corp:8080", {}, true}, env) ==
        "http://plainproxy:8080 from $HTTP_PROXY");
  // Names that only look like loopback are not.
  CHECK(choice("https://127.mail.example.com/x", {}, env) ==
        "http://envproxy:3128 from $HTTPS_PROXY");
  CHECK(choice("https://localhost.example.com/x", {}, env) ==
        "http://envproxy:3128 from $HTTPS_PROXY");
}

TEST_CASE("proxy choice: NO_PROXY and network.no_proxy add up") {
  const auto direct = [](const std::string& host, const std::vector<std::string>& config,
                         const std::string& env_list) {
    const ProxyEnvironment env{"http://envproxy:3128", "", env_list};
    return choice("https://" + host + "/x", {"", config}, env) == "direct";
  };
  CHECK(direct("graph.microsoft.com", {}, "graph.microsoft.com"));
  CHECK(direct("GRAPH.microsoft.com", {}, "graph.microsoft.COM"));
  CHECK(direct("graph.microsoft.com", {}, ".microsoft.com"));
  CHECK(direct("graph.microsoft.com", {}, "microsoft.com"));  // domain form too
  CHECK(direct("graph.microsoft.com", {}, "*.microsoft.com"));
  CHECK(direct("graph.microsoft.com", {}, "example.com, microsoft.com"));
  CHECK(direct("graph.microsoft.com", {}, "example.com microsoft.com"));
  CHECK(direct("graph.microsoft.com", {}, "*"));
  CHECK(direct("graph.microsoft.com", {}, "graph.microsoft.com:443"));
  CHECK(direct("graph.microsoft.com.", {}, "graph.microsoft.com"));
  CHECK(direct("10.1.2.3", {}, "10.1.2.3"));
  CHECK(direct("[fd00::5]", {}, "fd00::5"));
  CHECK_FALSE(direct("graph.microsoft.com", {}, ""));
  CHECK_FALSE(direct("graph.microsoft.com", {}, "login.microsoftonline.com"));
  CHECK_FALSE(direct("graph.microsoft.com", {}, "soft.com"));  // a suffix, not a domain
  CHECK_FALSE(direct("graph.microsoft.com", {}, "graph.microsoft.com.evil"));
  CHECK_FALSE(direct("microsoft.com.evil.example", {}, "microsoft.com"));
  // The config's list and the environment's add up.
  CHECK(direct("graph.microsoft.com", {"graph.microsoft.com"}, "example.com"));
  CHECK(direct("login.microsoftonline.com", {"graph.microsoft.com"}, "microsoftonline.com"));
  CHECK(direct("api.partnercenter.microsoft.com", {".microsoft.com", "example.org"}, ""));
  CHECK_FALSE(direct("login.microsoftonline.com", {"graph.microsoft.com"}, "example.com"));
}

TEST_CASE("proxy choice: malformed proxy URLs are errors that never show the password") {
  for (const std::string bad :
       {"https://u:hunter2-secret@corp:3128", "socks5://u:hunter2-secret@corp:1080",
        "http://u:hunter2-secret@corp:99999", "http://u:hunter2-secret@corp:80/path",
        "http://:hunter2-secret@corp:80", "http://u:hunter2-secret@:3128",
        "http://u:hunter2-secret@corp:", "http://u:hunter2-secret@corp:12ab"}) {
    INFO(bad);
    auto r = chooseProxy("https://graph.microsoft.com/", {bad, {}}, {});
    REQUIRE_FALSE(r);
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("network.proxy"));
    CHECK(r.status().message().find("hunter2") == std::string::npos);
  }
  auto env_bad = chooseProxy("https://graph.microsoft.com/", {}, {"ftp://corp", "", ""});
  REQUIRE_FALSE(env_bad);
  CHECK_THAT(env_bad.status().message(), Catch::Contains("$HTTPS_PROXY"));
  // A malformed proxy that does not apply is no error.
  CHECK(chooseProxy("https://localhost/", {"ftp://corp", {}}, {}));
}

TEST_CASE("proxy choice: the environment's upper-case names win, lower-case ones also work") {
  const char* names[] = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
                         "http_proxy",  "NO_PROXY",    "no_proxy"};
  std::vector<std::pair<std::string, std::string>> saved;
  for (const char* n : names) {
    if (const char* v = std::getenv(n)) saved.push_back({n, v});
    ::unsetenv(n);
  }
  ::setenv("https_proxy", "http://lower:1", 1);
  ::setenv("http_proxy", "http://lowerplain:2", 1);
  ::setenv("no_proxy", "a.example", 1);
  const ProxyEnvironment lower = ProxyEnvironment::fromProcess();
  ::setenv("HTTPS_PROXY", "http://upper:1", 1);
  ::setenv("NO_PROXY", "b.example", 1);
  ::setenv("HTTP_PROXY", "", 1);  // empty counts as unset
  const ProxyEnvironment upper = ProxyEnvironment::fromProcess();
  for (const char* n : names) ::unsetenv(n);
  for (const auto& [n, v] : saved) ::setenv(n.c_str(), v.c_str(), 1);
  CHECK(lower.https_proxy == "http://lower:1");
  CHECK(lower.http_proxy == "http://lowerplain:2");
  CHECK(lower.no_proxy == "a.example");
  CHECK(upper.https_proxy == "http://upper:1");
  CHECK(upper.http_proxy == "http://lowerplain:2");
  CHECK(upper.no_proxy == "b.example");
}

TEST_CASE("proxy: HTTPS goes through a CONNECT tunnel with Basic proxy authentication") {
  TlsServer tls;
  ConnectProxy proxy;
  HttpOptions options;
  const std::string password = "pr0xy-p@ss:word";
  options.network.proxy =
      "http://alice:pr0xy-p%40ss%3Aword@127.0.0.1:" + std::to_string(proxy.port());
  options.network.ca_file = tls.certs.ca_file;
  options.network.proxy_loopback = true;
  HttpClient http(options, ProxyEnvironment{});
  const std::string url = tls.server.base + "/graph/v1.0/organization";
  auto r = getOnce(http, url);
  INFO(r.status().message());
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == R"({"path":"/graph/v1.0/organization"})");
  const auto seen = proxy.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].request_line ==
        "CONNECT localhost:" + std::to_string(tls.server.port) + " HTTP/1.1");
  CHECK(seen[0].proxy_authorization == basic("alice:" + password));
  // Inside the tunnel the server sees an ordinary request: no proxy credentials reach it.
  const auto at_server = tls.server.requests();
  REQUIRE(at_server.size() == 1);
  CHECK_FALSE(at_server[0].has("proxy-authorization"));
  CHECK(startsWith(at_server[0].header("user-agent"), "cspwatch/"));
}

TEST_CASE("proxy: from HTTPS_PROXY, without credentials, no Proxy-Authorization") {
  TlsServer tls;
  ConnectProxy proxy;
  HttpOptions options;
  options.network.ca_file = tls.certs.ca_file;
  options.network.proxy_loopback = true;
  HttpClient http(options, ProxyEnvironment{proxy.url(), "", ""});
  auto r = getOnce(http, tls.server.base + "/x");
  INFO(r.status().message());
  REQUIRE(r);
  const auto seen = proxy.seen();
  REQUIRE(seen.size() == 1);
  CHECK_FALSE(seen[0].had_proxy_authorization);
}

TEST_CASE("proxy: NO_PROXY and network.no_proxy hosts are reached directly") {
  TlsServer tls;
  ConnectProxy proxy;
  HttpOptions options;
  options.network.ca_file = tls.certs.ca_file;
  options.network.proxy_loopback = true;
  options.network.proxy = proxy.url();
  SECTION("network.no_proxy") {
    options.network.no_proxy = {"example.com", "127.0.0.1"};
    auto r = getOnce(HttpClient(options, ProxyEnvironment{}), tls.direct() + "/x");
    INFO(r.status().message());
    REQUIRE(r);
  }
  SECTION("$NO_PROXY") {
    auto r = getOnce(HttpClient(options, ProxyEnvironment{"", "", "example.com,127.0.0.1"}),
                     tls.direct() + "/x");
    INFO(r.status().message());
    REQUIRE(r);
  }
  CHECK(proxy.seen().empty());
  CHECK(tls.server.requests().size() == 1);
}

TEST_CASE("proxy: loopback is never proxied, even with a proxy configured") {
  TlsServer tls;
  ConnectProxy proxy;
  HttpOptions options;
  options.network.ca_file = tls.certs.ca_file;
  options.network.proxy = proxy.url();  // proxy_loopback stays false, as in the program
  auto r = getOnce(HttpClient(options, ProxyEnvironment{proxy.url(), proxy.url(), ""}),
                   tls.direct() + "/x");
  INFO(r.status().message());
  REQUIRE(r);
  CHECK(proxy.seen().empty());
}

TEST_CASE("proxy: a refused tunnel is an error that names the proxy, never its password") {
  TlsServer tls;
  ConnectProxy proxy(407);
  HttpOptions options;
  options.network.proxy = "http://alice:wr0ng-secret-pw@127.0.0.1:" + std::to_string(proxy.port());
  options.network.ca_file = tls.certs.ca_file;
  options.network.proxy_loopback = true;
  auto r = getOnce(HttpClient(options, ProxyEnvironment{}), tls.server.base + "/x");
  REQUIRE_FALSE(r);
  CHECK(r.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(r.status().message(), Catch::Contains("through the proxy http://alice@127.0.0.1"));
  CHECK(r.status().message().find("wr0ng-secret-pw") == std::string::npos);
  CHECK(tls.server.requests().empty());
}

TEST_CASE("ca_file: the throwaway CA is trusted only through network.ca_file") {
  TlsServer tls;
  // Without it the certificate is refused (it is not in the system's store)...
  auto refused = getOnce(HttpClient(HttpOptions{}, ProxyEnvironment{}), tls.direct() + "/x");
  REQUIRE_FALSE(refused);
  // ...with it, accepted.
  HttpOptions options;
  options.network.ca_file = tls.certs.ca_file;
  auto r = getOnce(HttpClient(options, ProxyEnvironment{}), tls.direct() + "/x");
  INFO(r.status().message());
  REQUIRE(r);
  CHECK(r->status == 200);
  // A CA file that cannot be read is a clear error.
  options.network.ca_file = tls.dir.path() + "/missing.pem";
  auto missing = getOnce(HttpClient(options, ProxyEnvironment{}), tls.direct() + "/x");
  REQUIRE_FALSE(missing);
  CHECK(missing.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(missing.status().message(), Catch::Contains("missing.pem"));
}
