// SPDX-License-Identifier: Apache-2.0
// The cspwatch configuration the fault tests share: the partner of a simulator world, its
// Partner Center, Graph and login endpoints at `base`, the default rules, the database and
// secrets beside the config. `extra` is appended (more sections).
#pragma once

#include <string>

#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "common/partner.h"
#include "sim/login.h"
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

inline std::string simConfigYaml(const PartnerIdentity& p, const std::string& base, int concurrency,
                                 const std::string& extra = "") {
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
         "storage:\n  path: cspwatch.db\n"
         "rules:\n  paths: [" +
         sourcePath("etc/rules.d") + "]\n" + extra;
}

}  // namespace cspwatch::testing
