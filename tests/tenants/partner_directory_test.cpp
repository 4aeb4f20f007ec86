// SPDX-License-Identifier: Apache-2.0
// Partners' names: one lookup per id per scan however many workers ask, names kept for 7 days,
// a failed lookup never worse than what was known.
#include "tenants/partner_directory.h"

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

using namespace cspwatch;
using namespace cspwatch::tenants;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kAdatum = "5e9a3c7d-1b4f-4d28-8a6e-0c2f7b9d3e41";

}  // namespace

TEST_CASE("partner directory: eight workers asking for the same id make one lookup") {
  PartnerDirectory dir({}, kNow);
  std::atomic<int> calls{0};
  auto lookup = [&](const std::string& id) -> Result<TenantInfo> {
    ++calls;
    std::this_thread::yield();
    return TenantInfo{id, "Adatum Managed Services", "adatum.onmicrosoft.com", {}};
  };
  std::vector<std::thread> pool;
  std::atomic<int> named{0};
  for (int i = 0; i < 8; ++i)
    pool.emplace_back([&] {
      for (int k = 0; k < 50; ++k)
        if (auto info = dir.resolve(kAdatum, lookup); info && info->display_name.size() > 0)
          ++named;
    });
  for (auto& t : pool) t.join();
  CHECK(calls == 1);
  CHECK(named == 400);
  REQUIRE(dir.lookedUp().size() == 1);
  CHECK(dir.lookedUp()[0].looked_up_at == kNow);
}

TEST_CASE("partner directory: a stored name is used for 7 days, then looked up again") {
  const TenantInfo stored{kAdatum, "Adatum (old name)", "adatum.onmicrosoft.com",
                          kNow - std::chrono::hours(24 * 6)};
  int calls = 0;
  auto lookup = [&](const std::string& id) -> Result<TenantInfo> {
    ++calls;
    return TenantInfo{id, "Adatum Managed Services", "adatum.onmicrosoft.com", {}};
  };
  PartnerDirectory fresh({{kAdatum, stored}}, kNow);
  CHECK(fresh.resolve(kAdatum, lookup)->display_name == "Adatum (old name)");
  CHECK(calls == 0);
  CHECK(fresh.lookedUp().empty());

  PartnerDirectory stale({{kAdatum, stored}}, kNow + std::chrono::hours(24 * 2));
  CHECK(stale.resolve(kAdatum, lookup)->display_name == "Adatum Managed Services");
  CHECK(calls == 1);
  CHECK(stale.lookedUp().size() == 1);
}

TEST_CASE("partner directory: a failed lookup keeps the last name, or gives none, once a scan") {
  int calls = 0;
  auto failing = [&](const std::string&) -> Result<TenantInfo> {
    ++calls;
    return Status::unavailable("HTTP 403: Authorization_RequestDenied");
  };
  const TenantInfo old{kAdatum, "Adatum Managed Services", "adatum.onmicrosoft.com",
                       kNow - std::chrono::hours(24 * 30)};
  PartnerDirectory with_old({{kAdatum, old}}, kNow);
  CHECK(with_old.resolve(kAdatum, failing)->display_name == "Adatum Managed Services");
  PartnerDirectory none({}, kNow);
  CHECK_FALSE(none.resolve(kAdatum, failing));
  CHECK_FALSE(none.resolve(kAdatum, failing));  // not asked twice in one scan
  CHECK(calls == 2);
  CHECK(none.failures() == 1);
  CHECK(none.lookedUp().empty());
}
