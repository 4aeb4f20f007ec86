// SPDX-License-Identifier: Apache-2.0
// `config check` checks what the next scan needs (issue 19, item 4), through the real binary:
// each check's failing and passing case, every problem at its key with a code and a hint.
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/demo_partner.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::Contains;
using testing::runBinary;
using testing::sourcePath;
using testing::TempDir;

namespace {

// A clean configuration over the demo inventory and the shipped rules, with `extra` appended
// (whole sections). The partner section is 7 lines, sources 3, storage 2 (the path on line
// 12), rules 2 (the paths on line 14), http 2 (line 16): `extra` starts on line 17.
std::string config(const TempDir& dir, const std::string& storage, const std::string& extra,
                   const std::string& rules = "") {
  return dir.write("cspwatch.yaml", testing::kDemoPartnerYaml +
                                        "sources:\n  inventory:\n    path: " +
                                        sourcePath("etc/demo/inventory.json") +
                                        "\nstorage:\n  path: " + storage + "\nrules:\n  paths: [" +
                                        (rules.empty() ? sourcePath("etc/rules.d") : rules) +
                                        "]\n" + "http:\n  enabled: false\n" + extra);
}

testing::ProcessResult check(const std::string& cfg) {
  return runBinary("cspwatch", {"-c", cfg, "config", "check"});
}

}  // namespace

TEST_CASE("config check: the storage directory must exist and be writable") {
  TempDir dir;
  auto ok = check(config(dir, dir.file("cspwatch.db"), ""));
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Contains(": OK\n"));
  CHECK(ok.err.empty());

  const std::string cfg = config(dir, dir.file("missing/cspwatch.db"), "");
  auto missing = check(cfg);
  INFO(missing.out << missing.err);
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Contains(cfg + ":12:9: error: the database's directory " +
                                   dir.file("missing") + " cannot be used"));
  CHECK_THAT(missing.err, Contains("[config.storage-unwritable]"));
  CHECK_THAT(missing.err, Contains("hint: create it for the user the service runs as"));
  CHECK_THAT(missing.err, Contains("valid, but 1 problem(s) would stop the next scan"));

  dir.write("file", "x");
  auto not_dir = check(config(dir, dir.file("file/cspwatch.db"), ""));
  CHECK(not_dir.exit_code == 1);
  CHECK_THAT(not_dir.err, Contains("[config.storage-unwritable]"));
}

TEST_CASE("config check: a broken rule set is reported at its rules' positions") {
  TempDir dir;
  TempDir rules;
  rules.write("bad.yaml",
              "rules:\n  - id: broken\n    title: Broken\n    severity: high\n"
              "    wehn: tenant.dap_enabled == true\n");
  const std::string cfg = config(dir, dir.file("cspwatch.db"), "", rules.path());
  auto r = check(cfg);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains(rules.file("bad.yaml") + ":5:5: error"));
  CHECK_THAT(r.err, Contains(cfg + ":14:10: error: the rule set in " + rules.path() +
                             " has "));  // rules.paths' value, line 14
  CHECK_THAT(r.err, Contains("[config.rules-invalid]"));
  CHECK_THAT(r.err, Contains("'cspwatch rules check' lists the same"));
}

TEST_CASE("config check: alert templates must load") {
  TempDir dir;
  const std::string alerts =
      "alerts:\n  transport: file\n  from: cspwatch <cspwatch@northwind-it.com.au>\n"
      "  file:\n    dir: " +
      dir.file("mail") +
      "\n  routes:\n    - name: all\n      to: [ops@northwind-it.com.au]\n      default: true\n";
  auto ok = check(config(dir, dir.file("cspwatch.db"),
                         alerts + "  templates_dir: " + sourcePath("etc/templates") + "\n"));
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);

  const std::string cfg =
      config(dir, dir.file("cspwatch.db"), alerts + "  templates_dir: " + dir.file("none") + "\n");
  auto bad = check(cfg);
  INFO(bad.out << bad.err);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Contains(cfg + ":26:18: error: mail templates in " + dir.file("none")));
  CHECK_THAT(bad.err, Contains("[config.bad-templates]"));
}

TEST_CASE("config check: SMTP and proxy host names must resolve, nothing is connected") {
  TempDir dir;
  auto smtp = [&](const std::string& host) {
    return "alerts:\n  transport: smtp\n  from: cspwatch <cspwatch@northwind-it.com.au>\n"
           "  templates_dir: " +
           sourcePath("etc/templates") + "\n  smtp:\n    host: " + host +
           "\n    port: 2525\n    tls: none\n  routes:\n    - name: all\n"
           "      to: [ops@northwind-it.com.au]\n      default: true\n";
  };
  // tls: none is for loopback only: 127.0.0.1 and localhost resolve without any network, where
  // the machine names localhost at all (a bare debootstrap root has no /etc/hosts: there the
  // check rightly says it does not resolve).
  std::vector<std::string> hosts = {"127.0.0.1"};
  addrinfo* found = nullptr;
  if (::getaddrinfo("localhost", nullptr, nullptr, &found) == 0) {
    ::freeaddrinfo(found);
    hosts.push_back("localhost");
  } else {
    WARN("localhost does not resolve on this machine: only 127.0.0.1 is tried");
  }
  for (const std::string& host : hosts) {
    auto ok = check(config(dir, dir.file("cspwatch.db"), smtp(host)));
    INFO(host << ok.out << ok.err);
    CHECK(ok.exit_code == 0);
  }
  // RFC 2606: .invalid never resolves.
  const std::string cfg = config(dir, dir.file("cspwatch.db"),
                                 "network:\n  proxy: http://proxy.nonexistent.invalid:3128\n");
  auto bad = check(cfg);
  INFO(bad.out << bad.err);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Contains(cfg + ":18:10: error: the proxy (network.proxy) "
                                     "'proxy.nonexistent.invalid' does not resolve"));
  CHECK_THAT(bad.err, Contains("[config.unresolvable-host]"));
  auto env =
      runBinary("cspwatch", {"-c", config(dir, dir.file("cspwatch.db"), ""), "config", "check"},
                {{"HTTPS_PROXY", "http://env.nonexistent.invalid:3128"}});
  CHECK(env.exit_code == 1);
  CHECK_THAT(env.err, Contains("the proxy ($HTTPS_PROXY) 'env.nonexistent.invalid'"));
}

TEST_CASE("config check: http.listen in use is a warning naming the port") {
  TempDir dir;
  // A port of our own, held while config check runs.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  struct sockaddr_in sa {};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  socklen_t len = sizeof sa;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  const std::string port = std::to_string(ntohs(sa.sin_port));
  auto listen = [&](const std::string& address) {
    std::string text = config(dir, dir.file("cspwatch.db"), "");
    text = testing::readFile(text);
    const size_t at = text.find("  enabled: false\n");
    text.replace(at, 17, "  listen: " + address + "\n");
    return dir.write("listen.yaml", text);
  };
  const std::string cfg = listen("127.0.0.1:" + port);
  auto busy = check(cfg);
  INFO(busy.out << busy.err);
  CHECK(busy.exit_code == 0);
  CHECK_THAT(busy.err,
             Contains(cfg + ":16:11: warning: port " + port +
                      " on 127.0.0.1 is in use: the running cspwatch service may hold it"));
  CHECK_THAT(busy.err, Contains("[config.listen-in-use]"));
  CHECK_THAT(busy.out, Contains(": OK, with 1 warning(s)"));
  ::close(fd);  // now free
  auto free_port = check(listen("127.0.0.1:" + port));
  INFO(free_port.out << free_port.err);
  CHECK(free_port.exit_code == 0);
  CHECK(free_port.err.empty());
  // An address of no interface here cannot be bound: the service would not start.
  auto foreign = check(listen("192.0.2.1:9807"));
  CHECK(foreign.exit_code != 0);
}

TEST_CASE("config check: credential files must exist, at their key") {
  TempDir dir;
  const std::string cfg = dir.write(
      "cspwatch.yaml",
      testing::kDemoPartnerYaml +
          "sources:\n  partner_center:\n    client_id: "
          "11111111-2222-3333-4444-555555555555\n    client_secret_file: " +
          dir.file("client_secret") + "\nstorage:\n  path: " + dir.file("cspwatch.db") +
          "\nrules:\n  paths: [" + sourcePath("etc/rules.d") + "]\nhttp:\n  enabled: false\n");
  auto missing = check(cfg);
  INFO(missing.out << missing.err);
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err,
             Contains(cfg + ":11:25: error: client secret file " + dir.file("client_secret")));
  CHECK_THAT(missing.err, Contains("hint: write the app registration's secret there"));
  dir.write("client_secret", "s3cret\n");
  ::chmod(dir.file("client_secret").c_str(), 0600);
  auto ok = check(cfg);
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.err.empty());
}

TEST_CASE("config check: the heartbeat URL, its file, and its token in a readable config") {
  TempDir dir;
  const std::string token = "0b7e3c5a-9d21-4f68-8a4e-c3d2b1a0f9e8";
  // Line 17: monitoring, 18: heartbeat, 19: the key.
  const std::string cfg =
      config(dir, dir.file("cspwatch.db"),
             "monitoring:\n  heartbeat:\n    url: https://hc-ping.com/" + token + "\n");
  ::chmod(cfg.c_str(), 0644);
  auto readable = check(cfg);
  INFO(readable.out << readable.err);
  CHECK(readable.exit_code == 0);  // a warning
  CHECK_THAT(readable.err, Contains(cfg + ":19:10: warning: the heartbeat URL carries its "
                                          "monitor's token"));
  CHECK_THAT(readable.err, Contains("[config.secret-readable]"));
  CHECK_THAT(readable.err, Contains("url_file"));
  // The message names no token (the quoted line below it is the operator's own).
  CHECK_THAT(readable.err.substr(0, readable.err.find('\n', readable.err.find("warning:"))),
             !Contains(token));

  ::chmod(dir.write("heartbeat.url", "https://hc-ping.com/" + token + "\n").c_str(), 0600);
  const std::string from_file = config(dir, dir.file("cspwatch.db"),
                                       "monitoring:\n  heartbeat:\n    url_file: heartbeat.url\n");
  auto ok = check(from_file);
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.err.empty());

  ::chmod(dir.file("heartbeat.url").c_str(), 0666);  // others can change where it points
  auto unsafe = check(from_file);
  INFO(unsafe.out << unsafe.err);
  CHECK(unsafe.exit_code == 2);  // read with the configuration: invalid
  CHECK_THAT(unsafe.err, Contains(from_file + ":19:15: error: monitoring.heartbeat: the URL file "
                                              "cannot be used"));

  auto plain = check(config(dir, dir.file("cspwatch.db"),
                            "monitoring:\n  heartbeat:\n    url: http://hc.example.com/ping\n"));
  CHECK(plain.exit_code == 2);
  CHECK_THAT(plain.err, Contains(":19:10: error: monitoring.heartbeat: plain http is allowed only "
                                 "to a loopback host"));
}
