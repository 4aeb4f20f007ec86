// SPDX-License-Identifier: Apache-2.0
// The digest as an admin reads it on a phone (issue 18): rendered in headless Chromium at 360 and
// 1024 px wide, the page never scrolls sideways, for the demo digest and for one with every
// section and a 200-character tenant name without spaces; one finding stays short at 360 px; the
// screenshots are kept in build/test-artifacts/alerts/; a digest of 200 findings stays under
// 300 KB; the text part reads at 78 columns; and every URL in a finding is a link that no hostile
// URL can break out of.
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/QuotedPrintableDecoder.h>
#include <catch2/catch.hpp>
#include <unistd.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/text.h"
#include "tests/support/cli_runner.h"
#include "tests/support/demo_partner.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::contains;
using cspwatch::testing::cliRun;
using cspwatch::testing::readFile;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

const std::string kChromium = "/usr/bin/chromium";  // scripts/install-deps.sh installs it
const std::string kOps = "ops@northwind-it.com.au";

// A config over `inventory` (in `dir`) writing mail as .eml files to <dir>/mail.
std::string config(const TempDir& dir, const std::string& extra = "") {
  return dir.write(
      "cspwatch.yaml",
      testing::kDemoPartnerYaml + "sources:\n  inventory:\n    path: inventory.json\n" +
          "storage:\n  path: cspwatch.db\nrules:\n  paths: [" + sourcePath("etc/rules.d") +
          "]\nalerts:\n" +
          "  from: \"cspwatch <cspwatch@northwind-it.com.au>\"\n  templates_dir: " +
          sourcePath("etc/templates") + "\n  transport: file\n  file:\n    dir: mail\n" +
          "  routes:\n    - to: [" + kOps + "]\n      default: true\n" +
          "  could_not_check_after_scans: 1\n" + extra);
}

// The decoded text/plain (or text/html) part of a multipart message.
std::string part(const std::string& message, const std::string& type) {
  size_t at = message.find("Content-Type: " + type);
  REQUIRE(at != std::string::npos);
  size_t body = message.find("\r\n\r\n", at);
  REQUIRE(body != std::string::npos);
  size_t end = message.find("\r\n--=_cspwatch", body + 4);
  std::istringstream in(message.substr(body + 4, end - body - 4));
  Poco::Net::QuotedPrintableDecoder decoder(in);
  std::string out((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
  return replaceAll(out, "\r\n", "\n");
}

// The .eml file whose subject (the first line of its text part) says `marker`.
std::string messageSaying(const TempDir& dir, const std::string& marker) {
  for (const auto& name : testing::listDirectory(dir.file("mail"))) {
    const std::string message = readFile(dir.file("mail/" + name));
    const std::string text = part(message, "text/plain");
    if (contains(text.substr(0, text.find("\n\n")), marker)) return message;
  }
  FAIL("no message whose subject says '" << marker << "'");
  return "";
}

std::string attributeEscape(const std::string& s) {
  return replaceAll(replaceAll(replaceAll(s, "&", "&amp;"), "\"", "&quot;"), "<", "&lt;");
}

struct Layout {
  int scroll_width = -1, viewport = -1, height = -1, first_finding = -1;
};

// `html` in an iframe `width` px wide (the window is wider: Chromium keeps a window at least 500
// px wide), measured by a script of the test's own page, which can read the frame because a
// srcdoc frame shares its page's origin; the numbers come back through --dump-dom.
Layout measure(const TempDir& dir, const std::string& html, int width) {
  const std::string page =
      "<!DOCTYPE html><html><body style=\"margin:0\"><iframe id=\"f\" style=\"border:0;width:" +
      std::to_string(width) + "px;height:4000px\" srcdoc=\"" + attributeEscape(html) +
      "\"></iframe><pre id=\"out\"></pre><script>window.addEventListener('load', function() {"
      "var f = document.getElementById('f'), d = f.contentDocument;"
      "var first = d.querySelector('div[style*=border-left] > p');"
      "document.getElementById('out').textContent = 'scroll=' + d.documentElement.scrollWidth +"
      "' viewport=' + f.contentWindow.innerWidth + ' height=' + d.documentElement.scrollHeight +"
      "' first=' + (first ? Math.round(first.getBoundingClientRect().height) : -1) + ' end';"
      "});</script></body></html>";
  const std::string file = dir.write("measure-" + std::to_string(width) + ".html", page);
  auto dom = testing::runCommand(
      kChromium, {"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                  "--user-data-dir=" + dir.file("chromium"), "--window-size=1200,4000",
                  "--dump-dom", "file://" + file});
  INFO(dom.err);
  REQUIRE(dom.exit_code == 0);
  Layout l;
  const size_t at = dom.out.find("scroll=");
  REQUIRE(at != std::string::npos);
  std::istringstream in(replaceAll(
      replaceAll(replaceAll(replaceAll(dom.out.substr(at), "scroll=", ""), "viewport=", ""),
                 "height=", ""),
      "first=", ""));
  in >> l.scroll_width >> l.viewport >> l.height >> l.first_finding;
  return l;
}

// The page at `width` px (and as tall as it is) in build/test-artifacts/alerts/<name>-<width>.png.
void screenshot(const TempDir& dir, const std::string& html, const std::string& name, int width,
                int height) {
  const std::string artifacts = std::string(CSPWATCH_BIN_DIR) + "/../test-artifacts/alerts";
  REQUIRE(makeDirectories(artifacts, 0755));
  const std::string page = artifacts + "/" + name + ".html";
  REQUIRE(writeFileAtomically(page, html, 0644));
  const std::string png = artifacts + "/" + name + "-" + std::to_string(width) + ".png";
  ::unlink(png.c_str());
  auto shot = testing::runCommand(
      kChromium, {"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                  "--user-data-dir=" + dir.file("chromium"),
                  "--window-size=" + std::to_string(width) + "," +
                      std::to_string(std::min(std::max(height, 600), 16000)),
                  "--screenshot=" + png, "file://" + page});
  INFO(shot.err);
  REQUIRE(shot.exit_code == 0);
  CHECK(readFile(png).size() > 20000);  // a real picture, not an empty page
}

// At 360 and 1024 px: nothing wider than the viewport; the screenshots kept. Returns the layout
// at 360 px.
Layout checkBothWidths(const TempDir& dir, const std::string& html, const std::string& name) {
  Layout narrow;
  for (int width : {360, 1024}) {
    const Layout l = measure(dir, html, width);
    INFO(name << " at " << width << " px: scrollWidth " << l.scroll_width << ", viewport "
              << l.viewport << ", height " << l.height << ", first finding " << l.first_finding);
    CHECK(l.viewport == width);
    CHECK(l.scroll_width > 0);
    CHECK(l.scroll_width <= l.viewport);
    WARN(name << " at " << width << " px: scrollWidth " << l.scroll_width << ", height " << l.height
              << " px, first finding " << l.first_finding << " px tall");
    screenshot(dir, html, name, width, l.height);
    if (width == 360) narrow = l;
  }
  return narrow;
}

// No line of the text part is longer than 78 columns, unless it is one word (a URL).
void checkTextColumns(const std::string& text) {
  for (const auto& line : split(text, '\n')) {
    size_t columns = 0;
    for (char c : line)
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++columns;
    if (columns <= 78) continue;
    INFO("line of " << columns << " columns: " << line);
    CHECK(trim(line).find(' ') == std::string::npos);
  }
}

}  // namespace

TEST_CASE("digest layout: the demo digest fits 360 and 1024 px, one finding stays short",
          "[alerts][chromium]") {
  REQUIRE(::access(kChromium.c_str(), X_OK) == 0);
  TempDir dir;
  dir.write("inventory.json", readFile(sourcePath("etc/demo/inventory.json")));
  const std::string cfg = config(dir);
  auto scan = cliRun({"-c", cfg, "scan", "--once", "--now", "2026-11-25T00:00:00Z"});
  INFO(scan.out << scan.err);
  REQUIRE(scan.code == 0);
  const std::string message = messageSaying(dir, "18 new");
  const std::string html = part(message, "text/html");
  const Layout narrow = checkBothWidths(dir, html, "digest-demo");
  // About 1,600 px before issue 18 (each finding carried its rule's whole description).
  CHECK(narrow.first_finding > 0);
  CHECK(narrow.first_finding < 700);
  checkTextColumns(part(message, "text/plain"));
}

TEST_CASE(
    "digest layout: every section and a 200-character tenant name without spaces fit 360 and "
    "1024 px",
    "[alerts][chromium]") {
  REQUIRE(::access(kChromium.c_str(), X_OK) == 0);
  TempDir dir;
  const std::string demo = readFile(sourcePath("etc/demo/inventory.json"));
  std::string long_name;
  while (long_name.size() < 200) long_name += "BellbirdBookkeeping";
  long_name.resize(200);
  // Eastwood's admin address is fixed in scan 2 and bad again in scan 3 (reopened); Rangitoto's
  // is fixed in scan 3 (resolved); Ashgrove's billing address goes bad in scan 3 (new).
  auto inventory = [&](bool eastwood_fixed, bool rangitoto_fixed, bool ashgrove_bad) {
    std::string text = replaceAll(demo, "\"Bellbird Bookkeeping\"", "\"" + long_name + "\"");
    if (eastwood_fixed)
      text = replaceAll(text, "sarah.eastwoodhair@gmail.com", "sarah@eastwoodhair.com.au");
    if (rangitoto_fixed)
      text = replaceAll(text, "csp-admin@northwind-it.com.ua", "csp-admin@northwind-it.com.au");
    if (ashgrove_bad)
      text = replaceAll(text, "accounts@ashgrovepodiatry.com.au", "ashgrove.accounts@gmail.com");
    dir.write("inventory.json", text);
  };
  const std::string cfg = config(dir);
  // `suppress add` takes the clock's time: the scans run in the hours before it.
  const Timestamp now = SystemClock().now();
  auto scanAt = [&](Timestamp at) {
    auto r = cliRun({"-c", cfg, "scan", "--once", "--now", formatTimestamp(at)});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
  };
  inventory(false, false, false);
  scanAt(now - std::chrono::hours(30));
  inventory(true, false, false);
  scanAt(now - std::chrono::hours(29));
  // A suppression that expires within 7 days: announced in the next digest.
  auto sup = cliRun({"-c", cfg, "suppress", "add", "--rule", "dap-enabled", "--tenant",
                     "62c55ab0-8d4a-4160-a81d-c5a46bff3521", "--reason",
                     "moving to GDAP in December", "--owner", "jo", "--expires", "3d"});
  INFO(sup.out << sup.err);
  REQUIRE(sup.code == 0);
  inventory(false, true, true);
  scanAt(now - std::chrono::hours(4));  // a day on: reminders are due
  const std::string message = messageSaying(dir, "reopened");
  const std::string html = part(message, "text/html");
  const std::string text = part(message, "text/plain");
  for (const char* section : {"New findings (1)", "Reopened (1)", "Still open (", "Resolved (1)",
                              "Could not be checked (", "Suppressions expiring within 7 days (1)"})
    CHECK(contains(text, section));
  CHECK(contains(html, long_name));
  checkBothWidths(dir, html, "digest-all-sections");
  checkTextColumns(text);
}

TEST_CASE("digest size: 200 findings stay under 300 KB, the text part at 78 columns", "[alerts]") {
  TempDir dir;
  // The demo's tenants over and over with new ids and names: 216 findings of every rule, of
  // which a digest lists 200 (max_items_per_section) and counts the rest.
  Poco::JSON::Parser parser;
  auto doc = parser.parse(readFile(sourcePath("etc/demo/inventory.json")))
                 .extract<Poco::JSON::Object::Ptr>();
  auto demo = doc->getArray("tenants");
  Poco::JSON::Array::Ptr tenants = new Poco::JSON::Array;
  for (int copy = 0; copy < 12; ++copy)
    for (size_t i = 0; i < demo->size(); ++i) {
      std::ostringstream one;
      demo->getObject(static_cast<unsigned>(i))->stringify(one);
      char prefix[16];
      std::snprintf(prefix, sizeof prefix, "%08x", copy * 1000 + static_cast<int>(i));
      auto t = parser.parse(one.str()).extract<Poco::JSON::Object::Ptr>();
      const std::string id = t->getValue<std::string>("id");
      t->set("id", prefix + id.substr(8));
      t->set("name", t->getValue<std::string>("name") + " " + std::to_string(copy));
      tenants->add(t);
    }
  doc->set("tenants", tenants);
  std::ostringstream json;
  doc->stringify(json);
  dir.write("inventory.json", json.str());
  const std::string cfg = config(dir, "  max_items_per_section: 200\n");
  auto scan = cliRun({"-c", cfg, "scan", "--once", "--now", "2026-11-25T00:00:00Z"});
  INFO(scan.out << scan.err);
  REQUIRE(scan.code == 0);
  CHECK(contains(scan.out, "216 new"));
  const std::string message = messageSaying(dir, "216 new");
  WARN("a digest of 200 listed findings (216 in all): " << message.size() << " bytes");
  CHECK(message.size() < 300 * 1024);
  const std::string text = part(message, "text/plain");
  CHECK(contains(text, "... and 16 more, not listed here."));
  checkTextColumns(text);
}
