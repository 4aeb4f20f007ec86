// SPDX-License-Identifier: Apache-2.0
// The simulator's Graph answers against Microsoft's Graph v1.0 metadata (types, Edm types,
// nullability, enums) and the documented error shape, over generated worlds and the demo world.
// Every deviation is gathered and printed, one line per route and JSON path, with a count and
// the worlds it was seen in; a test fails when there is any.
#include <memory>
#include <optional>
#include <string>

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

// Sent on every Graph request; InnerError must carry it back (metadata: "Client request Id as
// sent by the client application").
const std::string kClientRequestId = "7c0e3a52-3f1d-4b6e-9a2c-1d5e8f0b4a61";

std::map<std::string, std::string> graphHeaders() {
  return {{"client-request-id", kClientRequestId}};
}

// Nullable="false" properties the answers leave out: not failures (Graph omits properties
// under $select, and its doc examples are trimmed), listed by report() for the reader.
DeviationLog& absent() {
  static DeviationLog log;
  return log;
}

// A Graph answer checked as a collection of `type` when 200, as an error body otherwise.
Var checkGraph(const HttpResult& r, const std::string& route, const std::string& type,
               DeviationLog& log, const std::string& where) {
  Var body = graphJson(r, route, log, where);
  if (body.isEmpty()) return body;
  if (r.status == 200) {
    log.add(route, graphSchema().checkCollection(body, type), where);
    GraphSchema::Options strict;
    strict.require_non_nullable = true;
    for (const auto& p : graphSchema().checkCollection(body, type, strict))
      if (p.message.rfind("missing; Nullable", 0) == 0) absent().add(route, p.path, p.message);
  } else
    log.add(route + " -> " + std::to_string(r.status), checkGraphError(body, kClientRequestId),
            where);
  return r.status == 200 ? body : Var();
}

void report(const DeviationLog& log) {
  if (!absent().empty())
    WARN("Nullable=\"false\" properties the simulator leaves out (not failures):\n"
         << absent().report());
  absent().clear();
  INFO("Simulator deviations from Microsoft's Graph v1.0 shapes:\n" << log.report());
  CHECK(log.empty());
}

// Every page of a Graph collection, as concepts/paging.md says to read one: the whole
// @odata.nextLink until there is none ("A page of results may contain zero or more results").
struct Walk {
  std::vector<Object::Ptr> items;  // the elements of every page
  int status = 200;                // of the last page
  size_t pages = 0;
};

Walk walkGraph(SimClient& sim, const std::string& first, const std::string& token,
               const std::string& route, const std::string& type, DeviationLog& log,
               const std::string& where) {
  Walk walk;
  std::string url = first.rfind("http", 0) == 0 ? first : sim.base() + first;
  while (!url.empty() && walk.pages < 10000) {
    HttpResult r = sim.get(url, token, graphHeaders());
    ++walk.pages;
    walk.status = r.status;
    url.clear();
    Var body = checkGraph(r, route, type, log, where);
    if (body.isEmpty()) break;
    Object::Ptr o = body.extract<Object::Ptr>();
    if (auto value = o->getArray("value"))
      for (size_t i = 0; i < value->size(); ++i)
        if (auto item = value->getObject(i)) walk.items.push_back(item);
    if (o->has("@odata.nextLink") && o->get("@odata.nextLink").isString()) {
      url = o->getValue<std::string>("@odata.nextLink");
      if (url.rfind(sim.base() + "/graph/", 0) != 0) {
        log.add(route, "$['@odata.nextLink']", "points away from the simulator: " + url, where);
        url.clear();
      }
    }
  }
  return walk;
}

}  // namespace

TEST_CASE("contract: Graph organization answers are microsoft.graph.organization collections") {
  DeviationLog log;
  size_t objects = 0;
  for (auto& w : contractWorlds()) {
    SimClient sim(std::move(w.world));
    for (const auto& t : sim.world().tenants) {
      const std::string route = "GET /v1.0/organization";
      Walk walk = walkGraph(sim, "/graph/v1.0/organization", sim.appToken(t.id, kGraphScope), route,
                            "organization", log, w.name);
      if (walk.status != 200) continue;
      objects += walk.items.size();
      // organization-list.md: "There's only one organization object in the collection."
      if (walk.items.size() != 1)
        log.add(route, "$.value",
                std::to_string(walk.items.size()) + " objects over " + std::to_string(walk.pages) +
                    " pages, the doc says there is one",
                w.name);
    }
  }
  CHECK(objects > 500);
  report(log);
}

TEST_CASE(
    "contract: Graph crossTenantAccessPolicy partners are "
    "crossTenantAccessPolicyConfigurationPartner collections") {
  DeviationLog log;
  size_t partners = 0;
  for (auto& w : contractWorlds()) {
    SimClient sim(std::move(w.world));
    for (const auto& t : sim.world().tenants)
      partners += walkGraph(sim, "/graph/v1.0/policies/crossTenantAccessPolicy/partners",
                            sim.appToken(t.id, kGraphScope),
                            "GET /v1.0/policies/crossTenantAccessPolicy/partners",
                            "crossTenantAccessPolicyConfigurationPartner", log, w.name)
                      .items.size();
  }
  CHECK(partners > 1000);
  report(log);
}

TEST_CASE(
    "contract: Graph delegatedAdminRelationships pages and their accessAssignments have Graph's "
    "types") {
  DeviationLog log;
  size_t relationships = 0, resellers = 0, assignments = 0;
  for (auto& w : contractWorlds()) {
    SimClient sim(std::move(w.world));
    const std::string token = sim.appToken(sim.partner(), kGraphScope);
    const std::string route = "GET /v1.0/tenantRelationships/delegatedAdminRelationships";
    // Pages of 40 asked for (the simulator may serve fewer), then the default page size.
    walkGraph(sim, "/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$top=40", token,
              route, "delegatedAdminRelationship", log, w.name);
    Walk walk = walkGraph(sim, "/graph/v1.0/tenantRelationships/delegatedAdminRelationships", token,
                          route, "delegatedAdminRelationship", log, w.name);
    for (const auto& rel : walk.items) {
      ++relationships;
      // The list doc: "Each delegatedAdminRelationship object contains an @odata.etag
      // property"; every item of its example names its type, which is how a reseller
      // relationship is told apart.
      for (const char* annotation : {"@odata.etag", "@odata.type"})
        if (!rel->has(annotation))
          log.add(route, memberPath("$.value[*]", annotation), "missing", w.name);
      if (rel->has("@odata.type") && rel->getValue<std::string>("@odata.type") ==
                                         "#microsoft.graph.resellerDelegatedAdminRelationship")
        ++resellers;
      if (!rel->has("id") || !rel->get("id").isString()) continue;
      assignments += walkGraph(sim,
                               "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/" +
                                   rel->getValue<std::string>("id") + "/accessAssignments",
                               token,
                               "GET /v1.0/tenantRelationships/delegatedAdminRelationships/{id}/"
                               "accessAssignments",
                               "delegatedAdminAccessAssignment", log, w.name)
                         .items.size();
    }
  }
  CHECK(relationships > 500);
  CHECK(assignments > 300);
  INFO("reseller relationships seen: " << resellers);
  report(log);
}

TEST_CASE("contract: Graph contracts are microsoft.graph.contract collections") {
  DeviationLog log;
  size_t contracts = 0;
  for (auto& w : contractWorlds()) {
    SimClient sim(std::move(w.world));
    contracts += walkGraph(sim, "/graph/v1.0/contracts", sim.appToken(sim.partner(), kGraphScope),
                           "GET /v1.0/contracts", "contract", log, w.name)
                     .items.size();
  }
  CHECK(contracts > 5);
  report(log);
}

TEST_CASE(
    "contract: Graph findTenantInformationByTenantId answers a microsoft.graph.tenantInformation") {
  DeviationLog log;
  for (auto& w : contractWorlds()) {
    SimClient sim(std::move(w.world));
    const std::string token = sim.appToken(sim.partner(), kGraphScope);
    std::vector<std::string> ids{sim.partner()};
    for (size_t i = 0; i < sim.world().tenants.size() && i < 25; ++i)
      ids.push_back(sim.world().tenants[i].id);
    for (const auto& id : ids) {
      const std::string route =
          "GET /v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='{id}')";
      HttpResult r = sim.get(
          "/graph/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='" + id + "')",
          token, graphHeaders());
      if (r.status == 404 && r.body.find("Request_ResourceNotFound") != std::string::npos) {
        FAIL("the simulator does not serve " << route << " yet: it answered 404 " << r.body
                                             << "\n(Graph: tenantrelationship-findtenantinformation"
                                                "bytenantid.md; this test checks the route once it "
                                                "exists)");
      }
      Var body = graphJson(r, route, log, w.name);
      if (body.isEmpty()) continue;
      if (r.status != 200) {
        log.add(route + " -> " + std::to_string(r.status), checkGraphError(body, kClientRequestId),
                w.name);
        continue;
      }
      // A single complex value: its properties and the @odata.context annotation, no "value".
      log.add(route, graphSchema().check(body, "tenantInformation"), w.name);
      Object::Ptr o = body.extract<Object::Ptr>();
      if (o->has("tenantId") && o->get("tenantId").isString() &&
          o->getValue<std::string>("tenantId") != id)
        log.add(route, "$.tenantId",
                "\"" + o->getValue<std::string>("tenantId") + "\", not the tenant asked about (" +
                    id + ")",
                w.name);
    }
  }
  report(log);
}

TEST_CASE("contract: Graph error bodies have the documented error shape") {
  DeviationLog log;
  auto worlds = contractWorlds();
  SimClient sim(std::move(worlds.front().world));
  const tenants::Tenant* no_org = nullptr;
  const tenants::Tenant* no_partners = nullptr;
  for (const auto& t : sim.world().tenants) {
    if (!t.verified_domains && no_org == nullptr) no_org = &t;
    if (!t.partners && no_partners == nullptr) no_partners = &t;
  }
  REQUIRE(no_org != nullptr);
  REQUIRE(no_partners != nullptr);
  const std::string partner = sim.appToken(sim.partner(), kGraphScope);
  const std::string customer = sim.appToken(sim.world().tenants.front().id, kGraphScope);
  const std::string pc = sim.appToken(sim.partner(), kPcScope);
  struct Case {
    std::string what, path, token;
    int status;
  };
  const std::vector<Case> cases = {
      {"no token", "/graph/v1.0/organization", "", 401},
      {"a made-up token", "/graph/v1.0/organization", "made-up", 401},
      {"a Partner Center token", "/graph/v1.0/organization", pc, 401},
      {"a customer token on a partner route",
       "/graph/v1.0/tenantRelationships/delegatedAdminRelationships", customer, 403},
      {"a customer token on contracts", "/graph/v1.0/contracts", customer, 403},
      {"$top above 300", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$top=301",
       partner, 400},
      {"a bad $skiptoken",
       "/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$skiptoken=garbage!", partner,
       400},
      {"an unknown relationship",
       "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/nope/accessAssignments",
       partner, 404},
      {"an unknown route", "/graph/v1.0/nothingHere", partner, 404},
      {"organization without access", "/graph/v1.0/organization",
       sim.appToken(no_org->id, kGraphScope), 403},
      {"partners without access", "/graph/v1.0/policies/crossTenantAccessPolicy/partners",
       sim.appToken(no_partners->id, kGraphScope), 403},
  };
  for (const auto& c : cases) {
    auto headers = graphHeaders();
    if (!c.token.empty()) headers["Authorization"] = "Bearer " + c.token;
    HttpResult r = testing::httpRequest("GET", sim.base() + c.path, headers);
    const std::string route = "GET " + c.path.substr(6) + " (" + c.what + ")";
    if (r.status != c.status)
      log.add(route, "$",
              "status " + std::to_string(r.status) + ", expected " + std::to_string(c.status));
    Var body = graphJson(r, route, log);
    if (!body.isEmpty())
      log.add(route + " -> " + std::to_string(r.status), checkGraphError(body, kClientRequestId));
  }
  // request-id is the service's id of this request: two requests are two ids.
  auto id = [&](const std::string& path) {
    HttpResult r = sim.get(path, partner, graphHeaders());
    Object::Ptr inner = testing::parseObject(r.body)->getObject("error")->getObject("innerError");
    return inner && inner->has("request-id") ? inner->getValue<std::string>("request-id") : "";
  };
  const std::string first = id("/graph/v1.0/nothingHere"), second = id("/graph/v1.0/norHere");
  if (first == second)
    log.add("GET (any Graph error)", "$.error.innerError['request-id']",
            "the same \"" + first +
                "\" for two different requests: Graph's request-id identifies "
                "one request (\"Request Id as tracked internally by the service\")");
  report(log);
}

TEST_CASE("contract: a Graph 429 carries Retry-After and the documented error shape") {
  sim::FaultOptions options;
  options.rate_limits = true;
  options.graph_per_10s = 1;   // one request, then an empty bucket
  options.graph_burst_s = 10;  // the bucket holds the 10 s window: one request
  SimClient sim(sim::generateWorld(5, 3, kNow),
                std::make_unique<sim::FaultInjector>(options, [] { return 0.0; }));
  const std::string token = sim.appToken(sim.partner(), kGraphScope);
  REQUIRE(sim.get("/graph/v1.0/contracts", token, graphHeaders()).status == 200);
  HttpResult r = sim.get("/graph/v1.0/contracts", token, graphHeaders());
  REQUIRE(r.status == 429);
  DeviationLog log;
  const std::string route = "GET /v1.0/contracts -> 429";
  if (r.headers.count("retry-after") == 0)
    log.add(route, "Retry-After",
            "header missing (throttling.md: the failed response includes it)");
  else if (r.headers["retry-after"].find_first_not_of("0123456789") != std::string::npos)
    log.add(route, "Retry-After", "not a number of seconds: " + r.headers["retry-after"]);
  Var body = graphJson(r, route, log);
  if (!body.isEmpty()) log.add(route, checkGraphError(body, kClientRequestId));
  report(log);
}

TEST_CASE("contract: the Graph contract tests catch a deviating answer end to end") {
  // The checks above pass or fail on what the simulator sends; this one makes it send a wrong
  // shape (SimApi::setOverride) and requires the same path to catch it.
  SimClient sim(sim::generateWorld(8, 5, kNow));
  const std::string victim = sim.world().tenants.front().id;
  sim.api().setOverride(
      [&](const sim::Request& r, const std::string& tenant) -> std::optional<sim::Response> {
        if (tenant != victim) return std::nullopt;
        if (r.path == "/graph/v1.0/organization")
          return sim::Response::json(
              200, R"({"value": [{"id": "x", "displayName": "X", "favouriteColour": "blue",
                  "verifiedDomains": [{"name": "x.com", "isDefault": "yes"}]}],
                  "@odata.nextLink": "http://example.com/next"})");
        return std::nullopt;
      });
  DeviationLog log;
  walkGraph(sim, "/graph/v1.0/organization", sim.appToken(victim, kGraphScope),
            "GET /v1.0/organization", "organization", log, "");
  const std::string text = log.report();
  INFO(text);
  CHECK(log.size() == 3);
  CHECK_THAT(text, Catch::Contains("$.value[*].favouriteColour: not declared"));
  CHECK_THAT(text,
             Catch::Contains("$.value[*].verifiedDomains[*].isDefault: expected Edm.Boolean"));
  CHECK_THAT(text, Catch::Contains("points away from the simulator"));
  absent().clear();
}
