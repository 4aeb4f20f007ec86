// SPDX-License-Identifier: Apache-2.0
// The subcommands behind the CLI, one function each, callable from tests without a process.
// Each returns an exit code (cli/cli.h) and writes results to `out`, problems to `err`.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/time.h"
#include "storage/states.h"

namespace cspwatch::cli {

struct CommandContext {
  std::ostream& out;
  std::ostream& err;
  std::string config_path;
  // --partner: the partner account a command acts on; "" when not given, which is enough when
  // the configuration has one (cli/partner_account.h).
  std::string partner = {};
};

enum class OutputFormat { kTable, kJson, kText, kCsv };

int configCheck(const CommandContext& ctx);
int tenantsList(const CommandContext& ctx, OutputFormat format);
// `tenants show ID|NAME|DOMAIN`: a live read of the sources, and the database read-only.
int tenantsShow(const CommandContext& ctx, const std::string& tenant, OutputFormat format);

// `rules check [PATH...]`: PATHs default to the configured rules.paths. kText or kJson.
int rulesCheck(const CommandContext& ctx, const std::vector<std::string>& paths,
               OutputFormat format);
// `rules test [PATH...]`: runs the *.test.yaml files found in PATHs against the rules there.
int rulesTest(const CommandContext& ctx, const std::vector<std::string>& paths);
// `rules list [PATH...]`: every rule loaded, kTable or kJson.
int rulesList(const CommandContext& ctx, const std::vector<std::string>& paths,
              OutputFormat format);
// `rules eval EXPR (--tenant ID | --fixture FILE)`: one expression's value and type.
struct RulesEvalOptions {
  std::string expression;
  std::string tenant;   // a tenant of the configured sources: id, name or default domain
  std::string fixture;  // or a tenant JSON file
  std::optional<Timestamp> now;
  OutputFormat format = OutputFormat::kText;  // kText or kJson
};
int rulesEval(const CommandContext& ctx, const RulesEvalOptions& options);

struct ScanOptions {
  bool once = false;
  bool dry_run = false;
  OutputFormat format = OutputFormat::kTable;
  std::optional<Timestamp> now;  // --now; the system clock otherwise
  // --rule, --tenant (dry runs only): only these rules (ids) and tenants (id, name or domain).
  std::vector<std::string> rules, tenants;
};
int scan(const CommandContext& ctx, const ScanOptions& options);
// `run`: the service, until SIGTERM (daemon/service.h).
int run(const CommandContext& ctx);
// `scan --now` without a time: asks the running service to scan now.
int scanNow(const CommandContext& ctx);

struct FindingsQuery {
  storage::StateFilter state = storage::StateFilter::kOpen;
  std::string tenant, rule, severity;
  OutputFormat format = OutputFormat::kTable;
};
int findingsList(const CommandContext& ctx, const FindingsQuery& query);
int findingsShow(const CommandContext& ctx, int64_t id, OutputFormat format);

struct SuppressOptions {
  std::string rule, tenant, subject, reason, owner, expires, ticket;
  int64_t finding = 0;      // --finding: rule, tenant and subject from this finding; 0: none
  std::string tag;          // --tag: every tenant carrying this inventory tag, later ones too
  bool allow_none = false;  // --allow-none: store it even when it covers nothing yet
  bool dry_run = false;     // --dry-run: say what it would cover, store nothing
};
int suppressAdd(const CommandContext& ctx, const SuppressOptions& options);
int suppressList(const CommandContext& ctx, bool include_inactive, OutputFormat format);
int suppressRemove(const CommandContext& ctx, int64_t id);

int scansList(const CommandContext& ctx, OutputFormat format);

// `alerts ...` (docs/alerts.md).
struct AlertsPreviewOptions {
  std::string to;               // one recipient's digest; "" = every recipient's
  std::string format = "text";  // text, html, eml
  std::optional<Timestamp> now;
};
int alertsPreview(const CommandContext& ctx, const AlertsPreviewOptions& options);
int alertsTest(const CommandContext& ctx, const std::string& to);
int alertsOutbox(const CommandContext& ctx, bool include_sent, OutputFormat format);
int alertsSend(const CommandContext& ctx, std::optional<Timestamp> now);
// `auth login`: the authorization code with PKCE and a loopback redirect for a confidential app,
// the device code for a public client (docs/cli.md).
struct AuthLoginOptions {
  std::optional<int> poll_seconds;  // device code: seconds between polls (default: the service's)
  int port = 0;                     // authorization code: the listener's port; 0: any free one
  Seconds timeout = Seconds(600);   // how long the sign-in may take
  int paste_fd = 0;                 // where the redirected URL may be pasted (stdin); -1: nowhere
};
int authLogin(const CommandContext& ctx, const AuthLoginOptions& options);
// `auth status`: one request per permission a scan needs (cli/auth_checks.h).
struct AuthStatusOptions {
  OutputFormat format = OutputFormat::kTable;  // kTable or kJson
  std::string tenant;  // the customer tenant of the per-tenant checks; "": the list's first
};
int authStatus(const CommandContext& ctx, const AuthStatusOptions& options);
// `report`: the database for account managers (HTML or CSV); never creates the database.
struct ReportOptions {
  std::string format = "html";  // html or csv
  std::string tenant;           // id or name; "" = every tenant
  std::string output;           // a file; "" = stdout
};
int report(const CommandContext& ctx, const ReportOptions& options);
int scansDiff(const CommandContext& ctx, int64_t from, int64_t to, OutputFormat format);

}  // namespace cspwatch::cli
