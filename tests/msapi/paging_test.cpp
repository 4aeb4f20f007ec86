// SPDX-License-Identifier: Apache-2.0
// What Partner Center really sends: a UTF-8 byte-order mark before every answer, and next-page
// links in several forms (with /v1, without, relative, absolute) with the headers to send
// along. Over a real HTTP server on 127.0.0.1 serving Partner Center under a path prefix (/pc),
// as the simulator does.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "msapi/api_client.h"
#include "msapi/token_provider.h"
#include "tests/msapi/test_server.h"

using namespace cspwatch;
using namespace cspwatch::msapi;
using cspwatch::testing::Reply;
using cspwatch::testing::SeenRequest;
using cspwatch::testing::TestServer;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kPartner = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
const std::string kBom = "\xEF\xBB\xBF";

// An ApiClient with app-only tokens from `base`/login, and no proxy from the environment.
struct Client {
  HttpClient http{HttpOptions{}, ProxyEnvironment{}};
  ManualClock clock{kNow};
  TokenProvider tokens;
  Cancellation cancel;
  ApiClient api;
  static Credentials credentials(const std::string& base) {
    Credentials c;
    c.login_url = base + "/login";
    c.client_id = "11111111-2222-4333-8444-555555555555";
    c.client_secret = "s";
    return c;
  }
  static ApiOptions fast() {
    ApiOptions o;
    o.backoff_base = std::chrono::milliseconds(10);
    return o;
  }
  explicit Client(const std::string& base)
      : tokens(credentials(base), http, clock), api(http, tokens, cancel, fast()) {}
};

// The ids of every item of every page, in order.
Status pageIds(ApiClient& api, const std::string& url, std::vector<std::string>& ids) {
  return api.pagePartnerCenter(
      {Api::kPartnerCenter, url, kPartner, false, {}}, [&ids](const Poco::JSON::Array::Ptr& items) {
        for (size_t i = 0; i < items->size(); ++i)
          ids.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("id"));
      });
}

}  // namespace

TEST_CASE("partner center links: each form resolves below the configured root, with /v1") {
  const std::string root = "https://api.partnercenter.microsoft.com";
  CHECK(*resolvePartnerCenterLink(root, "/v1/customers?seekOperation=Next") ==
        root + "/v1/customers?seekOperation=Next");
  CHECK(*resolvePartnerCenterLink(root, "/customers?seekOperation=Next") ==
        root + "/v1/customers?seekOperation=Next");
  CHECK(*resolvePartnerCenterLink(root, "customers?seekOperation=Next") ==
        root + "/v1/customers?seekOperation=Next");
  CHECK(*resolvePartnerCenterLink(root, "/V1/customers") == root + "/V1/customers");
  CHECK(*resolvePartnerCenterLink(root, "v1/customers") == root + "/v1/customers");
  CHECK(*resolvePartnerCenterLink(root, "/v1") == root + "/v1");
  CHECK(*resolvePartnerCenterLink(root, "/v1customers") == root + "/v1/v1customers");
  CHECK(*resolvePartnerCenterLink(root + "/", "/customers/x/profiles/company") ==
        root + "/v1/customers/x/profiles/company");
  // A root with a path of its own (the simulator's).
  const std::string sim = "http://127.0.0.1:8080/pc";
  CHECK(*resolvePartnerCenterLink(sim, "/customers?a=b") == sim + "/v1/customers?a=b");
  CHECK(*resolvePartnerCenterLink(sim, "/v1/customers?a=b") == sim + "/v1/customers?a=b");
  // Absolute: as given, on the same server only (scheme, host and port; the default port
  // written out is the same port).
  CHECK(*resolvePartnerCenterLink(root, root + "/v1/customers?x=1") == root + "/v1/customers?x=1");
  CHECK(*resolvePartnerCenterLink(root, "HTTPS://API.partnercenter.microsoft.com:443/v1/c") ==
        "HTTPS://API.partnercenter.microsoft.com:443/v1/c");
  CHECK(*resolvePartnerCenterLink(root, "//api.partnercenter.microsoft.com/v1/c") ==
        "https://api.partnercenter.microsoft.com/v1/c");
  for (const std::string elsewhere :
       {"https://evil.example/v1/customers", "http://api.partnercenter.microsoft.com/v1/c",
        "https://api.partnercenter.microsoft.com:8443/v1/c", "//evil.example/v1/customers",
        "ftp://api.partnercenter.microsoft.com/v1/c"}) {
    auto r = resolvePartnerCenterLink(root, elsewhere);
    INFO(elsewhere);
    REQUIRE_FALSE(r);
    CHECK(r.status().code() == Status::Code::kCorruption);
    CHECK_THAT(r.status().message(), Catch::Contains("another server"));
  }
  CHECK_FALSE(resolvePartnerCenterLink(root, "  "));
}

TEST_CASE("partner center links: every form of links.next is followed, with its headers") {
  // The form under test; "{base}" is the server's own http://127.0.0.1:PORT.
  const auto row = GENERATE(table<std::string, std::string>({
      {"/v1/customers?seekOperation=Next", "/pc/v1/customers?seekOperation=Next"},
      {"/customers?seekOperation=Next", "/pc/v1/customers?seekOperation=Next"},
      {"customers?seekOperation=Next", "/pc/v1/customers?seekOperation=Next"},
      {"{base}/pc/v1/customers?seekOperation=Next", "/pc/v1/customers?seekOperation=Next"},
  }));
  const std::string form = std::get<0>(row);
  const std::string expected_path = std::get<1>(row);
  std::string base;
  TestServer server([&](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) return {200, R"({"access_token":"t","expires_in":3600})"};
    if (r.uri == "/pc/v1/customers?size=2") {
      const std::string uri = replaceAll(form, "{base}", base);
      return {200,
              kBom + R"({"items":[{"id":"a"},{"id":"b"}],"links":{"next":{"uri":")" + uri +
                  R"(","method":"GET","headers":[{"key":"MS-ContinuationToken","value":"tok1"},)"
                  R"({"key":"X-Extra","value":"y"}]}}})"};
    }
    if (r.uri == "/pc/v1/customers?seekOperation=Next")
      return {200, kBom + R"({"items":[{"id":"c"}],"links":{"self":{"uri":"/customers"}}})"};
    return {404, R"({"code":600,"description":"no such page"})"};
  });
  base = server.base;
  Client client(server.base);
  std::vector<std::string> ids;
  INFO(form);
  const Status s = pageIds(client.api, server.base + "/pc/v1/customers?size=2", ids);
  INFO(s.message());
  REQUIRE(s);
  CHECK(ids == std::vector<std::string>{"a", "b", "c"});
  const auto second = server.requests(expected_path);
  REQUIRE(second.size() == 1);
  CHECK(second[0].header("ms-continuationtoken") == "tok1");
  CHECK(second[0].header("x-extra") == "y");
  CHECK(second[0].header("authorization") == "Bearer t");
}

TEST_CASE("partner center links: an absolute link to another server is refused unsent") {
  TestServer elsewhere([](const std::string&) -> std::pair<int, std::string> {
    return {200, R"({"items":[]})"};
  });
  // The same machine under another name is another server too: the token is bound to a name.
  const std::string other_name =
      "http://localhost:" + std::to_string(elsewhere.port) + "/pc/v1/customers?seekOperation=Next";
  const std::string same_name = elsewhere.base + "/pc/v1/customers?seekOperation=Next";
  const std::string link = GENERATE_COPY(same_name, other_name);
  TestServer server([&](const std::string& path) -> std::pair<int, std::string> {
    if (startsWith(path, "/login/")) return {200, R"({"access_token":"t","expires_in":3600})"};
    return {200, R"({"items":[{"id":"a"}],"links":{"next":{"uri":")" + link +
                     R"(","headers":[{"key":"MS-ContinuationToken","value":"x"}]}}})"};
  });
  Client client(server.base);
  std::vector<std::string> ids;
  const Status s = pageIds(client.api, server.base + "/pc/v1/customers?size=2", ids);
  CHECK(s.code() == Status::Code::kCorruption);
  CHECK_THAT(s.message(), Catch::Contains("another server"));
  CHECK(elsewhere.requests().empty());
}

TEST_CASE("partner center links: without links.next, the continuation token is followed") {
  TestServer server([](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) return {200, R"({"access_token":"t","expires_in":3600})"};
    if (r.uri == "/pc/v1/customers?size=2")
      return {200, R"({"items":[{"id":"a"}],"continuationToken":"ct-1"})"};
    if (r.uri == "/pc/v1/customers?seekOperation=Next" &&
        r.header("ms-continuationtoken") == "ct-1")
      return {200, R"({"items":[{"id":"b"}]})"};
    return {404, "{}"};
  });
  Client client(server.base);
  std::vector<std::string> ids;
  const Status s = pageIds(client.api, server.base + "/pc/v1/customers?size=2", ids);
  INFO(s.message());
  REQUIRE(s);
  CHECK(ids == std::vector<std::string>{"a", "b"});
}

TEST_CASE("partner center links: a header that would split the request is refused, not sent") {
  TestServer server([](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) return {200, R"({"access_token":"t","expires_in":3600})"};
    if (r.uri == "/pc/v1/customers?size=2")
      return {200, R"({"items":[],"links":{"next":{"uri":"/customers?seekOperation=Next",)"
                   R"("headers":[{"key":"MS-ContinuationToken","value":"x\r\nX-Injected: 1"}]}}})"};
    return {200, R"({"items":[]})"};
  });
  Client client(server.base);
  std::vector<std::string> ids;
  const Status s = pageIds(client.api, server.base + "/pc/v1/customers?size=2", ids);
  CHECK_FALSE(s);
  CHECK_THAT(s.message(), Catch::Contains("line break"));
  CHECK(server.requests("/pc/v1/customers?seekOperation").empty());
}

TEST_CASE("byte-order mark: a success body and an error body that start with one are read") {
  TestServer server([](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) return {200, R"({"access_token":"t","expires_in":3600})"};
    if (startsWith(r.uri, "/pc/v1/customers/ok"))
      return {200, kBom + R"({"id":"ok","companyProfile":{"domain":"contoso.example"}})"};
    if (startsWith(r.uri, "/gz/pc/v1/customers/ok"))  // compressed: the mark is inside
      return {200, kBom + R"({"id":"gz"})"};
    return {403, kBom + R"({"code":900,"errorName":"Forbidden","description":"no DAP here"})"};
  });
  Client client(server.base);
  auto ok = client.api.getJson(
      {Api::kPartnerCenter, server.base + "/pc/v1/customers/ok", kPartner, false, {}});
  INFO(ok.status().message());
  REQUIRE(ok);
  CHECK((*ok)->getValue<std::string>("id") == "ok");
  auto gz = client.api.getJson(
      {Api::kPartnerCenter, server.base + "/gz/pc/v1/customers/ok", kPartner, false, {}});
  REQUIRE(gz);
  CHECK((*gz)->getValue<std::string>("id") == "gz");
  // The error body's code and description reach the message: it was parsed.
  auto refused = client.api.getJson(
      {Api::kPartnerCenter, server.base + "/pc/v1/customers/no", kPartner, false, {}});
  REQUIRE_FALSE(refused);
  CHECK(refused.status().message() == "HTTP 403: Forbidden: no DAP here");
  // A list with a mark on every page pages through.
  std::vector<std::string> ids;
  TestServer lists([](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) return {200, R"({"access_token":"t","expires_in":3600})"};
    return {200, kBom + R"({"items":[{"id":"a"}]})"};
  });
  Client list_client(lists.base);
  const Status s = pageIds(list_client.api, lists.base + "/pc/v1/customers?size=2", ids);
  INFO(s.message());
  CHECK(s);
  CHECK(ids == std::vector<std::string>{"a"});
}

TEST_CASE("partner center links: items may be null or absent where the caller allows it") {
  TestServer server([](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) return {200, R"({"access_token":"t","expires_in":3600})"};
    if (startsWith(r.uri, "/pc/v1/customers/null")) return {200, R"({"items":null})"};
    if (startsWith(r.uri, "/pc/v1/customers/absent")) return {200, R"({"totalCount":0})"};
    return {200, R"({"items":"not a list"})"};
  });
  Client client(server.base);
  for (const std::string which : {"null", "absent", "string"}) {
    INFO(which);
    const std::string url = server.base + "/pc/v1/customers/" + which + "/relationships";
    int pages = 0;
    const auto count = [&pages](const Poco::JSON::Array::Ptr& items) {
      CHECK(items);
      CHECK(items->size() == 0);
      ++pages;
    };
    const Status strict =
        client.api.pagePartnerCenter({Api::kPartnerCenter, url, kPartner, false, {}}, count);
    CHECK(strict.code() == Status::Code::kCorruption);
    const Status lenient =
        client.api.pagePartnerCenter({Api::kPartnerCenter, url, kPartner, false, {}}, count, true);
    if (which == "string") {
      CHECK(lenient.code() == Status::Code::kCorruption);
      CHECK(pages == 0);
    } else {
      CHECK(lenient);
      CHECK(pages == 1);
    }
  }
}
