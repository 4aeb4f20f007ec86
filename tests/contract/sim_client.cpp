// SPDX-License-Identifier: Apache-2.0
#include "tests/contract/sim_client.h"

#include <algorithm>
#include <stdexcept>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "sim/generator.h"
#include "tests/support/temp_dir.h"

namespace cspwatch::contract {

using Poco::Dynamic::Var;
using testing::httpRequest;
using testing::HttpResult;
using testing::urlEncode;

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kPcScope = "https://api.partnercenter.microsoft.com/.default";
const std::string kGraphScope = "https://graph.microsoft.com/.default";

namespace {

const std::string kClientId = "11111111-2222-4333-8444-555555555555";
const std::string kSecret = "not-a-real-secret";

std::string field(const std::string& body, const std::string& name) {
  return testing::parseObject(body)->getValue<std::string>(name);
}

}  // namespace

SimClient::SimClient(sim::World world, std::unique_ptr<sim::FaultInjector> faults)
    : login_(sim::LoginOptions{kClientId, kSecret, Seconds(3600), Seconds(60), "", true}, 42),
      faults_(std::move(faults)),
      api_(std::move(world), login_, clock_, faults_.get()),
      server_(api_) {
  base_ = "http://127.0.0.1:" + std::to_string(server_.start(0, 4));
}

SimClient::~SimClient() { server_.stop(); }

std::string SimClient::appToken(const std::string& tenant, const std::string& scope) {
  HttpResult r = httpRequest("POST", base_ + "/login/" + tenant + "/oauth2/v2.0/token", {},
                             "grant_type=client_credentials&client_id=" + kClientId +
                                 "&client_secret=" + kSecret + "&scope=" + urlEncode(scope));
  if (r.status != 200)
    throw std::runtime_error("token endpoint answered " + std::to_string(r.status) + ": " + r.body);
  return field(r.body, "access_token");
}

std::string SimClient::userToken(const std::string& tenant, const std::string& scope) {
  // The Secure Application Model: the partner user's refresh token, as `cspwatch auth login`
  // stores it, exchanged at the token endpoint by the confidential app (with its secret).
  const std::string refresh = login_.issueRefreshToken(clock_.now());
  HttpResult r =
      httpRequest("POST", base_ + "/login/" + tenant + "/oauth2/v2.0/token", {},
                  "grant_type=refresh_token&client_id=" + kClientId + "&client_secret=" + kSecret +
                      "&refresh_token=" + urlEncode(refresh) + "&scope=" + urlEncode(scope));
  if (r.status != 200)
    throw std::runtime_error("refresh-token grant answered " + std::to_string(r.status) + ": " +
                             r.body);
  return field(r.body, "access_token");
}

HttpResult SimClient::get(const std::string& path_or_url, const std::string& token,
                          std::map<std::string, std::string> headers) {
  headers["Authorization"] = "Bearer " + token;
  const bool absolute = path_or_url.rfind("http://", 0) == 0;
  return httpRequest("GET", absolute ? path_or_url : base_ + path_or_url, headers);
}

std::vector<NamedWorld> contractWorlds() {
  std::vector<NamedWorld> worlds;
  for (auto [size, seed] : {std::pair<size_t, uint64_t>{40, 1}, {150, 7}, {400, 42}})
    worlds.push_back(
        {"generated " + std::to_string(size) + " tenants, seed " + std::to_string(seed),
         sim::generateWorld(size, seed, kNow)});
  auto demo = sim::loadWorld(testing::sourcePath("etc/demo/world.json"));
  if (!demo.isOk()) throw std::runtime_error("etc/demo/world.json: " + demo.status().message());
  worlds.push_back({"demo world (etc/demo/world.json)", std::move(*demo)});
  return worlds;
}

std::string dataPath(const std::string& relative) {
  return testing::sourcePath("tests/contract/data/" + relative);
}

const GraphSchema& graphSchema() {
  static const GraphSchema schema = [] {
    GraphSchema s = GraphSchema::load(dataPath("graph-v1.0-types.json"));
    // The types the excerpt names but does not define (crossTenantAccessPolicyB2BSetting, ...),
    // from the same metadata file and commit.
    s.addTypes(readJsonFile(dataPath("graph-v1.0-types-supplement.json")));
    // organization is an OpenType; the properties Microsoft's own GET /organization example
    // shows beyond the CSDL (directorySizeQuota, isMultipleDataLocationsForServicesEnabled)
    // are documented dynamic properties.
    Var doc = readJsonFile(dataPath("graph/organization-list.json"));
    auto org = doc.extract<Poco::JSON::Object::Ptr>()->getArray("value")->getObject(0);
    const auto declared = s.propertyNames("organization");
    for (auto it = org->begin(); it != org->end(); ++it)
      if (it->first[0] != '@' &&
          std::find(declared.begin(), declared.end(), it->first) == declared.end())
        s.allowDocumentedDynamic("organization", it->first, jsonKind(it->second));
    // With only User.Read "All other properties return with null values" (organization-list.md,
    // see tests/contract/README.md), collections included: the
    // doc's word over the metadata's Nullable facet. id, displayName and verifiedDomains never.
    s.allowDocumentedNulls("organization", {"id", "displayName", "verifiedDomains"});
    return s;
  }();
  return schema;
}

Var graphJson(const HttpResult& r, const std::string& route, DeviationLog& log,
              const std::string& where) {
  if (r.body.empty() || r.body[0] != '{') {
    log.add(route, "$",
            "the body does not start with '{' (Graph sends plain JSON, no BOM): " +
                r.body.substr(0, 16),
            where);
    return Var();
  }
  try {
    return parseJson(r.body);
  } catch (const std::exception& e) {
    log.add(route, "$", std::string("not JSON: ") + e.what(), where);
    return Var();
  }
}

Var pcJson(const HttpResult& r, const std::string& route, DeviationLog& log,
           const std::string& where) {
  PcBodyText text = pcBodyText(r.body);
  if (!text.problem.empty()) {
    log.add(route, "$", text.problem, where);
    return Var();
  }
  try {
    return parseJson(text.json);
  } catch (const std::exception& e) {
    log.add(route, "$", std::string("not JSON after the optional BOM: ") + e.what(), where);
    return Var();
  }
}

}  // namespace cspwatch::contract
