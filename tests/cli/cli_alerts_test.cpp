// SPDX-License-Identifier: Apache-2.0
// Alert mail end to end: real scans of the demo inventory, delivered to a real SMTP server
// (Debian's aiosmtpd on 127.0.0.1 with STARTTLS and AUTH), through a mail server outage and a
// restart of cspwatch; and `alerts preview|test|outbox|send`.
#include <fstream>
#include <sstream>

#include <Poco/Net/QuotedPrintableDecoder.h>
#include <catch2/catch.hpp>
#include <unistd.h>

#include "common/file_util.h"
#include "common/text.h"
#include "tests/support/cli_runner.h"
#include "tests/support/demo_partner.h"
#include "tests/support/process.h"
#include "tests/support/smtp_server.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::contains;
using cspwatch::testing::cliRun;
using cspwatch::testing::readFile;
using cspwatch::testing::runBinary;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;
using Run = cspwatch::testing::CliRun;

namespace {

const std::string kPassword = "fake-smtp-password-for-tests";
const std::string kOps = "ops@northwind-it.com.au";

// The demo inventory, copied so a test can change it between scans.
std::string copyInventory(const TempDir& dir, const std::string& from = "",
                          const std::string& to = "") {
  std::string text = readFile(sourcePath("etc/demo/inventory.json"));
  if (!from.empty()) {
    REQUIRE(contains(text, from));
    text = replaceAll(text, from, to);
  }
  return dir.write("inventory.json", text);
}

// A config over the demo inventory with alerts through `alerts_yaml` (indented 2).
std::string config(const TempDir& dir, const std::string& alerts_yaml) {
  return dir.write("cspwatch.yaml", testing::kDemoPartnerYaml +
                                        "sources:\n"
                                        "  inventory:\n"
                                        "    path: inventory.json\n"
                                        "storage:\n"
                                        "  path: cspwatch.db\n"
                                        "rules:\n"
                                        "  paths: [" +
                                        sourcePath("etc/rules.d") +
                                        "]\n"
                                        "alerts:\n"
                                        "  from: \"cspwatch <cspwatch@northwind-it.com.au>\"\n"
                                        "  templates_dir: " +
                                        sourcePath("etc/templates") +
                                        "\n"
                                        "  routes:\n"
                                        "    - to: [" +
                                        kOps +
                                        "]\n"
                                        "      default: true\n"
                                        "  could_not_check_after_scans: 1\n" +
                                        alerts_yaml);
}

std::string smtpConfig(const TempDir& dir, const testing::SmtpServer& server,
                       const testing::TestCertificates& certs) {
  dir.write("smtp_password", kPassword + "\n");
  return config(dir,
                "  transport: smtp\n"
                "  smtp:\n"
                "    host: 127.0.0.1\n"
                "    port: " +
                    std::to_string(server.port()) +
                    "\n"
                    "    tls: starttls\n"
                    "    username: cspwatch\n"
                    "    password_file: smtp_password\n"
                    "    ca_file: " +
                    certs.ca_file + "\n");
}

// The decoded text/plain (or text/html) part of a multipart message.
std::string part(const std::string& message, const std::string& type) {
  size_t at = message.find("Content-Type: " + type);
  REQUIRE(at != std::string::npos);
  size_t body = message.find("\r\n\r\n", at);
  REQUIRE(body != std::string::npos);
  size_t end = message.find("\r\n--", body + 4);
  std::istringstream in(message.substr(body + 4, end - body - 4));
  Poco::Net::QuotedPrintableDecoder decoder(in);
  std::string out((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
  return replaceAll(out, "\r\n", "\n");
}

std::string headerBlock(const std::string& message) {
  return message.substr(0, message.find("\r\n\r\n") + 2);
}

// STARTTLS with AUTH, as a real submission server.
testing::SmtpServerOptions tlsServer(const testing::TestCertificates& certs) {
  testing::SmtpServerOptions o;
  o.tls = testing::SmtpServerTls::kStartTls;
  o.cert_file = certs.cert_file;
  o.key_file = certs.key_file;
  o.auth = "cspwatch:" + kPassword;
  return o;
}

const std::string kT0 = "2026-11-25T00:00:00Z";
const std::string kT1 = "2026-11-25T06:00:00Z";
const std::string kT2 = "2026-11-25T12:00:00Z";
const std::string kT3 = "2026-11-25T18:00:00Z";

}  // namespace

TEST_CASE("alerts over SMTP (STARTTLS, AUTH): a digest per scan, nothing twice, resolved once",
          "[alerts-smtp]") {
  TempDir dir;
  auto certs = testing::makeTestCertificates(dir.path());
  testing::SmtpServer server(tlsServer(certs));
  copyInventory(dir);
  const std::string cfg = smtpConfig(dir, server, certs);

  Run first = cliRun({"-c", cfg, "scan", "--once", "--now", kT0});
  INFO(first.out << first.err);
  REQUIRE(first.code == 0);
  CHECK(contains(first.out, "alerts: 1 delivered, 0 waiting to retry, 0 failed"));
  auto got = server.messages();
  REQUIRE(got.size() == 1);
  CHECK(got[0].rcpt_tos == std::vector<std::string>{kOps});
  CHECK(got[0].mail_from == "cspwatch@northwind-it.com.au");
  CHECK(got[0].auth_user == "cspwatch");
  const std::string text = part(got[0].data, "text/plain");
  CHECK(
      contains(text, "cspwatch digest for Northwind IT Services: 18 new, 4 could not be checked"));
  // Each finding compact (issue 18): the tenant and the subject by name, then what and the fix.
  CHECK(contains(text, "* Eastwood Hair & Beauty: sarah.eastwoodhair@gmail.com"));
  CHECK(contains(text, "  Fix: Send the customer our reseller relationship request"));
  CHECK(contains(text, "invType=IndirectResellerRelationship"));
  CHECK(contains(part(got[0].data, "text/html"), "Eastwood Hair &amp; Beauty"));
  CHECK(contains(headerBlock(got[0].data), "multipart/alternative"));
  // The password is in no output and nowhere in the database.
  CHECK_FALSE(contains(first.out + first.err, kPassword));
  CHECK_FALSE(contains(readFile(dir.file("cspwatch.db")), kPassword));

  // The same tenants six hours later: nothing new, nothing due, no mail.
  Run second = cliRun({"-c", cfg, "scan", "--once", "--now", kT1});
  REQUIRE(second.code == 0);
  CHECK(contains(second.out, "alerts: 0 delivered"));
  CHECK(server.messages().size() == 1);

  // The customer's admin address fixed: the finding is resolved and mailed as such, once.
  copyInventory(dir, "sarah.eastwoodhair@gmail.com", "sarah@eastwoodhair.com.au");
  REQUIRE(cliRun({"-c", cfg, "scan", "--once", "--now", kT2}).code == 0);
  got = server.messages();
  REQUIRE(got.size() == 2);
  const std::string resolved = part(got[1].data, "text/plain");
  CHECK(contains(resolved,
                 "cspwatch digest for Northwind IT Services: 1 resolved, 4 could not be checked."));
  CHECK(contains(resolved, "== Resolved (1) =="));
  CHECK(contains(resolved, "Eastwood Hair & Beauty"));
  CHECK(contains(resolved, "Resolved:    2026-11-25 12:00 UTC (passed)"));
  REQUIRE(cliRun({"-c", cfg, "scan", "--once", "--now", kT3}).code == 0);
  CHECK(server.messages().size() == 2);
}

TEST_CASE(
    "alerts: the mail server down during a scan, delivered once after it is back, across a "
    "restart of cspwatch",
    "[alerts-smtp]") {
  TempDir dir;
  auto certs = testing::makeTestCertificates(dir.path());
  testing::SmtpServer server(tlsServer(certs));
  copyInventory(dir);
  const std::string cfg = smtpConfig(dir, server, certs);
  server.stop();

  // Each command is its own cspwatch process: the outbox is all that carries over.
  auto scan = runBinary("cspwatch", {"-c", cfg, "scan", "--once", "--now", kT0});
  INFO(scan.out << scan.err);
  REQUIRE(scan.exit_code == 0);
  CHECK(contains(scan.out, "alerts: 0 delivered, 1 waiting to retry, 0 failed"));
  auto queued = runBinary("cspwatch", {"-c", cfg, "alerts", "outbox"});
  CHECK(contains(queued.out, "queued"));
  CHECK(contains(queued.out, "127.0.0.1"));  // the reason is kept

  server.restart();
  // Too early for the next attempt (60 s back-off): nothing is sent.
  auto early =
      runBinary("cspwatch", {"-c", cfg, "alerts", "send", "--now", "2026-11-25T00:00:30Z"});
  CHECK(contains(early.out, "alerts: 0 delivered"));
  CHECK(server.messages().empty());
  auto send = runBinary("cspwatch", {"-c", cfg, "alerts", "send", "--now", "2026-11-25T00:02:00Z"});
  INFO(send.out << send.err);
  CHECK(send.exit_code == 0);
  CHECK(contains(send.out, "alerts: 1 delivered"));
  REQUIRE(server.messages().size() == 1);
  auto again =
      runBinary("cspwatch", {"-c", cfg, "alerts", "send", "--now", "2026-11-25T01:00:00Z"});
  CHECK(contains(again.out, "alerts: 0 delivered, 0 waiting to retry, 0 failed"));
  CHECK(server.messages().size() == 1);
  auto outbox = runBinary("cspwatch", {"-c", cfg, "alerts", "outbox"});
  CHECK(contains(outbox.out, "nothing queued or failed"));
}

TEST_CASE("alerts test: one message through the transport, with the server's answer",
          "[alerts-smtp]") {
  TempDir dir;
  auto certs = testing::makeTestCertificates(dir.path());
  testing::SmtpServer server(tlsServer(certs));
  copyInventory(dir);
  std::string cfg = smtpConfig(dir, server, certs);
  Run ok = cliRun({"-c", cfg, "alerts", "test", "--to", "me@northwind-it.com.au"});
  INFO(ok.out << ok.err);
  CHECK(ok.code == 0);
  CHECK(contains(ok.out, "delivered a test message to me@northwind-it.com.au via smtp: 250"));
  REQUIRE(server.messages().size() == 1);
  CHECK(contains(part(server.messages()[0].data, "text/plain"), "This is a test message"));

  dir.write("smtp_password", "wrong\n");
  Run bad = cliRun({"-c", cfg, "alerts", "test", "--to", "me@northwind-it.com.au"});
  CHECK(bad.code == 1);
  CHECK(contains(bad.out, "NOT delivered"));
  CHECK(contains(bad.out, "535"));

  Run usage = cliRun({"-c", cfg, "alerts", "test", "--to", "not an address"});
  CHECK(usage.code == 2);
}

TEST_CASE("alerts preview, outbox and the file transport", "[alerts]") {
  TempDir dir;
  copyInventory(dir);
  const std::string cfg = config(dir, "  transport: file\n  file:\n    dir: mail\n");
  Run none = cliRun({"-c", cfg, "alerts", "preview"});
  INFO(none.out << none.err);
  CHECK(none.code == 0);  // before any scan: said, not an error, and no database made
  CHECK(contains(none.err, "no scan yet"));
  CHECK(::access(dir.file("cspwatch.db").c_str(), F_OK) != 0);

  Run scan = cliRun({"-c", cfg, "scan", "--once", "--now", kT0});
  REQUIRE(scan.code == 0);
  CHECK(contains(scan.out, "alerts: 1 delivered"));
  std::vector<std::string> emls;
  for (const auto& name : testing::listDirectory(dir.file("mail")))
    if (endsWith(name, ".eml")) emls.push_back(name);
  REQUIRE(emls.size() == 1);

  // Preview renders the latest scan's digest again without sending anything.
  Run text = cliRun({"-c", cfg, "alerts", "preview", "--now", kT0});
  CHECK(text.code == 0);
  CHECK(contains(text.out, "=== To: " + kOps + " (digest)"));
  // Five checks could not be made; the two tenants whose company email is hidden for the same
  // reason make one grouped line.
  CHECK(contains(text.out, "18 new, 4 could not be checked"));
  Run html = cliRun({"-c", cfg, "alerts", "preview", "--format", "html", "--now", kT0});
  CHECK(html.code == 0);
  CHECK(startsWith(html.out, "<!DOCTYPE html>"));
  Run eml = cliRun({"-c", cfg, "alerts", "preview", "--format", "eml", "--to", kOps, "--now", kT0});
  CHECK(eml.code == 0);
  // The same message as the one delivered: same Message-ID.
  CHECK(eml.out == readFile(dir.file("mail/" + emls[0])));
  Run other = cliRun({"-c", cfg, "alerts", "preview", "--to", "nobody@x.example", "--now", kT0});
  CHECK(contains(other.out, "nothing to send to nobody@x.example"));

  Run outbox = cliRun({"-c", cfg, "alerts", "outbox", "--all", "--format", "json"});
  CHECK(outbox.code == 0);
  CHECK(contains(outbox.out, "\"status\": \"sent\""));
  CHECK(cliRun({"-c", cfg, "alerts", "outbox"}).out ==
        "nothing queued or failed: every message was delivered\n");
  Run bad = cliRun({"-c", cfg, "alerts", "preview", "--format", "pdf"});
  CHECK(bad.code == 2);
}

namespace {

// Whitespace runs as single spaces: text extracted from a PDF wraps where the page does.
std::string squeeze(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

}  // namespace

TEST_CASE(
    "alerts: the HTML part rendered in headless Chromium shows tenants and fixes, and a "
    "hostile tenant name stays text",
    "[alerts-smtp][chromium]") {
  const std::string chromium = "/usr/bin/chromium";
  REQUIRE(::access(chromium.c_str(), X_OK) == 0);  // scripts/install-deps.sh installs it
  TempDir dir;
  auto certs = testing::makeTestCertificates(dir.path());
  testing::SmtpServer server(tlsServer(certs));
  const std::string evil = "<script>alert(1)</script>\\r\\nBcc: x@evil";  // as JSON text
  copyInventory(dir, "\"name\": \"Eastwood Hair & Beauty\"", "\"name\": \"" + evil + "\"");
  const std::string cfg = smtpConfig(dir, server, certs);
  Run scan = cliRun({"-c", cfg, "scan", "--once", "--now", kT0});
  INFO(scan.out << scan.err);
  REQUIRE(scan.code == 0);
  auto got = server.messages();
  REQUIRE(got.size() == 1);
  // No header was added, and nobody else got it.
  CHECK(got[0].rcpt_tos == std::vector<std::string>{kOps});
  const std::string head = headerBlock(got[0].data);
  CHECK_FALSE(contains(head, "\r\nBcc:"));
  CHECK_FALSE(contains(head, "x@evil"));
  const std::string html = part(got[0].data, "text/html");
  CHECK(contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_FALSE(contains(html, "<script"));

  // The artifacts stay in the build tree for a human to look at.
  const std::string artifacts = std::string(CSPWATCH_BIN_DIR) + "/../test-artifacts/alerts";
  REQUIRE(makeDirectories(artifacts, 0755));
  const std::string page = artifacts + "/digest.html", png = artifacts + "/digest.png",
                    pdf = artifacts + "/digest.pdf";
  REQUIRE(writeFileAtomically(page, html, 0644));
  for (const auto& f : {png, pdf}) ::unlink(f.c_str());
  const std::vector<std::string> common = {"--headless",
                                           "--no-sandbox",
                                           "--disable-gpu",
                                           "--hide-scrollbars",
                                           "--user-data-dir=" + dir.file("chromium"),
                                           "--window-size=1000,5000"};
  auto run = [&](const std::string& action) {
    std::vector<std::string> args = common;
    args.push_back(action);
    args.push_back("file://" + page);
    return testing::runCommand(chromium, args);
  };
  auto shot = run("--screenshot=" + png);
  INFO(shot.err);
  REQUIRE(shot.exit_code == 0);
  CHECK(readFile(png).size() > 20000);  // a real picture, not an empty page
  auto printed = run("--print-to-pdf=" + pdf);
  REQUIRE(printed.exit_code == 0);
  auto text = testing::runCommand("/usr/bin/pdftotext", {"-layout", pdf, "-"});
  REQUIRE(text.exit_code == 0);
  const std::string visible = squeeze(text.out);
  INFO(visible.substr(0, 3000));
  for (const char* shown :
       {"Bellbird Bookkeeping", "Riverstone Orthodontics", "Tasman Bay Yacht Club",
        "Rangitoto Realty", "Fix:", "Send the customer our reseller relationship request",
        "Confirm who reads", "<script>alert(1)</script>"})
    CHECK(contains(visible, shown));
  // Chromium built a DOM without any script element: the name stayed text.
  auto dom = run("--dump-dom");
  REQUIRE(dom.exit_code == 0);
  CHECK_FALSE(contains(dom.out, "<script"));
  CHECK(contains(dom.out, "&lt;script&gt;alert(1)&lt;/script&gt;"));
}
