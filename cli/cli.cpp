// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.h"

#include <cstdlib>
#include <map>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "common/logging.h"
#include "common/time.h"
#include "common/version.h"
#include "config/app_config.h"

namespace cspwatch::cli {

namespace {

const std::map<std::string, OutputFormat> kTableJson = {{"table", OutputFormat::kTable},
                                                        {"json", OutputFormat::kJson}};
const std::map<std::string, OutputFormat> kTableJsonCsv = {
    {"table", OutputFormat::kTable}, {"json", OutputFormat::kJson}, {"csv", OutputFormat::kCsv}};
const std::map<std::string, OutputFormat> kTextJson = {{"text", OutputFormat::kText},
                                                       {"json", OutputFormat::kJson}};

}  // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "cspwatch: checks every customer tenant of a Microsoft CSP partner for the "
      "problems that cost credit or access, and tells the admins.",
      "cspwatch"};
  app.set_version_flag("--version", std::string("cspwatch ") + kVersion);
  app.require_subcommand(1);
  app.fallthrough();  // --config may follow the subcommand too

  const char* env_config = std::getenv("CSPWATCH_CONFIG");
  std::string config_path = env_config != nullptr ? env_config : config::kDefaultConfigPath;
  app.add_option("-c,--config", config_path, "Configuration file (env CSPWATCH_CONFIG)")
      ->capture_default_str();

  std::string log_level = "warn";
  CLI::Option* log_level_opt =
      app.add_option("--log-level", log_level,
                     "Log detail on stderr: trace, debug, info, warn or error")
          ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
          ->capture_default_str();

  CLI::App* config = app.add_subcommand("config", "Work with the configuration file");
  config->require_subcommand(1);
  CLI::App* config_check = config->add_subcommand(
      "check",
      "Validate the configuration; exit 0 if clean, 1 if files it names are missing, "
      "2 if it is invalid");

  CLI::App* tenants =
      app.add_subcommand("tenants", "Look at the customer tenants the sources report");
  tenants->require_subcommand(1);
  CLI::App* tenants_list = tenants->add_subcommand("list", "List every tenant the sources know");
  OutputFormat list_format = OutputFormat::kTable;
  tenants_list->add_option("--format", list_format, "Output format: table or json")
      ->transform(CLI::CheckedTransformer(kTableJson, CLI::ignore_case));

  CLI::App* rules = app.add_subcommand("rules", "Check and test rule files");
  rules->require_subcommand(1);
  CLI::App* rules_check = rules->add_subcommand(
      "check", "Load rule files and report every problem; exit 0 if clean, 1 if any error");
  std::vector<std::string> check_paths;
  rules_check->add_option("paths", check_paths, "Rule files or directories (default: rules.paths)");
  OutputFormat check_format = OutputFormat::kText;
  rules_check->add_option("--format", check_format, "Output format: text or json")
      ->transform(CLI::CheckedTransformer(kTextJson, CLI::ignore_case));
  CLI::App* rules_test = rules->add_subcommand(
      "test", "Run the rule tests (*.test.yaml) found in the paths; exit 0 if all pass");
  std::vector<std::string> test_paths;
  rules_test->add_option("paths", test_paths, "Rule files or directories (default: rules.paths)");

  CLI::App* scan_cmd = app.add_subcommand("scan", "Read every tenant and evaluate the rules");
  ScanOptions scan_options;
  std::string scan_now;
  scan_cmd->add_flag("--once", scan_options.once, "Scan once and exit");
  scan_cmd->add_flag("--dry-run", scan_options.dry_run,
                     "Print the outcome; store and send nothing");
  scan_cmd->add_option("--format", scan_options.format, "Output format: table or json")
      ->transform(CLI::CheckedTransformer(kTableJson, CLI::ignore_case));
  CLI::Option* scan_now_opt =
      scan_cmd
          ->add_option("--now", scan_now,
                       "Alone: ask the running daemon to scan now. With --once: evaluate as if "
                       "it were this RFC 3339 time")
          ->expected(0, 1)
          ->check([](const std::string& v) {
            return v.empty() || parseTimestamp(v)
                       ? std::string()
                       : "not an RFC 3339 time such as 2026-11-25T00:00:00Z: " + v;
          });

  CLI::App* run_cmd = app.add_subcommand(
      "run", "Run as the service: scan on schedule, reload on SIGHUP, stop on SIGTERM");

  CLI::App* findings = app.add_subcommand("findings", "Read the recorded findings");
  findings->require_subcommand(1);
  CLI::App* findings_list = findings->add_subcommand("list", "List findings");
  FindingsQuery fq;
  findings_list->add_option("--state", fq.state, "open, resolved, retired, suppressed or all")
      ->check(CLI::IsMember({"open", "resolved", "retired", "suppressed", "all"}))
      ->capture_default_str();
  findings_list->add_option("--tenant", fq.tenant, "Tenant id or exact name");
  findings_list->add_option("--rule", fq.rule, "Rule id");
  findings_list->add_option("--severity", fq.severity, "critical, high, medium, low or info")
      ->check(CLI::IsMember({"critical", "high", "medium", "low", "info"}));
  findings_list->add_option("--format", fq.format, "table, json or csv")
      ->transform(CLI::CheckedTransformer(kTableJsonCsv, CLI::ignore_case));
  CLI::App* findings_show = findings->add_subcommand("show", "One finding with its history");
  int64_t finding_id = 0;
  OutputFormat show_format = OutputFormat::kText;
  findings_show->add_option("id", finding_id, "Finding id")->required();
  findings_show->add_option("--format", show_format, "text or json")
      ->transform(CLI::CheckedTransformer(kTextJson, CLI::ignore_case));

  CLI::App* suppress =
      app.add_subcommand("suppress", "Accept a finding for a while, with a reason");
  suppress->require_subcommand(1);
  CLI::App* suppress_add =
      suppress->add_subcommand("add", "Suppress a rule, for a tenant or one subject");
  SuppressOptions so;
  suppress_add->add_option("--rule", so.rule, "Rule id")->required();
  suppress_add->add_option("--tenant", so.tenant, "Tenant id (all tenants if omitted)");
  suppress_add->add_option("--subject", so.subject, "Finding subject (all if omitted)");
  suppress_add->add_option("--reason", so.reason, "Why this is acceptable")->required();
  suppress_add->add_option("--owner", so.owner, "Who answers for it")->required();
  suppress_add->add_option("--expires", so.expires, "Date, RFC 3339 time or duration (30d)")
      ->required();
  suppress_add->add_option("--ticket", so.ticket, "Ticket reference");
  CLI::App* suppress_list = suppress->add_subcommand("list", "List active suppressions");
  bool suppress_all = false;
  OutputFormat suppress_format = OutputFormat::kTable;
  suppress_list->add_flag("--all", suppress_all, "Include expired and removed ones");
  suppress_list->add_option("--format", suppress_format, "table or json")
      ->transform(CLI::CheckedTransformer(kTableJson, CLI::ignore_case));
  CLI::App* suppress_remove =
      suppress->add_subcommand("remove", "Remove a suppression (kept in history)");
  int64_t suppression_id = 0;
  suppress_remove->add_option("id", suppression_id, "Suppression id")->required();

  CLI::App* scans = app.add_subcommand("scans", "The scan history");
  scans->require_subcommand(1);
  CLI::App* scans_list = scans->add_subcommand("list", "The latest scans, newest first");
  OutputFormat scans_format = OutputFormat::kTable;
  scans_list->add_option("--format", scans_format, "table or json")
      ->transform(CLI::CheckedTransformer(kTableJson, CLI::ignore_case));
  CLI::App* scans_diff = scans->add_subcommand("diff", "What changed between scan A and scan B");
  int64_t diff_a = 0, diff_b = 0;
  OutputFormat diff_format = OutputFormat::kText;
  scans_diff->add_option("a", diff_a, "Earlier scan id")->required();
  scans_diff->add_option("b", diff_b, "Later scan id")->required();
  scans_diff->add_option("--format", diff_format, "text or json")
      ->transform(CLI::CheckedTransformer(kTextJson, CLI::ignore_case));

  CLI::App* alerts_cmd = app.add_subcommand("alerts", "Alert emails: preview, test, the outbox");
  alerts_cmd->require_subcommand(1);
  CLI::App* alerts_preview = alerts_cmd->add_subcommand(
      "preview",
      "Render the digest(s) the latest scan and what is due now would send; sends nothing");
  AlertsPreviewOptions preview;
  std::string preview_now;
  alerts_preview->add_option("--to", preview.to, "Only this recipient's messages");
  alerts_preview->add_option("--format", preview.format, "text, html or eml")
      ->check(CLI::IsMember({"text", "html", "eml"}))
      ->capture_default_str();
  alerts_preview->add_option("--now", preview_now, "Pretend it is this RFC 3339 time");
  CLI::App* alerts_test = alerts_cmd->add_subcommand(
      "test", "Send one test message through the configured transport and show the answer");
  std::string test_to;
  alerts_test->add_option("--to", test_to, "Recipient address")->required();
  CLI::App* alerts_outbox = alerts_cmd->add_subcommand("outbox", "List queued and failed messages");
  bool outbox_all = false;
  alerts_outbox->add_flag("--all", outbox_all, "Include the latest sent messages");
  OutputFormat outbox_format = OutputFormat::kTable;
  alerts_outbox->add_option("--format", outbox_format, "table or json")
      ->transform(CLI::CheckedTransformer(kTableJson, CLI::ignore_case));
  CLI::App* alerts_send = alerts_cmd->add_subcommand(
      "send", "Deliver the queued messages that are due now (the daemon does this on its own)");
  std::string send_now;
  alerts_send->add_option("--now", send_now, "Pretend it is this RFC 3339 time");

  CLI::App* auth = app.add_subcommand("auth", "Partner Center and Graph credentials");
  auth->require_subcommand(1);
  CLI::App* auth_login = auth->add_subcommand(
      "login",
      "Sign in once as the partner user (with MFA, in a browser) and store the refresh token: "
      "the authorization code with a loopback redirect, or the device code for a public client");
  int poll_seconds = -1;
  AuthLoginOptions login_options;
  std::string login_timeout = "10m";
  auth_login
      ->add_option("--port", login_options.port,
                   "Port of the redirect listener on 127.0.0.1 (redirect URI "
                   "http://localhost:PORT/); 0: any free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  auth_login
      ->add_option("--timeout", login_timeout, "How long to wait for the sign-in (30s, 10m, 1h)")
      ->check([](const std::string& v) {
        auto d = parseDuration(v);
        return d && d->count() > 0 ? std::string() : "not a duration such as 10m or 600s: " + v;
      })
      ->capture_default_str();
  auth_login->add_option("--poll-interval", poll_seconds,
                         "Device code only: seconds between polls (default: as the service says)");
  CLI::App* auth_status = auth->add_subcommand(
      "status",
      "Call one endpoint per permission cspwatch needs and say what works, what is missing and "
      "how to fix it");
  AuthStatusOptions status_options;
  auth_status->add_option("--format", status_options.format, "table or json")
      ->transform(CLI::CheckedTransformer(kTableJson, CLI::ignore_case));
  auth_status->add_option("--tenant", status_options.tenant,
                          "The customer tenant id of the per-tenant checks (default: the first "
                          "customer of the list)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version
      app.exit(e, out, err);
      return kExitOk;
    }
    err << "cspwatch: " << e.what() << "\n"
        << "Run 'cspwatch --help' (or add --help after a subcommand) for usage.\n";
    return kExitUsage;
  }

  // The service logs what it does (info) unless told otherwise; commands only problems (warn).
  if (run_cmd->parsed() && log_level_opt->count() == 0) log_level = "info";
  setupLogging({spdlog::level::from_str(log_level), false});
  CommandContext ctx{out, err, config_path};
  if (config_check->parsed()) return configCheck(ctx);
  if (tenants_list->parsed()) return tenantsList(ctx, list_format);
  if (rules_check->parsed()) return rulesCheck(ctx, check_paths, check_format);
  if (rules_test->parsed()) return rulesTest(ctx, test_paths);
  if (auth_login->parsed()) {
    if (poll_seconds >= 0) login_options.poll_seconds = poll_seconds;
    login_options.timeout = *parseDuration(login_timeout);
    return authLogin(ctx, login_options);
  }
  if (auth_status->parsed()) return authStatus(ctx, status_options);
  if (findings_list->parsed()) return findingsList(ctx, fq);
  if (findings_show->parsed()) return findingsShow(ctx, finding_id, show_format);
  if (suppress_add->parsed()) return suppressAdd(ctx, so);
  if (suppress_list->parsed()) return suppressList(ctx, suppress_all, suppress_format);
  if (suppress_remove->parsed()) return suppressRemove(ctx, suppression_id);
  if (scans_list->parsed()) return scansList(ctx, scans_format);
  if (scans_diff->parsed()) return scansDiff(ctx, diff_a, diff_b, diff_format);
  auto timeArg = [&err](const std::string& text, std::optional<Timestamp>& into) {
    if (text.empty()) return true;
    into = parseTimestamp(text);
    if (!into) err << "cspwatch: --now must be an RFC 3339 time, found '" << text << "'\n";
    return into.has_value();
  };
  if (alerts_preview->parsed()) {
    if (!timeArg(preview_now, preview.now)) return kExitUsage;
    return alertsPreview(ctx, preview);
  }
  if (alerts_test->parsed()) return alertsTest(ctx, test_to);
  if (alerts_outbox->parsed()) return alertsOutbox(ctx, outbox_all, outbox_format);
  if (alerts_send->parsed()) {
    std::optional<Timestamp> at;
    if (!timeArg(send_now, at)) return kExitUsage;
    return alertsSend(ctx, at);
  }
  if (run_cmd->parsed()) return run(ctx);
  if (scan_cmd->parsed() && scan_now_opt->count() > 0 && scan_now.empty()) {
    if (scan_options.once || scan_options.dry_run) {
      err << "cspwatch: --now without a time asks the running daemon to scan; with --once "
             "give it a time (--now 2026-11-25T00:00:00Z)\n";
      return kExitUsage;
    }
    return scanNow(ctx);
  }
  if (scan_cmd->parsed()) {
    if (!scan_now.empty()) scan_options.now = parseTimestamp(scan_now);
    return scan(ctx, scan_options);
  }
  err << "cspwatch: no command given; run 'cspwatch --help'\n";
  return kExitUsage;
}

}  // namespace cspwatch::cli
