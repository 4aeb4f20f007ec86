// SPDX-License-Identifier: Apache-2.0
// The simulator's Partner Center answers against Microsoft's documented example bodies
// (tests/contract/data/partner-center/), over generated worlds and the demo world: every key
// the simulator sends must be documented at that path with that JSON kind, objectTypes must be
// the documented ones, link URIs of a documented form, and the body nothing but JSON after an
// optional UTF-8 BOM. Deviations are gathered and printed, one line per route and path.
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <tuple>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include "sim/generator.h"
#include "tests/contract/sim_client.h"

using namespace cspwatch;
using namespace cspwatch::contract;
using Poco::Dynamic::Var;
using Poco::JSON::Object;
using testing::HttpResult;

namespace {

Var doc(const std::string& name) { return readJsonFile(dataPath("partner-center/" + name)); }

// The documented error bodies (get-partner-by-mpn-id.md 404, verify-indirect-reseller-mpa-
// status.md 400): {"code": number, "description": string, "data": [string...], "source"}.
const PcShape& errorShape() {
  static const PcShape shape = [] {
    PcShape s = PcShape::of(doc("error-get-partner-by-mpn-id-404.json"));
    s.merge(doc("error-verify-indirect-reseller-mpa-status-400.json"));
    return s;
  }();
  return shape;
}

// A Partner Center answer: parsed after its optional BOM; when 200 checked against `shape` and
// for its links, else as an error body. Returns the parsed 200 body (empty otherwise).
Var checkPc(const HttpResult& r, const std::string& route, const PcShape& shape, DeviationLog& log,
            const std::string& where, std::set<std::string>* omitted = nullptr) {
  Var body = pcJson(r, route, log, where);
  if (body.isEmpty()) return body;
  const bool ok = r.status == 200;
  const std::string key = ok ? route : route + " -> " + std::to_string(r.status);
  PcShape::Result result = (ok ? shape : errorShape()).check(body);
  log.add(key, result.problems, where);
  if (ok) log.add(key, checkPcLinks(body), where);
  if (omitted != nullptr && ok) omitted->insert(result.omitted.begin(), result.omitted.end());
  return ok ? body : Var();
}

std::string list(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += "  " + x + "\n";
  return out;
}

void report(const DeviationLog& log) {
  INFO("Simulator deviations from Partner Center's documented bodies:\n" << log.report());
  CHECK(log.empty());
}

// Roles with which get-a-customer-by-id returns CompanyProfileAddress, CompanyProfileEmail and
// CustomDomain without DAP (Learn, "GDAP roles"; en-us and en-gb copies list different ones,
// all are taken): Global Administrator, Directory Writers, Global Reader, Domain Name
// Administrator.
const std::set<std::string> kDetailRoles = {
    "62e90394-69f5-4237-9190-012177145e10", "9360feb5-f418-4baa-8175-e2a00bac4301",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451", "8329153b-31d0-4727-b945-745eb3bc5f31"};

bool holdsDetailRole(const tenants::Tenant& t, const std::string& partner) {
  if (!t.admin_relationships) return false;
  for (const auto& r : *t.admin_relationships) {
    if (r.partner_tenant_id != partner || (r.status != "active" && r.status != "expiring"))
      continue;
    for (const auto& role : r.role_definition_ids)
      if (kDetailRoles.count(role) != 0) return true;
  }
  return false;
}

// Every page of a Partner Center collection, read as Microsoft's SDK does
// (BaseResourceCollectionEnumerator): links.next's uri (with /v1 put back when missing,
// PartnerServiceProxy.BuildPartnerServiceApiUri) and its headers as request headers.
struct PcWalk {
  std::vector<Object::Ptr> items;  // of every page
  int status = 200;                // of the last page
  size_t pages = 0;
};

PcWalk walkPc(SimClient& sim, const std::string& first, const std::string& token,
              const std::string& route, const PcShape& shape, DeviationLog& log,
              const std::string& where, std::set<std::string>& omitted) {
  PcWalk walk;
  std::string uri = first;
  std::map<std::string, std::string> headers;
  std::string page_route = route;
  while (!uri.empty() && walk.pages < 10000) {
    HttpResult r = sim.get("/pc" + uri, token, headers);
    ++walk.pages;
    walk.status = r.status;
    uri.clear();
    Var body = checkPc(r, page_route, shape, log, where, &omitted);
    if (body.isEmpty()) break;
    Object::Ptr o = body.extract<Object::Ptr>();
    auto items = o->getArray("items");
    if (items) {
      for (size_t i = 0; i < items->size(); ++i)
        if (auto item = items->getObject(i)) walk.items.push_back(item);
      // ResourceCollection.TotalCount is the count of the items in this body; the doc's pages
      // agree (invoice line items: 2 on page one, 1 on page two).
      if (o->has("totalCount") && o->get("totalCount").isInteger() &&
          o->getValue<int64_t>("totalCount") != static_cast<int64_t>(items->size()))
        log.add(page_route, "$.totalCount",
                std::to_string(o->getValue<int64_t>("totalCount")) + " for a page of " +
                    std::to_string(items->size()) + " items",
                where);
    }
    auto links = o->getObject("links");
    auto next = links ? links->getObject("next") : Object::Ptr();
    if (!next || !next->has("uri")) break;
    uri = next->getValue<std::string>("uri");
    if (uri.rfind("/v1/", 0) != 0) uri = "/v1" + uri;
    headers.clear();
    if (auto h = next->getArray("headers"))
      for (size_t i = 0; i < h->size(); ++i)
        if (auto kv = h->getObject(i); kv && kv->has("key") && kv->has("value"))
          headers[kv->getValue<std::string>("key")] = kv->getValue<std::string>("value");
    page_route = route + " (links.next)";
  }
  return walk;
}

bool hasCompanyEmail(const tenants::Tenant& t) {
  if (t.contacts)
    for (const auto& c : *t.contacts)
      if (c.purpose == "company" && c.source == "partner_center" && !c.address.empty()) return true;
  return false;
}

}  // namespace

TEST_CASE("contract: Partner Center customer pages match the documented list example") {
  // get-a-list-of-customers.md documents a page; the seek form (links.next with its
  // MS-ContinuationToken header, and continuationToken) is documented on other seek collections.
  PcShape shape = PcShape::of(doc("get-a-list-of-customers.json"));
  shape.merge(doc("supplement-seek-paging.json"));
  DeviationLog log;
  std::set<std::string> omitted;
  for (auto& w : contractWorlds()) {
    SimClient sim(std::move(w.world));
    const std::string token = sim.appToken(sim.partner(), kPcScope);
    size_t expected = 0;
    for (const auto& t : sim.world().tenants) expected += t.in_customer_list.value_or(false);
    for (const char* first : {"/v1/customers?size=7", "/v1/customers?size=100"}) {
      PcWalk walk =
          walkPc(sim, first, token, "GET /v1/customers?size=N", shape, log, w.name, omitted);
      std::set<std::string> seen;
      for (const auto& item : walk.items)
        if (item->has("id")) seen.insert(item->getValue<std::string>("id"));
      if (walk.status == 200 && seen.size() != expected)
        log.add("GET /v1/customers (all pages)", "$.items",
                std::to_string(seen.size()) + " distinct customers over " +
                    std::to_string(walk.pages) + " pages, the world has " +
                    std::to_string(expected),
                w.name);
    }
  }
  WARN("Documented keys the simulator's customer pages leave out:\n" << list(omitted));
  report(log);
}

TEST_CASE("contract: Partner Center customer by id matches the documented example") {
  const PcShape shape = PcShape::of(doc("get-a-customer-by-id.json"));
  DeviationLog log;
  std::set<std::string> omitted;
  size_t bodies = 0;
  for (auto& w : contractWorlds()) {
    SimClient sim(std::move(w.world));
    const std::string token = sim.appToken(sim.partner(), kPcScope);
    for (const auto& t : sim.world().tenants) {
      if (!t.in_customer_list.value_or(false)) continue;
      HttpResult r = sim.get("/pc/v1/customers/" + t.id, token);
      bodies += !checkPc(r, "GET /v1/customers/{id}", shape, log, w.name, &omitted).isEmpty();
    }
  }
  CHECK(bodies > 500);
  WARN("Documented keys the simulator's customer-by-id answers leave out:\n" << list(omitted));
  report(log);
}

TEST_CASE(
    "contract: Partner Center customer by id returns address, email and custom domains only with "
    "DAP or a GDAP role") {
  // get-a-customer-by-id.md: "The Get Customer ID API call will not return the following
  // attributes back in the response if the partner doesn't have DAP access on the customer
  // tenant. Otherwise, it will return all the attributes listed in the response sample.
  // CompanyProfileAddress, CompanyProfileEmail, CustomDomain"; current Learn adds GDAP roles.
  DeviationLog log;
  size_t withheld = 0, served = 0;
  for (auto& w : contractWorlds()) {
    SimClient sim(std::move(w.world));
    const std::string token = sim.appToken(sim.partner(), kPcScope);
    for (const auto& t : sim.world().tenants) {
      if (!t.in_customer_list.value_or(false)) continue;
      HttpResult r = sim.get("/pc/v1/customers/" + t.id, token);
      if (r.status != 200) continue;
      Var body = pcJson(r, "GET /v1/customers/{id}", log, w.name);
      if (body.isEmpty()) continue;
      Object::Ptr o = body.extract<Object::Ptr>();
      Object::Ptr company = o->getObject("companyProfile");
      const bool dap = o->has("allowDelegatedAccess") &&
                       o->get("allowDelegatedAccess").isBoolean() &&
                       o->getValue<bool>("allowDelegatedAccess");
      const bool access = dap || holdsDetailRole(t, sim.partner());
      const std::string route = access ? "GET /v1/customers/{id} (with DAP or a GDAP role)"
                                       : "GET /v1/customers/{id} (no DAP, no GDAP role)";
      (access ? served : withheld)++;
      // (path, present, expected with access): an email only when the world has one on file.
      const std::vector<std::tuple<std::string, bool, bool>> fields = {
          {"$.companyProfile.address", company && company->has("address"), true},
          {"$.companyProfile.email", company && company->has("email"), hasCompanyEmail(t)},
          {"$.customDomains", o->has("customDomains"), true}};
      for (const auto& [path, present, expected] : fields) {
        if (!access && present)
          log.add(route, path,
                  "present, though the doc says it is not returned without DAP or one of the "
                  "GDAP roles Global Administrator, Directory Writers, Global Reader, Domain "
                  "Name Administrator",
                  w.name);
        if (access && expected && !present)
          log.add(route, path,
                  "absent, though with DAP or such a GDAP role the doc says \"it will return all "
                  "the attributes listed in the response sample\"",
                  w.name);
      }
    }
  }
  CHECK(withheld > 0);
  CHECK(served > 0);
  report(log);
}

TEST_CASE("contract: Partner Center relationships match the documented example") {
  // get-indirect-resellers-of-a-customer.md shows one page without links; a collection long
  // enough to page carries the seek links other collections document.
  PcShape shape = PcShape::of(doc("get-indirect-resellers-of-a-customer.json"));
  shape.merge(doc("supplement-seek-paging.json"));
  DeviationLog log;
  std::set<std::string> omitted;
  size_t items = 0;
  for (auto& w : contractWorlds()) {
    SimClient sim(std::move(w.world));
    const std::string token = sim.userToken(sim.partner(), kPcScope);  // App+User only
    for (const auto& t : sim.world().tenants) {
      if (!t.in_customer_list.value_or(false)) continue;
      items += walkPc(sim, "/v1/customers/" + t.id + "/relationships", token,
                      "GET /v1/customers/{id}/relationships", shape, log, w.name, omitted)
                   .items.size();
    }
  }
  CHECK(items > 500);
  WARN("Documented keys the simulator's relationships leave out:\n" << list(omitted));
  report(log);
}

TEST_CASE("contract: Partner Center relationshiprequests matches the documented example") {
  const PcShape shape = PcShape::of(doc("request-reseller-relationship.json"));
  DeviationLog log;
  for (auto& w : contractWorlds()) {
    SimClient sim(std::move(w.world));
    const std::string route = "GET /v1/customers/relationshiprequests";
    HttpResult r =
        sim.get("/pc/v1/customers/relationshiprequests", sim.userToken(sim.partner(), kPcScope));
    std::set<std::string> omitted;
    Var body = checkPc(r, route, shape, log, w.name, &omitted);
    for (const auto& path : omitted) log.add(route, path, "missing", w.name);
    if (body.isEmpty()) continue;
    // The documented URL with this partner's id in it.
    const std::string url = body.extract<Object::Ptr>()->getValue<std::string>("url");
    const std::string expected =
        "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId=" +
        sim.partner() + "&msppId=0&DAP=false#/BillingAccounts/partner-invitation";
    if (url != expected)
      log.add(route, "$.url", "\"" + url + "\", not the documented form \"" + expected + "\"",
              w.name);
  }
  report(log);
}

TEST_CASE("contract: Partner Center error bodies match the documented error examples") {
  DeviationLog log;
  auto worlds = contractWorlds();
  SimClient sim(std::move(worlds.front().world));
  const tenants::Tenant* not_customer = nullptr;
  const tenants::Tenant* customer = nullptr;
  for (const auto& t : sim.world().tenants) {
    if (!t.in_customer_list.value_or(false) && not_customer == nullptr) not_customer = &t;
    if (t.in_customer_list.value_or(false) && customer == nullptr) customer = &t;
  }
  REQUIRE(not_customer != nullptr);
  REQUIRE(customer != nullptr);
  const std::string app = sim.appToken(sim.partner(), kPcScope);
  const std::string graph = sim.appToken(sim.partner(), kGraphScope);
  struct Case {
    std::string what, path, token;
    std::map<std::string, std::string> headers;
    int status;
  };
  const std::vector<Case> cases = {
      {"no token", "/pc/v1/customers", "", {}, 401},
      {"a made-up token", "/pc/v1/customers", "made-up", {}, 401},
      {"a Graph token", "/pc/v1/customers", graph, {}, 401},
      {"a tenant that is not a customer", "/pc/v1/customers/" + not_customer->id, app, {}, 404},
      {"an app-only token on an App+User route",
       "/pc/v1/customers/" + customer->id + "/relationships",
       app,
       {},
       403},
      {"a bad continuation token",
       "/pc/v1/customers?seekOperation=Next",
       app,
       {{"MS-ContinuationToken", "garbage!"}},
       400},
      {"an unknown route", "/pc/v1/nothingHere", app, {}, 404},
  };
  for (const auto& c : cases) {
    auto headers = c.headers;
    if (!c.token.empty()) headers["Authorization"] = "Bearer " + c.token;
    HttpResult r = testing::httpRequest("GET", sim.base() + c.path, headers);
    const std::string route = "GET " + c.path.substr(3) + " (" + c.what + ")";
    if (r.status != c.status)
      log.add(route, "$",
              "status " + std::to_string(r.status) + ", expected " + std::to_string(c.status));
    Var body = pcJson(r, route, log);
    if (!body.isEmpty())
      log.add(route + " -> " + std::to_string(r.status), errorShape().check(body).problems);
  }
  report(log);
}

TEST_CASE("contract: a Partner Center 429 matches the throttling guidance") {
  sim::FaultOptions options;
  options.rate_limits = true;
  options.pc_per_minute = 1;  // one request, then an empty bucket
  options.pc_burst_s = 60;    // the bucket holds the minute: one request
  SimClient sim(sim::generateWorld(5, 3, kNow),
                std::make_unique<sim::FaultInjector>(options, [] { return 0.0; }));
  const std::string token = sim.appToken(sim.partner(), kPcScope);
  REQUIRE(sim.get("/pc/v1/customers?size=1", token).status == 200);
  HttpResult r = sim.get("/pc/v1/customers?size=1", token);
  REQUIRE(r.status == 429);
  DeviationLog log;
  const std::string route = "GET /v1/customers -> 429";
  Var body = pcJson(r, route, log);
  if (!body.isEmpty()) {
    // api-throttling-guidance.md: { "statusCode": 429, "message": "Rate limit is exceeded. Try
    // again in 57 seconds." } with Retry-After: 57.
    log.add(route, checkPcShape(body, doc("api-throttling-guidance-429.json")).problems);
    Object::Ptr o = body.extract<Object::Ptr>();
    std::smatch m;
    const std::string message = o->has("message") ? o->getValue<std::string>("message") : "";
    if (!std::regex_match(message, m,
                          std::regex(R"(Rate limit is exceeded\. Try again in (\d+) seconds\.)")))
      log.add(route, "$.message", "\"" + message + "\", not the documented sentence");
    else if (r.headers["retry-after"] != m[1].str())
      log.add(route, "$.message",
              "says " + m[1].str() + " seconds, Retry-After says " + r.headers["retry-after"]);
    if (!o->has("statusCode") || !o->get("statusCode").isInteger() ||
        o->getValue<int>("statusCode") != 429)
      log.add(route, "$.statusCode", "not 429");
  }
  if (r.headers.count("retry-after") == 0) log.add(route, "Retry-After", "header missing");
  report(log);
}

TEST_CASE("contract: the Partner Center contract tests catch a deviating answer end to end") {
  SimClient sim(sim::generateWorld(8, 5, kNow));
  sim.api().setOverride([](const sim::Request& r,
                           const std::string&) -> std::optional<sim::Response> {
    if (r.path == "/pc/v1/customers")
      return sim::Response::json(
          200,
          R"({"totalCount": 1, "items": [{"id": "a", "etag": "x", "attributes": {"objectType": "Customers"}}],
                  "links": {"self": {"uri": "https://api.partnercenter.microsoft.com/v1/customers", "method": "GET", "headers": []}},
                  "attributes": {"objectType": "Collection"}})");
    if (r.path.find("/relationships") != std::string::npos)
      return sim::Response::json(200, " {\"totalCount\": 0, \"items\": []}");
    return std::nullopt;
  });
  PcShape shape = PcShape::of(doc("get-a-list-of-customers.json"));
  DeviationLog log;
  std::set<std::string> omitted;
  walkPc(sim, "/v1/customers?size=7", sim.appToken(sim.partner(), kPcScope), "GET /v1/customers",
         shape, log, "", omitted);
  walkPc(sim, "/v1/customers/" + sim.world().tenants.front().id + "/relationships",
         sim.userToken(sim.partner(), kPcScope), "GET /v1/customers/{id}/relationships",
         PcShape::of(doc("get-indirect-resellers-of-a-customer.json")), log, "", omitted);
  const std::string text = log.report();
  INFO(text);
  CHECK(log.size() == 4);
  CHECK_THAT(text, Catch::Contains("$.items[*].etag: not in the documented example"));
  CHECK_THAT(text, Catch::Contains(
                       "$.items[*].attributes.objectType: \"Customers\" is not the documented"));
  CHECK_THAT(text, Catch::Contains(
                       "$.links.self.uri: \"https://api.partnercenter.microsoft.com/v1/customers\" "
                       "is not a path"));
  CHECK_THAT(text, Catch::Contains("byte 0x20 precedes the JSON"));
}
