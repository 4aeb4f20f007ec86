// SPDX-License-Identifier: Apache-2.0
// `cspwatch config check`.
#include <initializer_list>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include "alerts/route_outputs.h"
#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "common/file_safety.h"
#include "common/file_util.h"
#include "common/yaml_util.h"
#include "config/app_config.h"

namespace cspwatch::cli {
namespace {

constexpr const char* kUnsafeFile = "config.unsafe-file";
constexpr const char* kSecretReadable = "config.secret-readable";

// Where the value of `keys` (a path from the top: {"alerts", "smtp", "password_file"}) is
// written in the configuration, or just the file when it is not written there (a default).
SourceLocation where(const std::string& file, const std::optional<YAML::Node>& root,
                     std::initializer_list<const char*> keys) {
  if (!root) return {file, 0, 0};
  YAML::Node node = *root;
  for (const char* key : keys) {
    if (!node.IsMap() || !node[key]) return {file, 0, 0};
    node.reset(node[key]);  // not `node = ...`: yaml-cpp would overwrite the node in the tree
  }
  return locationFromMark(file, node.Mark());
}

// Where `key` of the `index`-th element of alerts.routes[route].<list> is written ("webhooks",
// "teams"), or the file alone.
SourceLocation outputWhere(const std::string& file, const std::optional<YAML::Node>& root,
                           size_t route, const char* list, size_t index, const char* key) {
  if (!root) return {file, 0, 0};
  const YAML::Node& top = *root;
  if (!top.IsMap() || !top["alerts"] || !top["alerts"]["routes"]) return {file, 0, 0};
  const YAML::Node routes = top["alerts"]["routes"];
  if (!routes.IsSequence() || route >= routes.size() || !routes[route][list]) return {file, 0, 0};
  const YAML::Node outputs = routes[route][list];
  if (!outputs.IsSequence() || index >= outputs.size() || !outputs[index][key]) return {file, 0, 0};
  return locationFromMark(file, outputs[index][key].Mark());
}

// The routes' webhook secrets and URL files (via `secret`, checkFileSafety's), and a URL with
// its signature (a Teams Workflows sig=) written into a configuration others can read.
template <typename CheckSecret>
void checkOutputs(const config::AlertsConfig& a, const std::string& f,
                  const std::optional<YAML::Node>& root, CheckSecret& secret, Diagnostics& d) {
  const std::string readers = secretReadableByOthers(f);
  auto url = [&](const std::string& u, const std::string& file, const std::string& what,
                 SourceLocation at) {
    if (!file.empty() || readers.empty() || !alerts::urlHasSecret(u)) return;
    d.warning(kSecretReadable, at,
              what + " carries a secret in its query (a Teams Workflows URL's sig=), and " + f +
                  " can be read by " + readers,
              "move the URL to a file only cspwatch can read and name it with 'url_file:', or "
              "chmod go-rwx " +
                  f);
  };
  for (size_t r = 0; r < a.routes.size(); ++r) {
    const std::string route = "the route '" + a.routes[r].name + "'";
    for (size_t i = 0; i < a.routes[r].webhooks.size(); ++i) {
      const auto& w = a.routes[r].webhooks[i];
      secret(w.secret_file, "the webhook secret file of " + route,
             outputWhere(f, root, r, "webhooks", i, "secret_file"));
      secret(w.url_file, "the webhook URL file of " + route,
             outputWhere(f, root, r, "webhooks", i, "url_file"));
      url(w.url, w.url_file, "the webhook URL of " + route,
          outputWhere(f, root, r, "webhooks", i, "url"));
    }
    for (size_t i = 0; i < a.routes[r].teams.size(); ++i) {
      const auto& t = a.routes[r].teams[i];
      secret(t.url_file, "the Teams URL file of " + route,
             outputWhere(f, root, r, "teams", i, "url_file"));
      url(t.url, t.url_file, "the Teams URL of " + route,
          outputWhere(f, root, r, "teams", i, "url"));
    }
  }
}

// What commands would refuse (common/file_safety.h) among the secrets and the directories the
// configuration names, as config.unsafe-file warnings; and secrets others can read, as
// config.secret-readable warnings. `text` is the configuration's text, for positions.
Diagnostics checkFileSafety(const config::AppConfig& cfg, const std::string& text) {
  Diagnostics d;
  Diagnostics ignored;  // the file parsed once already; this parse is for positions only
  const std::optional<YAML::Node> root = parseYamlDocument(cfg.file, text, "config", ignored);
  d.addSource(cfg.file, text);
  // Root runs `config check` on the files of a service that runs as its own user (the refresh
  // token and /var/lib/cspwatch belong to cspwatch): the owner cannot be judged without knowing
  // that user, so root checks only who else can write. The service and every other command
  // check the owner too.
  FileCheckOptions options;
  options.check_owner = ::geteuid() != 0;
  auto secret = [&](const std::string& path, const std::string& what, SourceLocation at,
                    bool is_secret = true) {
    if (path.empty()) return;
    if (Status s = checkSecretFile(path, what, options); !s) {
      d.warning(kUnsafeFile, at, s.message());
      return;
    }
    const std::string readers = is_secret ? secretReadableByOthers(path) : "";
    if (!readers.empty())
      d.warning(kSecretReadable, at, what + " " + path + " can be read by " + readers,
                "chmod go-rwx " + path +
                    " (under systemd the service reads it from its credentials: "
                    "docs/operations.md)");
  };
  auto directory = [&](const std::string& path, const std::string& what, SourceLocation at) {
    if (Status s = checkPrivateDirectory(path, what, options); !s)
      d.warning(kUnsafeFile, at, s.message());
  };
  const std::string& f = cfg.file;
  if (cfg.partner_center) {
    const config::PartnerCenterConfig& pc = *cfg.partner_center;
    auto at = [&](const char* key) { return where(f, root, {"sources", "partner_center", key}); };
    secret(pc.client_secret_file, "the client secret file", at("client_secret_file"));
    secret(pc.client_key_file, "the client key file", at("client_key_file"));
    // A certificate is public: only who can change it matters.
    secret(pc.client_certificate_file, "the client certificate file", at("client_certificate_file"),
           false);
    const SourceLocation token = at("refresh_token_file");
    secret(pc.refresh_token_file, "the refresh token file", token);
    if (!pc.refresh_token_file.empty())
      directory(parentDirectory(pc.refresh_token_file), "the refresh token's directory", token);
  }
  if (cfg.alerts) {
    const config::AlertsConfig& a = *cfg.alerts;
    if (a.transport == alerts::TransportKind::kSmtp)
      secret(a.smtp.password_file, "the SMTP password file",
             where(f, root, {"alerts", "smtp", "password_file"}));
    if (a.transport == alerts::TransportKind::kFile)
      directory(a.file_dir, "the mail directory", where(f, root, {"alerts", "file", "dir"}));
  }
  if (cfg.alerts) checkOutputs(*cfg.alerts, f, root, secret, d);
  secret(cfg.http.token_file, "the HTTP token file", where(f, root, {"http", "token_file"}));
  directory(parentDirectory(cfg.storage_path), "the database's directory",
            where(f, root, {"storage", "path"}));
  return d;
}

size_t countCode(const Diagnostics& d, const std::string& code) {
  size_t n = 0;
  for (const Diagnostic& item : d.items()) n += item.code == code ? 1 : 0;
  return n;
}

}  // namespace

int configCheck(const CommandContext& ctx) {
  Diagnostics diags;
  auto cfg = config::loadConfig(ctx.config_path, diags);
  if (!cfg) {
    ctx.err << diags.renderText();
    ctx.err << ctx.config_path << ": " << diags.errorCount() << " error(s)\n";
    return kExitUsage;
  }
  Diagnostics env = config::checkEnvironment(*cfg);
  // The configuration was just read whole; reading it again for positions cannot fail
  // differently in any way that matters (a file changed meanwhile gives no positions).
  auto text = readWholeFile(ctx.config_path, config::kMaxConfigBytes);
  env.append(checkFileSafety(*cfg, text ? *text : std::string()));
  // Files that cannot be read, or that commands would refuse, make the configuration unusable
  // here (exit 1); a secret others can read is a warning only.
  const size_t unusable = env.items().size() - countCode(env, kSecretReadable);
  if (!env.empty()) ctx.err << env.renderText();
  if (unusable > 0) {
    ctx.err << ctx.config_path << ": valid, but " << unusable
            << " file(s) it names cannot be used\n";
    return kExitProblems;
  }
  if (!env.empty()) {
    ctx.out << ctx.config_path << ": OK, with " << env.items().size() << " warning(s)\n";
    return kExitOk;
  }
  ctx.out << ctx.config_path << ": OK\n";
  return kExitOk;
}

void registerConfig(CLI::App& app, CommandRegistry& registry) {
  CLI::App* config = app.add_subcommand("config", "Work with the configuration file");
  config->require_subcommand(1);
  CLI::App* check = config->add_subcommand(
      "check",
      "Validate the configuration; exit 0 if clean, 1 if files it names are missing, "
      "2 if it is invalid");
  registry.add(check, [](const CommandContext& ctx) { return configCheck(ctx); });
}

}  // namespace cspwatch::cli
