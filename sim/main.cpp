// SPDX-License-Identifier: Apache-2.0
// cspwatch-sim: a Partner Center, Microsoft Graph and login simulator on 127.0.0.1
// (docs/simulator.md). Prints "listening on http://127.0.0.1:PORT" as its first line.
#include <iostream>

#include <CLI/CLI.hpp>
#include <signal.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/guid.h"
#include "common/text.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/permissions.h"
#include "sim/server.h"
#include "sim/setup_files.h"
#include "sim/truth.h"

using namespace cspwatch;
using namespace cspwatch::sim;

int main(int argc, char** argv) {
  CLI::App app{"cspwatch-sim: a Partner Center, Microsoft Graph and login simulator for cspwatch",
               "cspwatch-sim"};
  int port = 0;
  std::string world_file, truth_file, config_file, now_text, rules_path = "/etc/cspwatch/rules.d";
  size_t generate = 0;
  uint64_t seed = 1;
  int64_t token_lifetime = 3600;
  app.add_option("--port", port, "Port on 127.0.0.1 (0: any free one)")->capture_default_str();
  auto* world_opt = app.add_option("--world", world_file, "World file (JSON: partner and tenants)");
  app.add_option("--generate", generate, "Generate a world of N tenants instead")
      ->excludes(world_opt);
  app.add_option("--seed", seed, "Seed for generation, tokens and faults")->capture_default_str();
  app.add_option("--now", now_text,
                 "The generated world's 'now' and the truth's (RFC 3339; default: today 00:00Z)");
  app.add_option("--write-truth", truth_file,
                 "Write the findings a correct scan must produce, then go on");
  app.add_option("--write-config", config_file,
                 "Write a cspwatch config for this simulator (and its files)");
  app.add_option("--rules-path", rules_path, "rules.paths for --write-config")
      ->capture_default_str();
  app.add_option("--token-lifetime", token_lifetime, "Access token lifetime in seconds")
      ->capture_default_str();
  std::string preset = "none";
  FaultOptions faults;
  app.add_option("--faults", preset,
                 "Fault preset: none, light (about 2% of requests) or heavy (about 20%)")
      ->check(CLI::IsMember({"none", "light", "heavy"}))
      ->capture_default_str();
  app.add_option("--server-error-rate", faults.server_error,
                 "Share of requests answered 5xx (overrides the preset)");
  app.add_option("--drop-rate", faults.drop, "Share of connections dropped without an answer");
  app.add_option("--truncate-rate", faults.truncate, "Share of bodies cut short");
  app.add_option("--expired-token-rate", faults.expired_token,
                 "Share of requests answered 401 token expired");
  app.add_option("--throttle-rate", faults.throttle,
                 "Share of requests answered 429 beyond the buckets");
  app.add_option("--latency-ms", faults.latency_ms, "Latency added to every answer")
      ->capture_default_str();
  app.add_option("--jitter-ms", faults.jitter_ms, "Plus a random 0..N ms (seeded)")
      ->capture_default_str();
  app.add_option("--pc-rate", faults.pc_per_minute, "Partner Center requests a minute per partner")
      ->capture_default_str();
  app.add_option("--graph-rate", faults.graph_per_10s, "Graph requests per 10 s per app and tenant")
      ->capture_default_str();
  bool no_rate_limits = false;
  app.add_flag("--no-rate-limits", no_rate_limits, "Never answer 429 from the buckets");
  std::string certificate_file;
  app.add_option("--client-certificate", certificate_file,
                 "PEM certificate whose key signs accepted client assertions (RS256)");
  bool manual_device = false;
  app.add_flag("--manual-device-approval", manual_device,
               "Device codes wait for POST /_sim/approve-device?user_code=... (default: approved "
               "at the second poll)");
  bool public_client_flows = false, public_client = false, deny_consent = false;
  app.add_flag("--public-client-flows", public_client_flows,
               "The app allows public client flows: device code sign-in, public refresh tokens "
               "(default off, as on a new app registration)");
  app.add_flag("--public-client", public_client,
               "The app is a public client: --public-client-flows, and --write-config writes "
               "public_client: true, no client secret, and a refresh token of a public client");
  app.add_flag("--deny-consent", deny_consent,
               "The user declines consent at the authorize endpoint (error=access_denied)");
  std::vector<std::string> missing_permissions;
  app.add_option(
         "--missing-permission", missing_permissions,
         "Withhold a permission from the app, or a role from the partner user (repeatable): " +
             join(withholdablePermissions(), ", "))
      ->check(CLI::IsMember(withholdablePermissions()));
  // Where Microsoft's documentation leaves the answer open (sim/profile.h): varied by default.
  SimProfile profile;
  app.add_option("--page-size", profile.page_size,
                 "Items a page of every collection (0: 2 or 3, varied per collection)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_option("--link-form", profile.link_form,
                 "Partner Center link URIs: v1, short (without /v1) or varied")
      ->check(CLI::IsMember({"v1", "short", "varied"}))
      ->capture_default_str();
  bool no_bom = false, no_empty_pages = false;
  app.add_flag("--no-bom", no_bom, "No UTF-8 byte-order mark before Partner Center bodies");
  app.add_flag("--no-empty-pages", no_empty_pages, "Never an empty first page of a Graph list");
  bool exit_after_setup = false;
  app.add_flag("--no-serve", exit_after_setup,
               "Write the requested files and exit without serving");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  {
    // A preset first, then any rate given explicitly on the command line wins.
    FaultOptions given = faults;
    faults.applyPreset(preset);
    auto set = [&](const char* flag, double FaultOptions::*field) {
      if (app.count(flag) > 0) faults.*field = given.*field;
    };
    set("--server-error-rate", &FaultOptions::server_error);
    set("--drop-rate", &FaultOptions::drop);
    set("--truncate-rate", &FaultOptions::truncate);
    set("--expired-token-rate", &FaultOptions::expired_token);
    set("--throttle-rate", &FaultOptions::throttle);
    faults.seed = seed;
    faults.rate_limits = !no_rate_limits;
  }
  if (world_file.empty() && generate == 0) {
    std::cerr << "cspwatch-sim: give --world FILE or --generate N\n";
    return 2;
  }
  SystemClock clock;
  Timestamp now = fromUnixSeconds(toUnixSeconds(clock.now()) / 86400 * 86400);
  if (!now_text.empty()) {
    auto t = parseTimestamp(now_text);
    if (!t) {
      std::cerr << "cspwatch-sim: --now is not an RFC 3339 time: " << now_text << "\n";
      return 2;
    }
    now = *t;
  }
  World world;
  if (generate > 0) {
    world = generateWorld(generate, seed, now);
  } else {
    auto loaded = loadWorld(world_file);
    if (!loaded) {
      std::cerr << "cspwatch-sim: " << loaded.status().message() << "\n";
      return 2;
    }
    world = std::move(loaded.value());
  }
  if (!truth_file.empty()) {
    if (Status s =
            writeFileAtomically(truth_file, truthToJson(computeTruth(world, now), now), 0644);
        !s) {
      std::cerr << "cspwatch-sim: " << s.message() << "\n";
      return 1;
    }
  }
  // Credentials the simulator accepts; written beside the config by --write-config.
  LoginOptions login_options;
  login_options.client_id =
      "5a1b2c3d-0000-4000-8000-" + std::to_string(100000000000 + seed % 899999999999);
  login_options.client_secret = "sim-secret-" + std::to_string(seed * 2654435761u % 1000000007u);
  login_options.token_lifetime = Seconds(token_lifetime);
  login_options.auto_approve_device = !manual_device;
  login_options.allow_public_client_flows = public_client_flows || public_client;
  login_options.deny_consent = deny_consent;
  login_options.missing_permissions = {missing_permissions.begin(), missing_permissions.end()};
  if (!certificate_file.empty()) {
    auto pem = readWholeFile(certificate_file);
    if (!pem) {
      std::cerr << "cspwatch-sim: " << pem.status().message() << "\n";
      return 2;
    }
    login_options.certificate_pem = *pem;
  }
  LoginService login(login_options, seed);
  FaultInjector injector(faults);
  profile.bom = !no_bom;
  profile.empty_pages = !no_empty_pages;
  profile.seed = seed;
  SimApi api(std::move(world), login, clock, &injector, profile);

  // Block the termination signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  SimServer server(api);
  try {
    server.start(port);
  } catch (const std::exception& e) {
    std::cerr << "cspwatch-sim: cannot listen on 127.0.0.1:" << port << ": " << e.what() << "\n";
    return 1;
  }
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  if (!config_file.empty()) {
    SetupFiles setup{config_file,
                     base,
                     login_options.client_id,
                     login_options.client_secret,
                     login.issueRefreshToken(api.now(), public_client),
                     rules_path,
                     public_client};
    if (Status s = writeSetupFiles(setup, api.world()); !s) {
      std::cerr << "cspwatch-sim: " << s.message() << "\n";
      return 1;
    }
  }
  std::cout << "listening on " << base << std::endl;
  if (exit_after_setup) return 0;
  int sig = 0;
  sigwait(&signals, &sig);
  server.stop();
  return 0;
}
