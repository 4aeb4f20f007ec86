// SPDX-License-Identifier: Apache-2.0
#include "cli/config_checks.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alerts/route_outputs.h"
#include "common/file_safety.h"
#include "common/file_util.h"
#include "common/net_util.h"
#include "common/text.h"
#include "common/yaml_util.h"
#include "config/rule_files.h"
#include "msapi/proxy.h"

namespace cspwatch::cli {
namespace {

constexpr const char* kUnsafeFile = "config.unsafe-file";
constexpr const char* kSecretReadable = "config.secret-readable";
constexpr const char* kStorageUnwritable = "config.storage-unwritable";
constexpr const char* kRulesInvalid = "config.rules-invalid";
constexpr const char* kUnresolvableHost = "config.unresolvable-host";
constexpr const char* kListenInUse = "config.listen-in-use";
constexpr const char* kListenUnavailable = "config.listen-unavailable";

// The directory the shipped unit (StateDirectory=) and tmpfiles.d make for the service.
constexpr const char* kStateDirectory = "/var/lib/cspwatch";

std::string userName() {
  const struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "uid " + std::to_string(::geteuid());
}

// One partner account as the checks see it: its configuration (partnerConfigs()), where its
// own keys are written, and how messages name it.
struct AccountScope {
  const config::AppConfig* cfg = nullptr;
  std::vector<std::string> prefix;  // {} at the top level, {"partners", "1"} for an entry
  std::string of;                   // "" at the top level, " of partner 'fabrikam'"
  std::string label;                // "" at the top level, "partner 'fabrikam': "
  bool own_routes = true;           // its alerts.routes and rules.paths are at `prefix`, not the
  bool own_rules = true;            // top level's (always so without partners)

  std::vector<std::string> keys(const std::vector<std::string>& rest) const {
    std::vector<std::string> path = prefix;
    path.insert(path.end(), rest.begin(), rest.end());
    return path;
  }
};

// The partner accounts of `cfg`, whose configurations `accounts` (partnerConfigs(cfg)) holds
// and outlives the scopes: `cfg` itself alone without partners.
std::vector<AccountScope> accountScopes(const config::AppConfig& cfg,
                                        const std::vector<config::AppConfig>& accounts) {
  if (cfg.partners.empty()) return {AccountScope{&accounts.front(), {}, "", "", true, true}};
  std::vector<AccountScope> scopes;
  for (size_t i = 0; i < cfg.partners.size(); ++i) {
    const config::PartnerAccount& p = cfg.partners[i];
    scopes.push_back({&accounts[i],
                      {"partners", std::to_string(i)},
                      " of partner '" + p.name + "'",
                      "partner '" + p.name + "': ",
                      p.routes.has_value(),
                      p.rule_paths.has_value()});
  }
  return scopes;
}

// Whether an entry of partners uses the top level's alerts.routes (`routes`) or rules.paths.
bool topLevelUsed(const config::AppConfig& cfg, bool routes) {
  for (const config::PartnerAccount& p : cfg.partners)
    if (!(routes ? p.routes.has_value() : p.rule_paths.has_value())) return true;
  return false;
}

// The webhook secrets and URL files of `routes` (written at `where`, {"alerts", "routes"}; via
// `secret`, checkFileSafety's), and a URL with its signature (a Teams Workflows sig=) written
// into a configuration others can read. `of` ends each route's name in messages.
template <typename CheckSecret>
void checkOutputs(const std::vector<alerts::Route>& routes, const std::vector<std::string>& where,
                  const std::string& of, const ConfigPositions& at, CheckSecret& secret,
                  Diagnostics& d) {
  const std::string& f = at.file();
  const std::string readers = secretReadableByOthers(f);
  auto url = [&](const std::string& u, const std::string& file, const std::string& what,
                 SourceLocation loc) {
    if (!file.empty() || readers.empty() || !alerts::urlHasSecret(u)) return;
    d.warning(kSecretReadable, loc,
              what + " carries a secret in its query (a Teams Workflows URL's sig=), and " + f +
                  " can be read by " + readers,
              "move the URL to a file only cspwatch can read and name it with 'url_file:', or "
              "chmod go-rwx " +
                  f);
  };
  for (size_t r = 0; r < routes.size(); ++r) {
    const std::string route = "the route '" + routes[r].name + "'" + of;
    auto output = [&](const char* list, size_t i, const char* key) {
      std::vector<std::string> path = where;
      path.insert(path.end(), {std::to_string(r), list, std::to_string(i), key});
      return at.at(path);
    };
    for (size_t i = 0; i < routes[r].webhooks.size(); ++i) {
      const auto& w = routes[r].webhooks[i];
      secret(w.secret_file, "the webhook secret file of " + route,
             output("webhooks", i, "secret_file"));
      secret(w.url_file, "the webhook URL file of " + route, output("webhooks", i, "url_file"));
      url(w.url, w.url_file, "the webhook URL of " + route, output("webhooks", i, "url"));
    }
    for (size_t i = 0; i < routes[r].teams.size(); ++i) {
      const auto& t = routes[r].teams[i];
      secret(t.url_file, "the Teams URL file of " + route, output("teams", i, "url_file"));
      url(t.url, t.url_file, "the Teams URL of " + route, output("teams", i, "url"));
    }
  }
}

// One account's own secrets: its app's, and its routes' when it has its own.
template <typename CheckSecret, typename CheckDirectory>
void checkAccountFiles(const AccountScope& s, const ConfigPositions& at, CheckSecret& secret,
                       CheckDirectory& directory, Diagnostics& d) {
  if (s.cfg->partner_center) {
    const config::PartnerCenterConfig& pc = *s.cfg->partner_center;
    auto key = [&](const char* k) { return at.at(s.keys({"sources", "partner_center", k})); };
    secret(pc.client_secret_file, "the client secret file" + s.of, key("client_secret_file"));
    secret(pc.client_key_file, "the client key file" + s.of, key("client_key_file"));
    // A certificate is public: only who can change it matters.
    secret(pc.client_certificate_file, "the client certificate file" + s.of,
           key("client_certificate_file"), false);
    const SourceLocation token = key("refresh_token_file");
    secret(pc.refresh_token_file, "the refresh token file" + s.of, token);
    if (!pc.refresh_token_file.empty())
      directory(parentDirectory(pc.refresh_token_file), "the refresh token's directory" + s.of,
                token);
  }
  if (s.own_routes && s.cfg->alerts)
    checkOutputs(s.cfg->alerts->routes, s.keys({"alerts", "routes"}), s.of, at, secret, d);
}

// monitoring.heartbeat: its URL file (via `secret`), and a URL with its monitor's token (in
// its path or query) written into a configuration others can read.
template <typename CheckSecret>
void checkHeartbeat(const config::MonitoringConfig& m, const ConfigPositions& at,
                    CheckSecret& secret, Diagnostics& d) {
  secret(m.heartbeat_url_file, "the heartbeat URL file",
         at.at({"monitoring", "heartbeat", "url_file"}));
  if (m.heartbeat_url.empty() || !m.heartbeat_url_file.empty() ||
      config::heartbeatUrlSecrets(m.heartbeat_url).empty())
    return;
  const std::string readers = secretReadableByOthers(at.file());
  if (readers.empty()) return;
  d.warning(kSecretReadable, at.at({"monitoring", "heartbeat", "url"}),
            "the heartbeat URL carries its monitor's token (in its path or query), and " +
                at.file() + " can be read by " + readers,
            "move the URL to a file only cspwatch can read and name it with 'url_file:', or "
            "chmod go-rwx " +
                at.file());
}

// Looks `host` up as the program would (getaddrinfo); "" when it resolves, else why not.
std::string resolveProblem(const std::string& host) {
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (found != nullptr) ::freeaddrinfo(found);
  if (rc == 0) return "";
  return rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
}

}  // namespace

ConfigPositions::ConfigPositions(const std::string& file, const std::string& text) : file_(file) {
  Diagnostics ignored;  // the file parsed once already; this parse is for positions only
  root_ = parseYamlDocument(file, text, "config", ignored);
}

SourceLocation ConfigPositions::at(const std::vector<std::string>& keys) const {
  SourceLocation found{file_, 0, 0};
  if (!root_) return found;
  YAML::Node node = *root_;
  for (const std::string& key : keys) {
    YAML::Node next;
    if (node.IsMap() && node[key]) {
      next.reset(node[key]);
    } else if (node.IsSequence() && !key.empty() && key.size() < 10 &&
               key.find_first_not_of("0123456789") == std::string::npos &&
               std::stoul(key) < node.size()) {
      next.reset(node[std::stoul(key)]);
    } else {
      return found;
    }
    node.reset(next);  // not `node = ...`: yaml-cpp would overwrite the node in the tree
    found = locationFromMark(file_, node.Mark());
  }
  return found;
}

config::KeyLocator ConfigPositions::locator() const {
  return [this](const std::vector<std::string>& keys) { return at(keys); };
}

Diagnostics checkFileSafety(const config::AppConfig& cfg, const ConfigPositions& at) {
  Diagnostics d;
  // Root runs `config check` on the files of a service that runs as its own user (the refresh
  // token and /var/lib/cspwatch belong to cspwatch): the owner cannot be judged without knowing
  // that user, so root checks only who else can write. The service and every other command
  // check the owner too.
  FileCheckOptions options;
  options.check_owner = ::geteuid() != 0;
  auto secret = [&](const std::string& path, const std::string& what, SourceLocation where,
                    bool is_secret = true) {
    if (path.empty()) return;
    if (Status s = checkSecretFile(path, what, options); !s) {
      d.error(kUnsafeFile, where, s.message());  // commands refuse it: it stops the next scan
      return;
    }
    const std::string readers = is_secret ? secretReadableByOthers(path) : "";
    if (!readers.empty())
      d.warning(kSecretReadable, where, what + " " + path + " can be read by " + readers,
                "chmod go-rwx " + path +
                    " (under systemd the service reads it from its credentials: "
                    "docs/operations.md)");
  };
  auto directory = [&](const std::string& path, const std::string& what, SourceLocation where) {
    if (Status s = checkPrivateDirectory(path, what, options); !s)
      d.error(kUnsafeFile, where, s.message());
  };
  const std::vector<config::AppConfig> accounts = config::partnerConfigs(cfg);
  for (const AccountScope& account : accountScopes(cfg, accounts))
    checkAccountFiles(account, at, secret, directory, d);
  if (cfg.alerts) {
    const config::AlertsConfig& a = *cfg.alerts;
    if (a.transport == alerts::TransportKind::kSmtp)
      secret(a.smtp.password_file, "the SMTP password file",
             at.at({"alerts", "smtp", "password_file"}));
    if (a.transport == alerts::TransportKind::kFile)
      directory(a.file_dir, "the mail directory", at.at({"alerts", "file", "dir"}));
    if (topLevelUsed(cfg, true)) checkOutputs(a.routes, {"alerts", "routes"}, "", at, secret, d);
  }
  secret(cfg.http.token_file, "the HTTP token file", at.at({"http", "token_file"}));
  checkHeartbeat(cfg.monitoring, at, secret, d);
  if (cfg.storage_url.empty())
    directory(parentDirectory(cfg.storage_path), "the database's directory",
              at.at({"storage", "path"}));
  else
    secret(cfg.storage_password_file, "the database password file",
           at.at({"storage", "password_file"}));
  return d;
}

Diagnostics checkStorage(const config::AppConfig& cfg, const ConfigPositions& at) {
  Diagnostics d;
  if (!cfg.storage_url.empty()) return d;  // a server: nothing on this machine's disk
  const std::string dir = parentDirectory(cfg.storage_path);
  const SourceLocation where = at.at({"storage", "path"});
  const std::string user = userName();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    // Nothing in cspwatch creates the database's directory: the package makes the service's
    // own (tmpfiles.d, and StateDirectory= when the service starts).
    if (dir == kStateDirectory) return d;
    d.error(kStorageUnwritable, where,
            "the database's directory " + dir + " cannot be used: " + std::strerror(errno) +
                "; the next scan could not create the database " + cfg.storage_path,
            "create it for the user the service runs as (install -d -m 0750 -o cspwatch -g "
            "cspwatch " +
                dir + "), or point storage.path at a directory that exists");
    return d;
  }
  if (!S_ISDIR(st.st_mode)) {
    d.error(kStorageUnwritable, where, "the database's directory " + dir + " is not a directory",
            "point storage.path at a file in a directory");
    return d;
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    d.error(kStorageUnwritable, where,
            "the database's directory " + dir + " is not writable by " + user + ": " +
                std::strerror(errno) + " (SQLite writes its journal beside the database)",
            "run cspwatch as the directory's owner (runuser -u cspwatch -- cspwatch ...), or "
            "give " +
                user + " write access to " + dir);
    return d;
  }
  // Every account's database is in that directory (partnerConfigs() names them after it).
  std::vector<std::string> files = {cfg.storage_path};
  if (!cfg.partners.empty())
    for (const config::AppConfig& account : config::partnerConfigs(cfg))
      files.push_back(account.storage_path);
  for (const std::string& file : files)
    if (::access(file.c_str(), F_OK) == 0 && ::access(file.c_str(), R_OK | W_OK) != 0)
      d.error(kStorageUnwritable, where,
              "the database " + file + " is not writable by " + user + ": " + std::strerror(errno),
              "run cspwatch as the database's owner (runuser -u cspwatch -- cspwatch ...)");
  return d;
}

namespace {

// The rule set of `paths` (written at `where`); `label` starts the message of an account's own.
void checkOneRuleSet(const std::vector<std::string>& paths, const SourceLocation& where,
                     const std::string& label, Diagnostics& d) {
  // A path that does not exist is reported once, by checkEnvironment().
  for (const auto& p : paths)
    if (struct stat st{}; ::stat(p.c_str(), &st) != 0) return;
  rules::LoadResult result = config::loadRuleFiles(paths);
  d.append(result.diagnostics);
  if (!result.ok())
    d.error(kRulesInvalid, where,
            label + "the rule set in " + join(paths, ", ") + " has " +
                std::to_string(result.diagnostics.errorCount()) +
                " error(s): the next scan would refuse it, and the service would keep its last "
                "good set",
            "fix the rule files at the positions above; 'cspwatch rules check' lists the same");
}

}  // namespace

Diagnostics checkRuleSet(const config::AppConfig& cfg, const ConfigPositions& at) {
  Diagnostics d;
  // With partners, the top level's rule set once when an account uses it, then each account's
  // own.
  if (cfg.partners.empty() || topLevelUsed(cfg, false))
    checkOneRuleSet(cfg.rule_paths, at.at({"rules", "paths"}), "", d);
  const std::vector<config::AppConfig> accounts = config::partnerConfigs(cfg);
  for (const AccountScope& account : accountScopes(cfg, accounts))
    if (!account.prefix.empty() && account.own_rules)
      checkOneRuleSet(account.cfg->rule_paths, at.at(account.keys({"rules", "paths"})),
                      account.label, d);
  return d;
}

Diagnostics checkHostNames(const config::AppConfig& cfg, const ConfigPositions& at) {
  Diagnostics d;
  auto check = [&](const std::string& host, const std::string& what, SourceLocation where,
                   const std::string& fix) {
    if (host.empty()) return;
    const std::string problem = resolveProblem(host);
    if (!problem.empty())
      d.error(kUnresolvableHost, where, what + " '" + host + "' does not resolve: " + problem, fix);
  };
  if (cfg.alerts && cfg.alerts->transport == alerts::TransportKind::kSmtp)
    check(cfg.alerts->smtp.host, "the SMTP server", at.at({"alerts", "smtp", "host"}),
          "check the name (or use the server's address); no mail can be sent until it resolves");
  // The proxy the scan's HTTPS requests use: the configured one, else the environment's.
  std::string url = cfg.network.proxy;
  std::string source = "network.proxy";
  if (url.empty()) {
    url = msapi::ProxyEnvironment::fromProcess().https_proxy;
    source = "$HTTPS_PROXY";
  }
  if (url.empty()) return d;
  const SourceLocation where =
      cfg.network.proxy.empty() ? SourceLocation{at.file(), 0, 0} : at.at({"network", "proxy"});
  auto proxy = msapi::parseProxyUrl(url, source);
  if (!proxy) {
    d.error(kUnresolvableHost, where, proxy.status().message(), "write it as http://host:port");
    return d;
  }
  check(proxy->host, "the proxy (" + source + ")", where,
        "check the name; every request of a scan goes through the proxy");
  return d;
}

Diagnostics checkListen(const config::AppConfig& cfg, const ConfigPositions& at) {
  Diagnostics d;
  if (!cfg.http.enabled) return d;
  auto address = parseListenAddress(cfg.http.listen);
  if (!address) return d;  // the configuration's reader refused it already
  const SourceLocation where = at.at({"http", "listen"});
  const bool v6 = address->host.find(':') != std::string::npos;
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return d;
  const int one = 1;
  // As the service binds (daemon/http_endpoint.cpp): SO_REUSEADDR only.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = -1;
  if (v6) {
    struct sockaddr_in6 sa {};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(static_cast<uint16_t>(address->port));
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::inet_pton(AF_INET6, address->host.c_str(), &sa.sin6_addr) == 1)
      rc = ::bind(fd, reinterpret_cast<const struct sockaddr*>(&sa), sizeof sa);
  } else {
    struct sockaddr_in sa {};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(address->port));
    if (::inet_pton(AF_INET, address->host.c_str(), &sa.sin_addr) == 1)
      rc = ::bind(fd, reinterpret_cast<const struct sockaddr*>(&sa), sizeof sa);
  }
  const int error = rc == 0 ? 0 : errno;
  ::close(fd);
  if (rc == 0) return d;
  const std::string port = std::to_string(address->port);
  if (error == EADDRINUSE)
    d.warning(kListenInUse, where,
              "port " + port + " on " + address->host +
                  " is in use: the running cspwatch service may hold it; if not, the service "
                  "will not start",
              "curl -s http://" + cfg.http.listen +
                  "/healthz answers when it is cspwatch; otherwise free the port or change "
                  "http.listen");
  else
    d.error(kListenUnavailable, where,
            "cannot listen on " + cfg.http.listen + ": " + std::strerror(error),
            "use an address of this machine (127.0.0.1 for local use) and a port above 1023, "
            "or set http.enabled: false");
  return d;
}

Diagnostics checkNextScan(const config::AppConfig& cfg, const std::string& text) {
  const ConfigPositions at(cfg.file, text);
  Diagnostics d;
  d.addSource(cfg.file, text);
  d.append(config::checkEnvironment(cfg, at.locator()));
  d.append(checkFileSafety(cfg, at));
  d.append(checkStorage(cfg, at));
  d.append(checkRuleSet(cfg, at));
  d.append(checkHostNames(cfg, at));
  d.append(checkListen(cfg, at));
  return d;
}

bool blocksNextScan(const Diagnostic& d) {
  static const std::set<std::string> kUnusableFile = {
      "config.missing-file", "config.missing-secret", "config.bad-templates", kUnsafeFile};
  return d.severity == Severity::kError || kUnusableFile.count(d.code) > 0;
}

}  // namespace cspwatch::cli
