// SPDX-License-Identifier: Apache-2.0
// The simulator as the contract tests meet it: a SimApi served over real HTTP on 127.0.0.1
// (so bytes on the wire, a BOM included, are what is checked), signed in to through its own
// token endpoint, and the worlds the tests run over.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>

#include "common/clock.h"
#include "sim/api.h"
#include "sim/faults.h"
#include "sim/server.h"
#include "tests/contract/graph_schema.h"
#include "tests/contract/pc_shape.h"
#include "tests/support/http_client.h"

namespace cspwatch::contract {

extern const Timestamp kNow;
extern const std::string kPcScope;
extern const std::string kGraphScope;

// A simulator on a free port, its clock in the test's hands.
class SimClient {
 public:
  explicit SimClient(sim::World world, std::unique_ptr<sim::FaultInjector> faults = nullptr);
  ~SimClient();

  // An app-only token (client_credentials with the secret) for `tenant`.
  std::string appToken(const std::string& tenant, const std::string& scope);
  // An App+User token: a stored partner user's refresh token redeemed at /token.
  std::string userToken(const std::string& tenant, const std::string& scope);
  // GET a path ("/pc/v1/customers") or an absolute URL of this simulator.
  testing::HttpResult get(const std::string& path_or_url, const std::string& token,
                          std::map<std::string, std::string> headers = {});

  sim::SimApi& api() { return api_; }
  const sim::World& world() const { return api_.world(); }
  const std::string& partner() const { return api_.world().partner.tenant_id; }
  const std::string& base() const { return base_; }

 private:
  ManualClock clock_{kNow};
  sim::LoginService login_;
  std::unique_ptr<sim::FaultInjector> faults_;
  sim::SimApi api_;
  sim::SimServer server_;
  std::string base_;
};

struct NamedWorld {
  std::string name;
  sim::World world;
};
// Generated worlds of several seeds and sizes, and the demo world (etc/demo/world.json).
std::vector<NamedWorld> contractWorlds();

// The contract data: tests/contract/data/<relative>.
std::string dataPath(const std::string& relative);
const GraphSchema& graphSchema();

// A Graph body parsed; a body that is not JSON, or starts with anything but '{' (a BOM
// included: Graph sends none), is recorded in `log` under `route` and gives an empty Var.
Poco::Dynamic::Var graphJson(const testing::HttpResult& r, const std::string& route,
                             DeviationLog& log, const std::string& where = "");
// A Partner Center body parsed after its optional BOM; anything else before the JSON, or JSON
// that does not parse, is recorded in `log` and gives an empty Var.
Poco::Dynamic::Var pcJson(const testing::HttpResult& r, const std::string& route, DeviationLog& log,
                          const std::string& where = "");

}  // namespace cspwatch::contract
