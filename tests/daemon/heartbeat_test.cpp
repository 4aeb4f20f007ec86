// SPDX-License-Identifier: Apache-2.0
// The heartbeat (daemon/heartbeat.h, monitoring.heartbeat): the request against a real HTTP
// server on 127.0.0.1, then `cspwatch run` itself: one GET after a successful scan, none after
// a failed one, a failing monitor that does not fail the scan, and the monitor's token never in
// the log. Waits are on events (a request, a notification, a log line), each with a deadline.
#include "daemon/heartbeat.h"

#include <csignal>

#include <catch2/catch.hpp>

#include "common/redact.h"
#include "common/text.h"
#include "config/app_config.h"
#include "tests/support/daemon_process.h"
#include "tests/support/demo_partner.h"
#include "tests/support/free_port.h"
#include "tests/support/http_receiver.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::daemon;
using Catch::contains;
using cspwatch::testing::Daemon;
using cspwatch::testing::HttpReceiver;
using cspwatch::testing::NotifySocket;
using cspwatch::testing::ScriptedAnswer;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

// A healthchecks.io-style check: the token is the path.
const std::string kToken = "8d2f6b1e-4c7a-49e3-b5d0-2a9f7c3e6b18";
const auto kWait = std::chrono::seconds(30);

// A config over the demo inventory (or a missing one: every scan fails) with a heartbeat.
std::string configWithHeartbeat(const TempDir& dir, const std::string& url, bool inventory = true) {
  const std::string path =
      inventory ? sourcePath("etc/demo/inventory.json") : dir.file("missing.json");
  return dir.write("cspwatch.yaml",
                   testing::kDemoPartnerYaml + "sources:\n  inventory:\n    path: " + path +
                       "\nstorage:\n  path: cspwatch.db\nrules:\n  paths: [" +
                       sourcePath("etc/rules.d") +
                       "]\nhttp:\n  listen: 127.0.0.1:" + std::to_string(testing::freePort()) +
                       "\nmonitoring:\n  heartbeat:\n    url: " + url + "\n");
}

}  // namespace

TEST_CASE("heartbeat: a GET of the whole URL, ok on 2xx, a failure names the host alone",
          "[heartbeat]") {
  HttpReceiver r;
  const std::string url = r.url("/ping/" + kToken);
  CHECK(sendHeartbeat(url, heartbeatHttpOptions({})));
  REQUIRE(r.requests().size() == 1);
  CHECK(r.requests()[0].method == "GET");
  CHECK(r.requests()[0].target == "/ping/" + kToken);
  CHECK(startsWith(r.requests()[0].header("user-agent"), "cspwatch/"));

  registerSecret("/ping/" + kToken);  // as config/read_monitoring.cpp does
  r.script({{404, "no check with the key /ping/" + kToken, {}, false}});
  const Status refused = sendHeartbeat(url, heartbeatHttpOptions({}));
  CHECK_FALSE(refused);
  CHECK(contains(refused.message(), "http://127.0.0.1:" + std::to_string(r.port())));
  CHECK(contains(refused.message(), "HTTP 404"));
  CHECK_FALSE(contains(refused.message(), kToken));
  r.setFallback({200, "", {}, true});  // every connection cut unanswered
  const Status cut = sendHeartbeat(url, heartbeatHttpOptions({}));
  CHECK_FALSE(cut);
  CHECK_FALSE(contains(cut.message(), kToken));
  CHECK_FALSE(contains(cut.message(), "/ping"));
  forgetSecretsForTesting();
}

TEST_CASE("heartbeat: only scheme, host and port of the URL are ever shown", "[heartbeat]") {
  CHECK(heartbeatTarget("https://hc-ping.com/" + kToken) == "https://hc-ping.com");
  CHECK(heartbeatTarget("https://user:pw@kuma.example.com:3001/api/push/Ab1?status=up") ==
        "https://kuma.example.com:3001");
  CHECK(heartbeatTarget("http://[::1]:8080/x?token=abc") == "http://[::1]:8080");
  CHECK(heartbeatTarget("HTTP://127.0.0.1/p") == "http://127.0.0.1");
  const auto o = heartbeatHttpOptions({});
  CHECK(o.connect_timeout == Seconds(5));
  CHECK(o.read_timeout == Seconds(10));
}

TEST_CASE("heartbeat: `cspwatch run` requests it after a successful scan, not after a failed one",
          "[heartbeat][run]") {
  HttpReceiver monitor;
  monitor.setFallback({200, "OK", {}, false});
  TempDir dir;
  NotifySocket notify(dir.file("notify.sock"));
  {
    Daemon d(configWithHeartbeat(dir, monitor.url("/" + kToken)), notify.path());
    INFO(d.err());
    REQUIRE_FALSE(notify.waitFor("STATUS=last scan 1 completed", kWait).empty());
    // Sent before the scan's status line: it is there already.
    REQUIRE(monitor.requests().size() == 1);
    CHECK(monitor.requests()[0].method == "GET");
    CHECK(monitor.requests()[0].target == "/" + kToken);
    REQUIRE(d.waitForErr("heartbeat sent to http://127.0.0.1:" + std::to_string(monitor.port()),
                         kWait));
    d.signal(SIGTERM);
    CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
    CHECK_FALSE(contains(d.err(), kToken));
  }
  {
    Daemon d(configWithHeartbeat(dir, monitor.url("/" + kToken), false), notify.path());
    INFO(d.err());
    REQUIRE_FALSE(notify.waitFor("STATUS=last scan FAILED", kWait).empty());
    d.signal(SIGTERM);
    CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
    CHECK(monitor.requests().size() == 1);  // none for the failed scan
    CHECK_FALSE(contains(d.err(), "heartbeat"));
  }
}

TEST_CASE("heartbeat: a failing monitor is a warning, the scan completes, the token stays out",
          "[heartbeat][run]") {
  HttpReceiver monitor;
  // An answer that echoes the request, token and all.
  monitor.setFallback({500, "internal error handling GET /" + kToken, {}, false});
  TempDir dir;
  NotifySocket notify(dir.file("notify.sock"));
  Daemon d(configWithHeartbeat(dir, monitor.url("/" + kToken)), notify.path());
  INFO(d.err());
  REQUIRE_FALSE(notify.waitFor("STATUS=last scan 1 completed", kWait).empty());
  CHECK(monitor.requests().size() == 1);
  REQUIRE(d.waitForErr("(the scan is not affected; monitoring.heartbeat)", kWait));
  const std::string err = d.err();
  CHECK(contains(err, "the heartbeat to http://127.0.0.1:" + std::to_string(monitor.port()) +
                          " was answered HTTP 500"));
  d.signal(SIGTERM);
  CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
  CHECK_FALSE(contains(d.err(), kToken));
  // The scan was applied and counted a success for the database too.
  CHECK(contains(err, "scan 1 completed"));
}
