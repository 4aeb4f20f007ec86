// SPDX-License-Identifier: Apache-2.0
// The daemon's HTTP request reader: heads found byte by byte and parsed strictly (the reader's
// functions alone), and the answers the endpoint gives to malformed, oversized and unusual
// requests over a raw connection on 127.0.0.1 (411, 431, 505, 400, "Expect: 100-continue",
// HEAD).
#include "daemon/http_request_reader.h"

#include <chrono>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "common/text.h"
#include "daemon/http_endpoint.h"
#include "tests/daemon/http_test_support.h"
#include "tests/support/http_client.h"

using namespace cspwatch;
using namespace cspwatch::daemon;
using namespace cspwatch::testing::http;

TEST_CASE("http: request heads are read strictly", "[http]") {
  Fake fake;
  auto endpoint = startOk(fake.handlers(), "127.0.0.1:0");
  auto answer = [&](const std::string& bytes) {
    RawConnection c(endpoint->port());
    c.send(bytes);
    c.waitFor([](const std::string& r) { return r.find("\r\n\r\n") != r.npos; },
              milliseconds(2000));
    return c.received().substr(0, c.received().find("\r\n"));
  };
  std::string many_fields;
  for (int i = 0; i < 65; ++i) many_fields += "X-" + std::to_string(i) + ": y\r\n";

  CHECK(
      answer("POST /v1/scan HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") ==
      "HTTP/1.1 411 Length Required");
  CHECK(answer(request("GET", "/healthz", "X-Big: " + std::string(9000, 'a') + "\r\n")) ==
        "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(answer(request("GET", "/healthz", many_fields)) ==
        "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(answer("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n") ==
        "HTTP/1.1 505 HTTP Version Not Supported");
  CHECK(answer("GET /healthz HTTP/1.1\r\n\r\n") == "HTTP/1.1 400 Bad Request");  // no Host
  CHECK(answer(request("GET", "/healthz", "Bad Name: y\r\n")) == "HTTP/1.1 400 Bad Request");
  CHECK(answer("GET /healthz HTTP/1.1\nHost: x\n\n") == "HTTP/1.1 400 Bad Request");
  CHECK(answer(request("POST", "/v1/scan", "Content-Length: 1\r\nContent-Length: 2\r\n")) ==
        "HTTP/1.1 400 Bad Request");
  CHECK(answer("GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: x\r\n\r\n") ==
        "HTTP/1.1 400 Bad Request");
  CHECK(fake.scan_requests == 0);

  // "Expect: 100-continue" is honoured, and HEAD has GET's length but no body.
  RawConnection c(endpoint->port());
  REQUIRE(c.send(request("POST", "/v1/scan", "Content-Length: 2\r\nExpect: 100-continue\r\n")));
  REQUIRE(
      c.waitFor([](const std::string& r) { return startsWith(r, "HTTP/1.1 100 Continue\r\n\r\n"); },
                milliseconds(2000)));
  REQUIRE(c.send("{}" + request("HEAD", "/metrics")));
  REQUIRE(c.waitFor([](const std::string& r) { return count(r, "\r\n\r\n") == 3; },
                    milliseconds(2000)));
  CHECK(c.received().find("HTTP/1.1 202") != std::string::npos);
  CHECK(toLowerAscii(c.received()).find("content-length: 30\r\n") != std::string::npos);
  CHECK(c.received().find("# HELP") == std::string::npos);
  CHECK(fake.scan_requests == 1);
}

TEST_CASE("http: the request reader finds heads byte by byte and refuses malformed ones",
          "[http]") {
  const std::string head =
      "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n"
      "Content-Length: 0\r\nAuthorization:  Bearer t \r\n\r\nGET /";
  std::size_t scanned = 0, end = 0;
  for (std::size_t n = 1; n <= head.size() && end == 0; ++n)
    end = findHeadEnd(std::string_view(head).substr(0, n), scanned);
  REQUIRE(end == head.size() - 5);

  const HeadParse p = parseRequestHead(std::string_view(head).substr(0, end));
  REQUIRE(p.error_status == 0);
  CHECK(p.head.method == "GET");
  CHECK(p.head.target == "/metrics?x=1");
  CHECK(p.head.path == "/metrics");
  CHECK(p.head.content_length == 0u);
  CHECK_FALSE(p.head.keep_alive);
  REQUIRE(p.head.field("authorization"));
  CHECK(*p.head.field("authorization") == "Bearer t");
  CHECK(parseRequestHead("GET / HTTP/1.0\r\n\r\n").head.keep_alive == false);
  CHECK(parseRequestHead("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").head.keep_alive);
  CHECK(parseRequestHead("GET / HTTP/1.1\r\nHost: a\r\n\r\n").head.keep_alive);

  for (const char* bad :
       {"", "\r\n\r\n", "GET / HTTP/1.1\r\n", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / http/1.1\r\nHost: a\r\n\r\n"}) {
    INFO(testing::urlEncode(bad));
    CHECK(parseRequestHead(bad).error_status == 400);
  }
  CHECK(parseRequestHead("GET / HTTP/1.2\r\nHost: a\r\n\r\n").error_status == 505);
  CHECK(parseRequestHead(std::string(kMaxHeadBytes + 1, 'a')).error_status == 431);
}
