// SPDX-License-Identifier: Apache-2.0
// `cspwatch run` (the service) and `cspwatch scan --now` (asking it to scan now).
//
// Signals: SIGHUP, SIGTERM and SIGINT are blocked in every thread and taken by one thread with
// sigwait(), which calls into the Service: nothing runs in an async signal handler. A hand-made
// loop rather than Poco's ServerApplication, which handles only termination signals (not
// SIGHUP) and wants to parse the command line itself.
#include <csignal>
#include <thread>

#include <CLI/CLI.hpp>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <pthread.h>

#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "cli/partner_account.h"
#include "common/file_safety.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/text.h"
#include "daemon/http_endpoint.h"
#include "daemon/service.h"

namespace cspwatch::cli {

int run(const CommandContext& ctx) {
  // Refused rather than ignored: whoever names one account expects the others left alone, and
  // the service would take every account's lease, scan it and send its mail.
  if (!withoutPartnerOption(ctx, "run",
                            "the service serves every partner account of the configuration; "
                            "to serve only some, give it a configuration that lists only those"))
    return kExitUsage;
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts

  {
    // logging.format applies from the start (a config that does not load is reported by
    // start() below, in the default format).
    Diagnostics ignored;
    if (auto cfg = config::loadConfig(ctx.config_path, ignored); cfg && cfg->log_format == "json")
      setupLogging({log().level(), false, true});
  }
  daemon::ServiceOptions options;
  options.config_path = ctx.config_path;
  daemon::Service service(options);
  if (Status s = service.start(ctx.err); !s) {
    ctx.err << "cspwatch: not started: " << s.message() << "\n";
    // 2: the configuration, rules or templates are wrong (systemd does not restart); 1: the
    // machine is not ready (database locked, port in use, a file unreadable): worth a restart.
    return s.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitProblems;
  }
  std::atomic<bool> done{false};
  std::thread signal_thread([&] {
    while (!done) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (done) break;
      if (sig == SIGHUP) {
        log().info("SIGHUP: reloading");
        service.requestReload();
      } else {
        log().info("{}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        service.requestStop();
        break;
      }
    }
  });
  const int code = service.run();
  done = true;
  pthread_kill(signal_thread.native_handle(), SIGTERM);  // wakes sigwait if still waiting
  signal_thread.join();
  return code;
}

int scanNow(const CommandContext& ctx) {
  if (!withoutPartnerOption(ctx, "scan --now",
                            "the running service scans every partner account it serves; "
                            "'cspwatch --partner NAME scan --once' scans one account here"))
    return kExitUsage;
  Diagnostics diags;
  auto cfg = config::loadConfig(ctx.config_path, diags);
  if (!cfg) {
    ctx.err << diags.renderText();
    return kExitUsage;
  }
  auto address = parseListenAddress(cfg->http.listen);
  if (!address) {
    ctx.err << "cspwatch: http.listen: " << address.status().message() << "\n";
    return kExitUsage;
  }
  std::string host = address->host == "0.0.0.0" ? "127.0.0.1"
                     : address->host == "::"    ? "::1"
                                                : address->host;
  try {
    Poco::Net::HTTPClientSession session(host, static_cast<Poco::UInt16>(address->port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req("POST", "/v1/scan", Poco::Net::HTTPMessage::HTTP_1_1);
    if (!cfg->http.token_file.empty()) {
      auto token = readSecretFile(cfg->http.token_file, "the HTTP token file (http.token_file)");
      if (!token) {
        ctx.err << "cspwatch: http.token_file: " << token.status().message() << "\n";
        return kExitProblems;
      }
      req.set("Authorization", "Bearer " + *token);
    }
    req.setContentLength(0);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(resp), body);
    if (resp.getStatus() == Poco::Net::HTTPResponse::HTTP_ACCEPTED) {
      ctx.out << "the running cspwatch will scan now (see its log or cspwatch scans list)\n";
      return kExitOk;
    }
    ctx.err << "cspwatch: the daemon answered " << resp.getStatus() << " " << resp.getReason()
            << "\n";
    return kExitProblems;
  } catch (const Poco::Exception& e) {
    ctx.err << "cspwatch: no running cspwatch at " << cfg->http.listen << " (" << e.displayText()
            << "); start it with 'systemctl start cspwatch', or scan here with 'cspwatch scan "
               "--once'\n";
    return kExitProblems;
  }
}

// `run`; scanNow() above is `scan --now`, registered with `scan` (cli/cmd_scan_options.cpp).
void registerRun(CLI::App& app, CommandRegistry& registry) {
  CLI::App* run_cmd = app.add_subcommand(
      "run", "Run as the service: scan on schedule, reload on SIGHUP, stop on SIGTERM");
  registry.add(
      run_cmd, [](const CommandContext& ctx) { return run(ctx); }, DefaultLog::kInfo);
}

}  // namespace cspwatch::cli
