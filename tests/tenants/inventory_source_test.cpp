// SPDX-License-Identifier: Apache-2.0
#include "tenants/inventory_source.h"

#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "common/text.h"
#include "tenants/tenant_json.h"
#include "tenants/text_window.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::tenants;
using cspwatch::testing::TempDir;

namespace {

const char* kGoodCsv =
    "Tenant_ID,domain,name,admin_email,onboarded_at,tags\n"
    "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c,contoso.onmicrosoft.com,Contoso "
    "Ltd,it@contoso.com,2024-05-01,gold;nz\n"
    "6b1f0a3e-2d4c-4e8f-9a7b-1c3d5e7f9a0b,fabrikam.onmicrosoft.com,\"Fabrikam, Inc\",,,\n";

}  // namespace

TEST_CASE("inventory CSV: good rows become tenants from the inventory") {
  auto inv = parseInventoryCsv(kGoodCsv, "inv.csv");
  REQUIRE(inv);
  CHECK(inv->diagnostics.empty());
  REQUIRE(inv->tenants.size() == 2);
  const Tenant& t = inv->tenants[0];
  CHECK(t.id == "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c");
  CHECK(t.name == "Contoso Ltd");
  CHECK(t.tags == std::vector<std::string>{"gold", "nz"});
  CHECK(t.sources == std::vector<std::string>{"inventory"});
  REQUIRE(t.contacts);
  CHECK(t.contacts->at(0).address == "it@contoso.com");
  CHECK(t.contacts->at(0).purpose == "admin_credentials");
  CHECK(formatDate(*t.onboarded_at) == "2024-05-01");
  CHECK(inv->tenants[1].name == "Fabrikam, Inc");
  CHECK(inv->tenants[1].contacts->empty());          // the column exists and is blank: known, none
  CHECK_FALSE(inv->tenants[1].admin_relationships);  // the inventory cannot know these
}

TEST_CASE("inventory CSV: bad rows are reported with file:line:column and skipped") {
  std::string text = std::string(kGoodCsv) +
                     "not-a-guid,x.com,X,a@x.com,2024-01-01,\n"                            // line 4
                     "7c2e1b4f-3e5d-4f9a-8b0c-2d4e6f8a0b1c,y.com,Y,not-an-email,,\n"       // line 5
                     "8d3f2c5a-4f6e-4a0b-9c1d-3e5f7a9b1c2d,z.com,Z,a@z.com,31/12/2024,\n"  // line 6
                     "9e4a3d6b-5a7f-4b1c-8d2e-4f6a8b0c2d3e,w.com\n"                        // line 7
                     "52EAAD04-13A1-4E3B-9C2B-5F5F0E7B1A2C,dup.com,Dup,,,\n";              // line 8
  auto inv = parseInventoryCsv(text, "inv.csv");
  REQUIRE(inv);
  CHECK(inv->tenants.size() == 2);
  CHECK(inv->skipped == 5);
  CHECK(inv->unreadable == 4);  // the duplicate was read
  const auto& items = inv->diagnostics.items();
  REQUIRE(items.size() == 5);
  CHECK(items[0].location.str() == "inv.csv:4:1");
  CHECK(items[0].code == "inventory.bad-value");
  CHECK(items[1].location.str() == "inv.csv:5:46");
  CHECK(items[2].location.str() == "inv.csv:6:54");
  CHECK(items[3].location.str() == "inv.csv:7:1");  // a whole row: its first column
  CHECK(items[3].code == "inventory.bad-row");
  CHECK(items[4].location.str() == "inv.csv:8:1");
  CHECK(items[4].code == "inventory.duplicate-tenant");
}

TEST_CASE("inventory CSV: unknown columns warn with a hint, no tenant_id column is an error") {
  auto inv = parseInventoryCsv(
      "tenant_id,admin_emial\n52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c,a@b.com\n", "inv.csv");
  REQUIRE(inv);
  REQUIRE(inv->diagnostics.items().size() == 1);
  CHECK(inv->diagnostics.items()[0].severity == Severity::kWarning);
  CHECK(inv->diagnostics.items()[0].hint == "did you mean 'admin_email'?");
  CHECK(inv->tenants.size() == 1);

  auto bad = parseInventoryCsv("domain,name\nx.com,X\n", "inv.csv");
  REQUIRE_FALSE(bad);
  CHECK(bad.status().message().find("no tenant_id column") != std::string::npos);
}

TEST_CASE("inventory JSON: a list or {tenants: [...]}, bad records skipped with positions") {
  auto inv = parseInventoryJson(
      "{\"schema_version\": 1, \"tenants\": [\n"
      "  {\"tenant_id\": \"52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c\", \"name\": \"Contoso\"},\n"
      "  {\"tenant_id\": \"nope\", \"name\": \"Broken\"},\n"
      "  {\"id\": \"6b1f0a3e-2d4c-4e8f-9a7b-1c3d5e7f9a0b\", \"dap_enabled\": \"yes\"}\n"
      "]}",
      "inv.json");
  REQUIRE(inv);
  REQUIRE(inv->tenants.size() == 1);
  CHECK(inv->skipped == 2);
  REQUIRE(inv->diagnostics.items().size() == 2);
  CHECK(inv->diagnostics.items()[0].location.str() == "inv.json:3:17");
  CHECK(inv->diagnostics.items()[1].location.str() == "inv.json:4:65");

  auto list = parseInventoryJson("[{\"id\": \"52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c\"}]", "l.json");
  REQUIRE(list);
  CHECK(list->tenants.size() == 1);
}

TEST_CASE("inventory: a missing or unparseable file is an error, not an empty inventory") {
  TempDir dir;
  auto missing = loadInventoryFile(dir.file("nope.csv"));
  REQUIRE_FALSE(missing);
  CHECK(missing.status().code() == Status::Code::kIoError);
  CHECK(missing.status().message().find("nope.csv") != std::string::npos);

  auto broken = loadInventoryFile(dir.write("broken.json", "{\"tenants\": [\n  {\"id\": \n"));
  REQUIRE_FALSE(broken);
  CHECK(broken.status().message().find("broken.json:") != std::string::npos);

  auto csv = loadInventoryFile(dir.write("inv.CSV", kGoodCsv));
  REQUIRE(csv);
  CHECK(csv->tenants.size() == 2);
}

TEST_CASE("the shipped demo inventory loads without a single skipped record") {
  auto inv = loadInventoryFile(testing::sourcePath("etc/demo/inventory.json"));
  REQUIRE(inv);
  INFO(inv->diagnostics.renderText());
  CHECK(inv->diagnostics.empty());
  CHECK(inv->tenants.size() >= 25);
}

namespace {

// Everything a reader's result shows: the tenants, the counts and the rendered diagnostics
// (positions and source lines), or the error.
std::string outcome(const Result<Inventory>& r) {
  if (!r) return "error: " + r.status().message();
  return tenantsToJsonText(r->tenants, false) + "\nskipped " + std::to_string(r->skipped) +
         ", unreadable " + std::to_string(r->unreadable) + "\n" + r->diagnostics.renderText();
}

std::string streamedOrNot(const std::string& text) {
  return outcome(parseInventoryJson(text, "inv.json"));
}
std::string wholeDocument(const std::string& text) {
  return outcome(parseInventoryYaml(text, "inv.json"));
}

const char* kOne = "{\"id\": \"52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c\", \"name\": \"Contoso\"}";
const char* kBadOne = "{\"tenant_id\": \"nope\", \"nmae\": \"Broken\"}";
const char* kTwo =
    "{\"id\": \"6b1f0a3e-2d4c-4e8f-9a7b-1c3d5e7f9a0b\",\n   \"dap_enabled\": \"yes\"}";

}  // namespace

TEST_CASE("inventory JSON: read a tenant at a time, the same as the whole document") {
  const std::string one = kOne, bad = kBadOne, two = kTwo;
  std::string many = "[";
  for (int i = 0; i < 130; ++i) many += bad + ",\n";  // more than are listed
  many += one + "]";
  const std::vector<std::string> inputs = {
      // Lists and objects, compact and pretty, records on the first line and mid-line.
      "[" + one + "," + bad + "," + two + "]",
      "[\n  " + one + ",\n  " + bad + ",\n  " + two + "\n]\n",
      "{\"schema_version\": 1, \"tenants\": [" + bad + ", " + two + ", " + one + "]}",
      "\xEF\xBB\xBF{\"tenants\": [" + bad + ",\r\n " + two + "]}\r\n",
      "\xEF\xBB\xBF[" + bad + "]",
      "  \t\n[" + two + ",\t" + bad + "]  \n",
      "{\"tenants\":[" + bad + "],\"partner\":{\"a\":[1,{\"b\":null}]},\"schema_version\":1}",
      "[" + one + ", " + one + "]",  // a duplicate
      "[1, \"x\", null, true, -1.5e3, [], {}, [" + one + "]]",
      "[]",
      many,
      // Top-level mistakes, before and after the list.
      "{\"tenants\": [" + bad + "], \"schema_versoin\": 1, \"extra\": {\"x\": [1]}}",
      "{\"tenants\": [" + one + "],\n \"tenants\": []}",
      "{\"schema_version\": 1}",
      "{}",
      "{\"tenants\": {\"a\": [" + one + "]}}",
      "{\"tenants\": \"" + one.substr(2, 10) + "\"}",
      "{\"tenants\": null}",
      "{\"tenants\": 12}",
      // Strings: escapes, UTF-8, \u escapes yaml-cpp refuses, keys.
      "[{\"id\": \"6b1f0a3e-2d4c-4e8f-9a7b-1c3d5e7f9a0b\", \"name\": \"Caf\xC3\xA9 \\\"A\\\" \\\\ "
      "\\/ "
      "\\u00e9\\n\"}, " +
          bad + "]",
      "[{\"id\": \"6b1f0a3e-2d4c-4e8f-9a7b-1c3d5e7f9a0b\", \"name\": \"\\ud83d\\ude00\"}]",
      "{\"" + std::string(1100, 'k') + "\": 1, \"tenants\": []}",
      "{\"tena\\u006ets\": [" + one + "]}",
      // Not strict JSON: read as before.
      "[" + one + ", " + bad + ",]",
      "# a comment\n[" + one + "]",
      "tenants:\n  - id: 52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c\n  - id: nope\n",
      "{\"x\": &a [1], \"tenants\": [*a]}",
      "[" + one + "] trailing",
      "[" + std::string(100, '[') + std::string(100, ']') + ", " + bad + "]",
      "{\"tenants\"\n: [" + one + "]}",
      "[" + one + ", \"a\rb\"]",
      "[" + one + "\r" + "]",
      "[\"tab\there\", " + bad + "]",
      "[" + one + ", " + bad,
      "{\"tenants\": [" + one + "]",
      "[{\"id\": \"6b1f0a3e-2d4c-4e8f-9a7b-1c3d5e7f9a0b\", \"name\": \"One\"\n]}",
      "[01, " + bad + "]",
      "[truex]",
      "",
      "  \n",
      "null",
      "\"just a string\"",
      "<html><body>Service unavailable</body></html>",
  };
  for (const auto& text : inputs) {
    INFO(text.substr(0, 300));
    CHECK(streamedOrNot(text) == wholeDocument(text));
  }
}

TEST_CASE("inventory JSON: the shipped demo inventory reads the same a tenant at a time") {
  auto text = readWholeFile(testing::sourcePath("etc/demo/inventory.json"));
  REQUIRE(text);
  CHECK(streamedOrNot(*text) == wholeDocument(*text));
  // And with every record broken somewhere: positions throughout the file.
  const std::string broken = replaceAll(*text, "\"id\"", "\"idd\"");
  CHECK(streamedOrNot(broken) == wholeDocument(broken));
  CHECK(streamedOrNot(broken).find("inv.json:") != std::string::npos);
}

namespace {

// What readInventory() gives reading `text` from a file `read_bytes` at a time, collected as an
// Inventory; `records` receives what it was told of the rows, and `first_tenant_after` whether
// it was told before the first tenant.
Result<Inventory> readFromFile(const TempDir& dir, const std::string& name, const std::string& text,
                               size_t read_bytes, size_t* records = nullptr) {
  const std::string path = dir.write(name, text);
  auto window = TextWindow::open(path, kMaxFileBytes, read_bytes);
  REQUIRE(window);
  Inventory inv;
  bool told = false;
  auto report = readInventory(
      *window, name, formOf(name),
      [&](Tenant&& t) {
        CHECK(told);  // the count comes before the first tenant
        inv.tenants.push_back(std::move(t));
        return Status::ok();
      },
      [&](size_t n) {
        CHECK_FALSE(told);
        told = true;
        if (records != nullptr) *records = n;
      });
  if (!report) return report.status();
  CHECK(report->tenants == inv.tenants.size());
  inv.diagnostics = report->diagnostics;
  inv.skipped = report->skipped;
  inv.unreadable = report->unreadable;
  return inv;
}

std::string csvRows(const std::string& header, const std::vector<std::string>& rows,
                    const std::string& eol = "\n") {
  std::string text = header + eol;
  for (const auto& r : rows) text += r + eol;
  return text;
}

}  // namespace

TEST_CASE("inventory from a file a few bytes at a time: the same as from the whole text") {
  TempDir dir;
  auto demo = readWholeFile(testing::sourcePath("etc/demo/inventory.json"));
  REQUIRE(demo);
  const std::string one = kOne, bad = kBadOne, two = kTwo;
  const std::vector<std::string> json = {
      *demo,
      replaceAll(*demo, "\"id\"", "\"idd\""),  // every record broken: positions throughout
      "\xEF\xBB\xBF{\"tenants\": [" + bad + ",\r\n " + two + "]}\r\n",
      "{\"tenants\":[" + bad + "],\"partner\":{\"a\":[1,{\"b\":null}]},\"schema_version\":1}",
      "[" + one + ", " + one + "]",
      "{\"tenants\": [" + bad + "], \"schema_versoin\": 1, \"extra\": {\"x\": [1]}}",
      "{\"tenants\": 12}",
      "[" + one + ", " + bad + ",]",                               // not strict: read whole
      "[" + one + ", " + bad,                                      // cut short
      "[" + one + ",\n" + bad + ", \"caf\xC3\xA9\", \"\xFF\"]",    // not UTF-8 near the end
      "tenants:\n  - id: 52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c\n",  // YAML
      "",
  };
  const std::vector<std::string> csv = {
      kGoodCsv,
      csvRows("tenant_id,domain,name,admin_email,onboarded_at,tags",
              {"52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c,a.com,\"Two\nlines\",a@a.com,2024-05-01,x",
               "not-a-guid,x.com,X,a@x.com,2024-01-01,", "bad\"quote,1,2,3,4,5", "",
               "6b1f0a3e-2d4c-4e8f-9a7b-1c3d5e7f9a0b,b.com,B,,,",
               "52EAAD04-13A1-4E3B-9C2B-5F5F0E7B1A2C,dup.com,Dup,,,", "\"unclosed,1,2"},
              "\r\n"),
      "\xEF\xBB\xBFtenant_id,admin_emial\r52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c,a@b.com\r",
      "\xFF\xFEt\0e\0",
      "domain,name\nx.com,X\n",
      "",
  };
  for (size_t read_bytes : {size_t{1}, size_t{3}, size_t{7}, TextWindow::kReadBytes}) {
    for (const auto& text : json) {
      INFO("JSON, " << read_bytes << " bytes a read: " << text.substr(0, 200));
      CHECK(outcome(readFromFile(dir, "inv.json", text, read_bytes)) ==
            outcome(parseInventoryJson(text, "inv.json")));
    }
    for (const auto& text : csv) {
      INFO("CSV, " << read_bytes << " bytes a read: " << text.substr(0, 200));
      CHECK(outcome(readFromFile(dir, "inv.csv", text, read_bytes)) ==
            outcome(parseInventoryCsv(text, "inv.csv")));
    }
  }
}

TEST_CASE("inventory CSV: syntax errors are listed first, then the header's, then the rows'") {
  // The order of the days when the whole file was split into records before a row was read,
  // kept by the reader that goes row by row: 60 rows with a bad value, then 60 with a quote
  // out of place, then a duplicate. The first 100 unreadable rows in that order are listed.
  std::vector<std::string> rows;
  for (int i = 0; i < 60; ++i) rows.push_back("not-a-guid-" + std::to_string(i) + ",x");
  for (int i = 0; i < 60; ++i) rows.push_back("bad\"quote" + std::to_string(i) + ",x");
  rows.push_back("52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c,x");
  rows.push_back("52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c,y");
  auto inv = parseInventoryCsv(csvRows("tenant_id,nmae", rows), "inv.csv");
  REQUIRE(inv);
  CHECK(inv->tenants.size() == 1);
  CHECK(inv->unreadable == 120);
  CHECK(inv->skipped == 121);
  const auto& items = inv->diagnostics.items();
  REQUIRE(items.size() == 60 + 1 + 40 + 1 + 1);
  for (size_t i = 0; i < 60; ++i) CHECK(items[i].code == "inventory.csv-syntax");
  CHECK(items[0].location.line == 62);
  CHECK(items[60].code == "inventory.unknown-column");
  for (size_t i = 61; i < 101; ++i) CHECK(items[i].code == "inventory.bad-value");
  CHECK(items[61].location.line == 2);
  CHECK(items[101].code == "inventory.duplicate-tenant");
  CHECK(items[102].message == "20 more unreadable row(s) were skipped");
  // Each listed line is quoted.
  CHECK_THAT(inv->diagnostics.renderText(), Catch::Contains("  bad\"quote0,x\n"));
  CHECK_THAT(inv->diagnostics.renderText(), Catch::Contains("  not-a-guid-39,x\n"));
}

TEST_CASE("inventory: a problem with the whole file comes before any tenant is handed over") {
  TempDir dir;
  const std::string one = kOne, two = kTwo;
  for (const std::string& text :
       {"[" + one + ",\n" + two + ",\n" + "{\"id\": ",
        "{\"tenants\": [" + one + "], \"schema_versoin\": 1}", "[" + one + "] trailing"}) {
    INFO(text);
    size_t handed = 0;
    auto report = readInventoryFile(dir.write("inv.json", text), [&handed](Tenant&&) {
      ++handed;
      return Status::ok();
    });
    if (text.find("trailing") == std::string::npos) CHECK_FALSE(report);
    CHECK(handed == (report ? 1u : 0u));
  }
  // The sink's error stops the reading and is its result.
  auto stopped = readInventoryFile(dir.write("inv.csv", kGoodCsv),
                                   [](Tenant&&) { return Status::aborted("stop"); });
  REQUIRE_FALSE(stopped);
  CHECK(stopped.status().message() == "stop");
}

TEST_CASE("inventory: the rows a file holds are told before the first tenant") {
  TempDir dir;
  size_t records = 0;
  auto csv = readFromFile(dir, "inv.csv", std::string(kGoodCsv) + "bad\"row,1\nnot-a-guid,2\n", 7,
                          &records);
  REQUIRE(csv);
  CHECK(records == 4);  // the header aside, bad rows included
  CHECK(csv->tenants.size() == 2);
  auto json =
      readFromFile(dir, "inv.json", std::string("[") + kOne + ", " + kBadOne + "]", 5, &records);
  REQUIRE(json);
  CHECK(records == 2);
}
