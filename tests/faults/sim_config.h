// SPDX-License-Identifier: Apache-2.0
// The cspwatch configuration the fault tests share: the partner of a simulator world, its
// Partner Center, Graph and login endpoints at `base`, the default rules, the database and
// secrets beside the config. `extra` is appended (more sections). Also the simulator serving a
// world, two worlds of which the second grows the first, and the findings a world should give.
#pragma once

#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/partner.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/login.h"
#include "sim/server.h"
#include "sim/truth.h"
#include "sim/world.h"
#include "tests/support/temp_dir.h"

namespace cspwatch::testing {

inline const std::string kSimClient = "11111111-2222-4333-8444-555555555555";

// The files simConfigYaml's configuration reads beside it in `dir`: the client secret the
// simulator's login expects ("s3cret", a fixture), a refresh token that login issued at `now`,
// and `world`'s inventory.
inline void writeSimFiles(const TempDir& dir, sim::LoginService& login, const sim::World& world,
                          Timestamp now) {
  REQUIRE(writeFileAtomically(dir.file("client_secret"), "s3cret\n", 0600));
  REQUIRE(
      writeFileAtomically(dir.file("refresh_token"), login.issueRefreshToken(now) + "\n", 0600));
  REQUIRE(writeFileAtomically(dir.file("inventory.json"), sim::inventoryJson(world), 0644));
}

// `storage` is the configuration's storage keys: by default the file cspwatch.db beside the
// configuration; storageYaml(testStore(dir)) (tests/support/test_store.h) for the store of the
// run's backend.
inline std::string simConfigYaml(const PartnerIdentity& p, const std::string& base, int concurrency,
                                 const std::string& extra = "",
                                 const std::string& storage = "  path: cspwatch.db\n") {
  return "partner:\n  name: " + p.name + "\n  tenant_id: " + p.tenant_id +
         "\n  distributor_tenant_ids: [" + p.distributor_tenant_ids[0] +
         "]\n  trusted_partner_tenant_ids: [" + p.trusted_partner_tenant_ids[0] +
         "]\n  email_domains: [" + p.email_domains[0] +
         "]\n"
         "sources:\n  partner_center:\n    login_url: " +
         base + "/login\n    partner_center_url: " + base + "/pc\n    graph_url: " + base +
         "/graph\n    client_id: " + kSimClient +
         "\n    client_secret_file: client_secret\n    refresh_token_file: refresh_token\n"
         "    concurrency: " +
         std::to_string(concurrency) +
         "\n    retry_backoff_ms: 10\n"
         "  inventory:\n    path: inventory.json\n"
         "storage:\n" +
         storage + "rules:\n  paths: [" + sourcePath("etc/rules.d") + "]\n" + extra;
}

// A simulated Partner Center and Graph over `world`, without faults, on 127.0.0.1 at `base`.
struct PlainSim {
  PlainSim(const sim::World& world, sim::LoginService& login, const Clock& clock)
      : api(world, login, clock), server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, 8));
  }
  sim::SimApi api;
  sim::SimServer server;
  std::string base;
};

struct Worlds {
  Timestamp now = SystemClock().now();
  // The second world is the first plus as many tenants again: the generator draws tenants one
  // after another from its seed, so the first 30 are the same in both.
  sim::World small = sim::generateWorld(30, 23, now);
  sim::World grown = sim::generateWorld(60, 23, now);
};

// The failing checks of the simulator's truth as "rule tenant subject", as openFindings()
// (tests/faults/fault_checks.h) gives a store's.
inline std::set<std::string> truthOf(const sim::World& world, Timestamp now) {
  std::set<std::string> out;
  for (const auto& e : sim::computeTruth(world, now))
    if (e.outcome == "fail") out.insert(e.rule + " " + e.tenant_id + " " + e.subject);
  return out;
}

}  // namespace cspwatch::testing
