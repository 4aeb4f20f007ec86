// SPDX-License-Identifier: Apache-2.0
// cspwatch-sim: a Partner Center, Microsoft Graph and login simulator on 127.0.0.1
// (docs/simulator.md). Prints "listening on http://127.0.0.1:PORT" as its first line and the
// rate limits' shapes (given or chosen from the seed) as its second.
// The program's steps: read the options, set up the world (and --write-truth), the sign-in
// and the API over it, start the server (and --write-config), then wait for SIGINT or SIGTERM.
// Exit status: 0, 1 when a file cannot be written or the port not listened on, 2 for bad
// options or an input that cannot be read.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

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

namespace {

// The command line, as given.
struct SimOptions {
  int port = 0;
  std::string world_file, truth_file, config_file, now_text, rules_path = "/etc/cspwatch/rules.d";
  size_t generate = 0;
  uint64_t seed = 1;
  int64_t token_lifetime = 3600;
  std::string preset = "none";
  FaultOptions faults;
  double pc_burst = 0, graph_burst = 0;  // 0: not given, varied by the seed
  bool no_rate_limits = false;
  std::string certificate_file;
  bool manual_device = false;
  bool public_client_flows = false, public_client = false, deny_consent = false;
  int token_latency_ms = 0;
  std::vector<std::string> missing_permissions;
  SimProfile profile;
  bool no_bom = false, no_empty_pages = false;
  bool exit_after_setup = false;
};

// The world, where the simulator listens, and the files it writes.
void addWorldOptions(CLI::App& app, SimOptions& o) {
  app.add_option("--port", o.port, "Port on 127.0.0.1 (0: any free one)")->capture_default_str();
  auto* world_opt =
      app.add_option("--world", o.world_file, "World file (JSON: partner and tenants)");
  app.add_option("--generate", o.generate, "Generate a world of N tenants instead")
      ->excludes(world_opt);
  app.add_option("--seed", o.seed, "Seed for generation, tokens and faults")->capture_default_str();
  app.add_option("--now", o.now_text,
                 "The generated world's 'now' and the truth's (RFC 3339; default: today 00:00Z)");
  app.add_option("--write-truth", o.truth_file,
                 "Write the findings a correct scan must produce, then go on");
  app.add_option("--write-config", o.config_file,
                 "Write a cspwatch config for this simulator (and its files)");
  app.add_option("--rules-path", o.rules_path, "rules.paths for --write-config")
      ->capture_default_str();
  app.add_option("--token-lifetime", o.token_lifetime, "Access token lifetime in seconds")
      ->capture_default_str();
}

// Faults, throttling and latency (sim/faults.h).
void addFaultOptions(CLI::App& app, SimOptions& o) {
  FaultOptions& faults = o.faults;
  app.add_option("--faults", o.preset,
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
  app.add_option("--pc-burst", o.pc_burst,
                 "Seconds of refill Partner Center's bucket holds, all usable at once (default: "
                 "1, 10 or 60, from the seed)")
      ->check(CLI::PositiveNumber);
  app.add_option("--graph-burst", o.graph_burst,
                 "Seconds of refill a Graph bucket holds, all usable at once (default: 1, 10 or "
                 "60, from the seed)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--no-rate-limits", o.no_rate_limits, "Never answer 429 from the buckets");
}

// The app registration and the signed-in user (sim/login.h, sim/permissions.h).
void addLoginOptions(CLI::App& app, SimOptions& o) {
  app.add_option("--client-certificate", o.certificate_file,
                 "PEM certificate whose key signs accepted client assertions (RS256)");
  app.add_flag("--manual-device-approval", o.manual_device,
               "Device codes wait for POST /_sim/approve-device?user_code=... (default: approved "
               "at the second poll)");
  app.add_flag("--public-client-flows", o.public_client_flows,
               "The app allows public client flows: device code sign-in, public refresh tokens "
               "(default off, as on a new app registration)");
  app.add_flag("--public-client", o.public_client,
               "The app is a public client: --public-client-flows, and --write-config writes "
               "public_client: true, no client secret, and a refresh token of a public client");
  app.add_flag("--deny-consent", o.deny_consent,
               "The user declines consent at the authorize endpoint (error=access_denied)");
  app.add_option("--token-latency-ms", o.token_latency_ms,
                 "Latency added to every token endpoint answer (Entra's is 100-300 ms)")
      ->check(CLI::NonNegativeNumber);
  app.add_option(
         "--missing-permission", o.missing_permissions,
         "Withhold a permission from the app, or a role from the partner user (repeatable): " +
             join(withholdablePermissions(), ", "))
      ->check(CLI::IsMember(withholdablePermissions()));
}

// Where Microsoft's documentation leaves the answer open (sim/profile.h): varied by default.
void addProfileOptions(CLI::App& app, SimOptions& o) {
  app.add_option("--page-size", o.profile.page_size,
                 "Items a page of every collection (0: 2 or 3, varied per collection)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_option("--link-form", o.profile.link_form,
                 "Partner Center link URIs: v1, short (without /v1) or varied")
      ->check(CLI::IsMember({"v1", "short", "varied"}))
      ->capture_default_str();
  app.add_flag("--no-bom", o.no_bom, "No UTF-8 byte-order mark before Partner Center bodies");
  app.add_flag("--no-empty-pages", o.no_empty_pages, "Never an empty first page of a Graph list");
  app.add_flag("--no-serve", o.exit_after_setup,
               "Write the requested files and exit without serving");
}

// A preset first, then any rate given explicitly on the command line wins.
void applyFaultPreset(const CLI::App& app, SimOptions& o) {
  FaultOptions& faults = o.faults;
  FaultOptions given = faults;
  faults.applyPreset(o.preset);
  auto set = [&](const char* flag, double FaultOptions::*field) {
    if (app.count(flag) > 0) faults.*field = given.*field;
  };
  set("--server-error-rate", &FaultOptions::server_error);
  set("--drop-rate", &FaultOptions::drop);
  set("--truncate-rate", &FaultOptions::truncate);
  set("--expired-token-rate", &FaultOptions::expired_token);
  set("--throttle-rate", &FaultOptions::throttle);
  faults.seed = o.seed;
  faults.rate_limits = !o.no_rate_limits;
  if (o.pc_burst > 0) faults.pc_burst_s = o.pc_burst;
  if (o.graph_burst > 0) faults.graph_burst_s = o.graph_burst;
}

// The start-up line that says what the buckets are (given or chosen from the seed).
std::string rateLimitsLine(const FaultInjector& faults) {
  if (!faults.options().rate_limits) return "rate limits: none";
  auto shape = [&](bool pc) {
    const BucketShape b = faults.bucket(pc);
    char text[160];
    std::snprintf(text, sizeof text, "%s %g %s, burst %g s (%g requests at once)",
                  pc ? "Partner Center" : "Graph",
                  pc ? faults.options().pc_per_minute : faults.options().graph_per_10s,
                  pc ? "a minute" : "per 10 s", b.burst_s, std::floor(b.capacity));
    return std::string(text);
  };
  return "rate limits: " + shape(true) + "; " + shape(false);
}

// Reads the command line into `o`; an exit status when the program is to stop (--help, or an
// option CLI11 refuses), nullopt to go on.
std::optional<int> parseOptions(int argc, char** argv, SimOptions& o) {
  CLI::App app{"cspwatch-sim: a Partner Center, Microsoft Graph and login simulator for cspwatch",
               "cspwatch-sim"};
  addWorldOptions(app, o);
  addFaultOptions(app, o);
  addLoginOptions(app, o);
  addProfileOptions(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  applyFaultPreset(app, o);
  return std::nullopt;
}

// The generated world's "now" and the truth's: --now, or today at 00:00Z.
std::optional<Timestamp> worldNow(const SimOptions& o, const Clock& clock) {
  if (o.now_text.empty()) return fromUnixSeconds(toUnixSeconds(clock.now()) / 86400 * 86400);
  auto t = parseTimestamp(o.now_text);
  if (!t) std::cerr << "cspwatch-sim: --now is not an RFC 3339 time: " << o.now_text << "\n";
  return t;
}

// The world to serve, generated or read from --world, and --write-truth written for it; the
// exit status when that fails.
std::optional<int> setUpWorld(const SimOptions& o, Timestamp now, World& world) {
  if (o.generate > 0) {
    world = generateWorld(o.generate, o.seed, now);
  } else {
    auto loaded = loadWorld(o.world_file);
    if (!loaded) {
      std::cerr << "cspwatch-sim: " << loaded.status().message() << "\n";
      return 2;
    }
    world = std::move(loaded.value());
  }
  if (o.truth_file.empty()) return std::nullopt;
  if (Status s =
          writeFileAtomically(o.truth_file, truthToJson(computeTruth(world, now), now), 0644);
      !s) {
    std::cerr << "cspwatch-sim: " << s.message() << "\n";
    return 1;
  }
  return std::nullopt;
}

// Credentials the simulator accepts, drawn from the seed; written beside the config by
// --write-config. The exit status when --client-certificate cannot be read.
std::optional<int> setUpLogin(const SimOptions& o, LoginOptions& login) {
  login.client_id =
      "5a1b2c3d-0000-4000-8000-" + std::to_string(100000000000 + o.seed % 899999999999);
  login.client_secret = "sim-secret-" + std::to_string(o.seed * 2654435761u % 1000000007u);
  login.token_lifetime = Seconds(o.token_lifetime);
  login.auto_approve_device = !o.manual_device;
  login.allow_public_client_flows = o.public_client_flows || o.public_client;
  login.deny_consent = o.deny_consent;
  login.token_latency_ms = o.token_latency_ms;
  login.missing_permissions = {o.missing_permissions.begin(), o.missing_permissions.end()};
  if (o.certificate_file.empty()) return std::nullopt;
  auto pem = readWholeFile(o.certificate_file);
  if (!pem) {
    std::cerr << "cspwatch-sim: " << pem.status().message() << "\n";
    return 2;
  }
  login.certificate_pem = *pem;
  return std::nullopt;
}

// Serves `api` on 127.0.0.1, writes --write-config once the port is known, prints the line
// that says where and then `banner`, and (unless --no-serve) waits for SIGINT or SIGTERM.
// Returns the exit status.
int serve(const SimOptions& o, SimApi& api, LoginService& login, const std::string& banner) {
  // Block the termination signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  SimServer server(api);
  try {
    server.start(o.port);
  } catch (const std::exception& e) {
    std::cerr << "cspwatch-sim: cannot listen on 127.0.0.1:" << o.port << ": " << e.what() << "\n";
    return 1;
  }
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  if (!o.config_file.empty()) {
    const LoginOptions& login_options = login.options();
    SetupFiles setup{o.config_file,
                     base,
                     login_options.client_id,
                     login_options.client_secret,
                     login.issueRefreshToken(api.now(), o.public_client),
                     o.rules_path,
                     o.public_client};
    if (Status s = writeSetupFiles(setup, api.world()); !s) {
      std::cerr << "cspwatch-sim: " << s.message() << "\n";
      return 1;
    }
  }
  std::cout << "listening on " << base << "\n" << banner << std::endl;
  if (o.exit_after_setup) return 0;
  int sig = 0;
  sigwait(&signals, &sig);
  server.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  SimOptions o;
  if (auto exit_status = parseOptions(argc, argv, o)) return *exit_status;
  if (o.world_file.empty() && o.generate == 0) {
    std::cerr << "cspwatch-sim: give --world FILE or --generate N\n";
    return 2;
  }
  SystemClock clock;
  const std::optional<Timestamp> now = worldNow(o, clock);
  if (!now) return 2;
  World world;
  if (auto exit_status = setUpWorld(o, *now, world)) return *exit_status;
  LoginOptions login_options;
  if (auto exit_status = setUpLogin(o, login_options)) return *exit_status;
  LoginService login(login_options, o.seed);
  FaultInjector injector(o.faults);
  SimProfile profile = o.profile;
  profile.bom = !o.no_bom;
  profile.empty_pages = !o.no_empty_pages;
  profile.seed = o.seed;
  SimApi api(std::move(world), login, clock, &injector, profile);
  return serve(o, api, login, rateLimitsLine(injector));
}
