// SPDX-License-Identifier: Apache-2.0
// What `cspwatch config check` checks beyond the configuration's own validity: what the next
// scan, or the service, would trip over on this machine (docs/cli.md#cspwatch-config-check).
//
// Every problem is a diagnostic at the key that names it (file:line:column; the nearest section
// written, or the file alone, for a default), with a code `config.<name>` and a hint. An error
// (or one of the environment's warnings that make a file unusable, blocksNextScan()) means the
// next scan would fail; any other warning does not. Nothing here connects anywhere: host names
// are only resolved (getaddrinfo), and the HTTP address is bound and closed at once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/diagnostic.h"
#include "config/app_config.h"

namespace cspwatch::cli {

// Positions of the keys in the configuration's text (parsed once more, for positions only).
class ConfigPositions {
 public:
  ConfigPositions(const std::string& file, const std::string& text);
  const std::string& file() const { return file_; }
  // Where `keys` (a path from the top: {"alerts", "smtp", "host"}; an element of a list by its
  // index: {"partners", "1", "sources"}) is written; when it is not, the deepest of its sections
  // that is, or the file alone (line 0).
  SourceLocation at(const std::vector<std::string>& keys) const;
  config::KeyLocator locator() const;

 private:
  std::string file_;
  std::optional<YAML::Node> root_;
};

// With `partners:`, each check covers every partner account: its own files and rule set at its
// entry's keys, named after it ("of partner 'fabrikam'"), and what the accounts share once.

// Secrets and directories that commands would refuse (config.unsafe-file, warnings) and
// secrets others can read (config.secret-readable).
Diagnostics checkFileSafety(const config::AppConfig& cfg, const ConfigPositions& at);
// The database's directory exists and is writable, or can be created, and each database there
// (every account's, and the instances' shared one with partners) is writable when it exists
// (config.storage-unwritable, an error).
Diagnostics checkStorage(const config::AppConfig& cfg, const ConfigPositions& at);
// The rule set of rules.paths loads: the rules' own diagnostics as `rules check` gives them,
// then config.rules-invalid (an error) at rules.paths when it is rejected.
Diagnostics checkRuleSet(const config::AppConfig& cfg, const ConfigPositions& at);
// The SMTP host (transport smtp) and the proxy (network.proxy, else $HTTPS_PROXY) resolve
// (config.unresolvable-host, an error).
Diagnostics checkHostNames(const config::AppConfig& cfg, const ConfigPositions& at);
// http.listen can be bound: in use is a warning (config.listen-in-use: the running service
// may hold it), any other failure an error (config.listen-unavailable).
Diagnostics checkListen(const config::AppConfig& cfg, const ConfigPositions& at);

// Every check above and config::checkEnvironment, in the order `config check` prints them.
// `text` is the configuration's text.
Diagnostics checkNextScan(const config::AppConfig& cfg, const std::string& text);
// Whether `d` would stop the next scan (or the service): an error, or a warning that a file
// the configuration names cannot be used.
bool blocksNextScan(const Diagnostic& d);

}  // namespace cspwatch::cli
