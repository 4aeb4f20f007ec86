// SPDX-License-Identifier: Apache-2.0
// Reading a JSON inventory must take memory for one tenant at a time (plus the Tenants it
// returns), not for the whole file: yaml-cpp's nodes for a whole file cost about 27 bytes per
// byte. And readInventoryFile(), which hands the tenants over one at a time, must take memory for
// one record whatever the file's length, CSV or JSON. This binary counts the heap in use through a
// replaced operator new (every C++ allocation, yaml-cpp's included) and checks the peak, which,
// unlike RSS or timing, does not depend on the allocator or the machine. Its own binary, so no
// other test pays for the count.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <new>

#include <catch2/catch.hpp>
#include <malloc.h>

#include "tenants/inventory_source.h"
#include "tests/support/temp_dir.h"

namespace {

std::atomic<size_t> g_in_use{0};
std::atomic<size_t> g_peak{0};

void* counted(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  const size_t now = g_in_use += malloc_usable_size(p);
  size_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
  return p;
}

void uncounted(void* p) {
  if (p == nullptr) return;
  g_in_use -= malloc_usable_size(p);
  std::free(p);
}

}  // namespace

void* operator new(size_t n) { return counted(n); }
void* operator new[](size_t n) { return counted(n); }
void operator delete(void* p) noexcept { uncounted(p); }
void operator delete[](void* p) noexcept { uncounted(p); }
void operator delete(void* p, size_t) noexcept { uncounted(p); }
void operator delete[](void* p, size_t) noexcept { uncounted(p); }

using namespace cspwatch;
using namespace cspwatch::tenants;

namespace {

// `n` tenants in the form `cspwatch tenants list --format json` writes, about 900 bytes each.
std::string generatedInventory(int n) {
  std::string text = "{\n  \"schema_version\": 1,\n  \"tenants\": [\n";
  char buf[1024];
  for (int i = 0; i < n; ++i) {
    std::snprintf(
        buf, sizeof buf,
        "    {\n"
        "      \"id\": \"%08x-13a1-4e3b-9c2b-5f5f0e7b1a2c\",\n"
        "      \"name\": \"Customer %d Ltd\",\n"
        "      \"default_domain\": \"customer%d.onmicrosoft.com\",\n"
        "      \"tags\": [\"tier:gold\", \"region:nz\"],\n"
        "      \"verified_domains\": [\"customer%d.onmicrosoft.com\", \"customer%d.co.nz\"],\n"
        "      \"admin_relationships\": [{\"id\": \"%08x-3a4c-4b8e-9f12-8777b2401c3e\", "
        "\"kind\": \"gdap\", \"partner_tenant_id\": \"3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\", "
        "\"status\": \"active\", \"role_definition_ids\": "
        "[\"729827e3-9c14-49f7-bb1b-9608f156bbb8\"], \"duration\": \"P730D\"}],\n"
        "      \"contacts\": [{\"address\": \"admin@customer%d.com\", \"purpose\": "
        "\"admin_credentials\", \"source\": \"inventory\"}],\n"
        "      \"onboarded_at\": \"2024-05-02T00:00:00Z\"\n"
        "    }%s\n",
        i, i, i, i, i, i, i, i + 1 < n ? "," : "");
    text += buf;
  }
  return text + "  ]\n}\n";
}

struct HeapUse {
  size_t peak = 0;  // the most in use at once while reading, above what was in use before
  size_t kept = 0;  // in use afterwards: the Inventory
};

template <typename Read>
HeapUse measure(Read read) {
  const size_t before = g_in_use.load();
  g_peak = before;
  auto inv = read();
  REQUIRE(inv);
  return {g_peak.load() - before, g_in_use.load() - before};
}

}  // namespace

TEST_CASE("a 20,000-tenant JSON inventory is read in memory for one tenant, not the file") {
  const std::string text = generatedInventory(20000);
  size_t tenants = 0;
  const HeapUse use = measure([&] {
    auto inv = parseInventoryJson(text, "inv.json");
    if (inv) tenants = inv->tenants.size();
    return inv;
  });
  INFO("file " << text.size() << " bytes, peak " << use.peak << ", kept " << use.kept);
  CHECK(tenants == 20000);
  // Above the Tenants, reading takes one tenant's nodes and the list's last growth (its old
  // buffer, at most half the list); the whole document in yaml-cpp's nodes takes about 27
  // times the file, ten times what the Tenants take.
  CHECK(use.peak < use.kept + use.kept / 2);
}

TEST_CASE("the memory check would see the whole document being loaded") {
  // The same measure on the whole-document reader, on fewer tenants to stay quick.
  const std::string text = generatedInventory(1000);
  const HeapUse whole = measure([&] { return parseInventoryYaml(text, "inv.json"); });
  const HeapUse streamed = measure([&] { return parseInventoryJson(text, "inv.json"); });
  INFO("file " << text.size() << " bytes; whole: peak " << whole.peak << ", kept " << whole.kept
               << "; streamed: peak " << streamed.peak << ", kept " << streamed.kept);
  CHECK(whole.peak > 5 * whole.kept);
  CHECK(streamed.peak < streamed.kept + streamed.kept / 2);
}

namespace {

// `n` tenants as an inventory CSV, about 130 bytes a row.
std::string generatedCsv(int n) {
  std::string text = "tenant_id,name,domain,admin_email,onboarded_at,tags\n";
  char row[256];
  for (int i = 0; i < n; ++i) {
    std::snprintf(row, sizeof row,
                  "%08x-13a1-4e3b-9c2b-5f5f0e7b1a2c,Customer %d Ltd,customer%d.onmicrosoft.com,"
                  "admin@customer%d.com,2024-05-01,tier:gold;region:nz\n",
                  i, i, i, i);
    text += row;
  }
  return text;
}

// The heap a file's reading takes above what was in use before, when the tenants are handed
// over and dropped one by one (as a scan over the inventory alone does).
size_t streamedPeak(const std::string& path, size_t& tenants) {
  const size_t before = g_in_use.load();
  g_peak = before;
  tenants = 0;
  auto report = readInventoryFile(path, [&tenants](Tenant&&) {
    ++tenants;
    return Status::ok();
  });
  REQUIRE(report);
  return g_peak.load() - before;
}

}  // namespace

TEST_CASE("an inventory file handed over a tenant at a time takes memory for one, not the file") {
  // readInventoryFile keeps the record being read and, to find duplicates, the ids read (about
  // 32 bytes a tenant). Holding the file or the tenants takes 1,000 bytes a tenant or more.
  cspwatch::testing::TempDir dir;
  std::map<int, size_t> json_peak, csv_peak;
  for (int n : {2000, 20000}) {
    const std::string json = dir.write("inv.json", generatedInventory(n));
    const std::string csv = dir.write("inv.csv", generatedCsv(n));
    size_t json_tenants = 0, csv_tenants = 0;
    json_peak[n] = streamedPeak(json, json_tenants);
    csv_peak[n] = streamedPeak(csv, csv_tenants);
    INFO(n << " tenants: JSON peak " << json_peak[n] << ", CSV peak " << csv_peak[n]);
    CHECK(json_tenants == static_cast<size_t>(n));
    CHECK(csv_tenants == static_cast<size_t>(n));
  }
  INFO("JSON peak " << json_peak[2000] << " then " << json_peak[20000] << ", CSV peak "
                    << csv_peak[2000] << " then " << csv_peak[20000]);
  const size_t more = 18000, per_tenant = 48;  // the ids' 32 bytes, and a rehash's growth
  CHECK(json_peak[20000] - json_peak[2000] < more * per_tenant);
  CHECK(csv_peak[20000] - csv_peak[2000] < more * per_tenant);
}
