// SPDX-License-Identifier: Apache-2.0
// The world the bad-input scans read (bad_input_test.cpp): a generated partner whose one target
// customer has every part readable and a finding that depends on each, served by the simulator
// on 127.0.0.1; a directory ready to scan it, and the database of a good scan to start each bad
// one from; the findings stored, to compare before and after.
#pragma once

#include <map>
#include <set>
#include <string>

#include "common/clock.h"
#include "sim/api.h"
#include "sim/login.h"
#include "sim/server.h"
#include "sim/world.h"
#include "tests/support/cli_runner.h"
#include "tests/support/temp_dir.h"

namespace cspwatch::testing::bad_input {

inline const std::string kNow = "2026-03-02T00:00:00Z";    // the good scan
inline const std::string kLater = "2026-03-02T01:00:00Z";  // the scan with the bad input

// Open and resolved findings, without the times a later scan moves on.
std::set<std::string> storedFindings(const std::string& config);

class World {
 public:
  World();

  const std::string& target() const { return target_; }
  sim::SimApi& api() { return api_; }

  // @@good-rows@@ (CSV data rows) and @@good-tenants@@ (JSON records): the good inventory, for
  // cases that add bad rows to it, so that its tenants are all still there.
  std::map<std::string, std::string> inventoryVars() const;

  // A directory ready to scan: config, secrets, the inventory (`inventory_name` in it, good
  // content unless replaced later), `rules` as rules.paths.
  std::string prepare(const std::string& dir, const std::string& inventory_name,
                      const std::string& rules = testing::sourcePath("etc/rules.d"));

  // The database of a good scan with an inventory of this extension, made once.
  struct Baseline {
    std::string db;
    std::set<std::string> findings;
  };
  const Baseline& baseline(const std::string& extension, const TempDir& tmp);

  // Copies a baseline's database into `dir`.
  static void restore(const Baseline& b, const std::string& dir);

 private:
  SystemClock clock_;
  Timestamp now_;
  std::string target_;  // set while world_ is made
  sim::World world_;
  sim::LoginService login_;
  sim::SimApi api_;
  sim::SimServer server_;
  std::string base_;
  std::map<std::string, Baseline> baselines_;
};

}  // namespace cspwatch::testing::bad_input
