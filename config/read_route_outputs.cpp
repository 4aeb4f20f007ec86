// SPDX-License-Identifier: Apache-2.0
// alerts.routes[].webhooks and alerts.routes[].teams: where a route posts besides email
// (config/section_readers.h, docs/alerts.md#outputs). Every file an output names (secret_file,
// url_file) is checked here, at its position: it must exist, be one only its owner can change
// (common/file_safety.h) and hold something. The URLs' secrets are registered with
// common/redact.h as soon as they are read, so that no log line, diagnostic or answer shows them.
#include <unistd.h>

#include "alerts/route_outputs.h"
#include "common/file_safety.h"
#include "common/file_util.h"
#include "common/redact.h"
#include "config/section_readers.h"

namespace cspwatch::config::detail {

namespace {

// Root checks the service's files without knowing its user (as `config check` does): only who
// else can write them is judged then.
FileCheckOptions fileCheck() {
  FileCheckOptions o;
  o.check_owner = ::geteuid() != 0;
  return o;
}

// The text of the secret file at `key` of `m` (path resolved as secrets are), or nullopt after
// reporting why it cannot be used. `register_all`: the whole text is a secret (a webhook's key;
// of a URL, only its secret parts are, which the caller registers).
std::optional<std::string> readSecretAt(const ReadContext& ctx, YamlMap& m, const std::string& key,
                                        const std::string& what, bool register_all) {
  auto written = m.getString(key);
  if (!written) return std::nullopt;
  const std::string path = secretPath(ctx.path(*written));
  Status s = checkSecretFile(path, what, fileCheck());
  auto text = s ? readWholeFile(path, 64 * 1024) : Result<std::string>(s);
  if (!text) {
    m.error("bad-value", m.valueLocation(key), what + " cannot be used: " + text.status().message(),
            "create it readable only by the user cspwatch runs as (chmod 600)");
    return std::nullopt;
  }
  std::string secret = secretText(std::move(*text));
  if (secret.empty()) {
    m.error("bad-value", m.valueLocation(key), what + " " + path + " is empty",
            "put the secret in it (a line of text)");
    return std::nullopt;
  }
  if (register_all) registerSecret(secret);
  return secret;
}

// The list at `key` of the route `m` (at `where`), each element read by `read(its map)`, whose
// messages name it ("alerts.routes[0].webhooks[1]").
template <typename Read>
void readList(const ReadContext& ctx, YamlMap& m, const std::string& key, const std::string& where,
              Read read) {
  YAML::Node list = m.get(key);
  if (!list.IsDefined()) return;
  if (!list.IsSequence()) {
    m.error("wrong-type", m.valueLocation(key), "'" + key + "' must be a list",
            key + ": [{url: https://...}]");
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = where + "." + key + "[" + std::to_string(i) + "]";
    YamlMap item = ctx.map(list[i], path, list);
    if (item.valid()) read(item);
  }
}

}  // namespace

bool readOutputUrl(const ReadContext& ctx, YamlMap& m, std::string& url, std::string& url_file) {
  const bool inline_url = m.has("url"), from_file = m.has("url_file");
  if (inline_url == from_file) {
    m.error(inline_url ? "bad-value" : "missing-key",
            inline_url ? m.keyLocation("url_file") : m.location(),
            inline_url ? "both 'url' and 'url_file' are given" : "no 'url' is given",
            "give one: 'url: https://...', or 'url_file:' naming a file that holds it (a URL "
            "that carries a signature or token, as a Teams URL does: keep it in a file only "
            "cspwatch can read)");
    return false;
  }
  std::optional<std::string> value = inline_url
                                         ? m.getString("url", true)
                                         : readSecretAt(ctx, m, "url_file", "the URL file", false);
  if (!value) return false;
  for (const auto& s : alerts::urlSecrets(*value)) registerSecret(s);
  if (Status s = alerts::checkOutputUrl(*value); !s) {
    const std::string key = inline_url ? "url" : "url_file";
    m.error("bad-value", m.valueLocation(key), s.message(),
            "https://... (http:// only to 127.0.0.1 or [::1], for a receiver on this host)");
    return false;
  }
  url = *value;
  if (from_file) url_file = secretPath(ctx.path(*m.getString("url_file")));
  return true;
}

void readOutputs(const ReadContext& ctx, YamlMap& m, const std::string& where, alerts::Route& r) {
  readList(ctx, m, "webhooks", where, [&](YamlMap& w) {
    w.checkKeys({"url", "url_file", "secret_file"}, {"secret"});
    alerts::WebhookOutput out;
    const bool url = readOutputUrl(ctx, w, out.url, out.url_file);
    if (!w.has("secret_file")) {
      w.error("missing-key", w.location(), "no 'secret_file' is given",
              "every event is signed (X-Cspwatch-Signature): name a file holding the shared "
              "secret, readable only by cspwatch");
      return;
    }
    const bool secret =
        readSecretAt(ctx, w, "secret_file", "the webhook secret file", true).has_value();
    out.secret_file = secretPath(ctx.path(w.getString("secret_file").value_or("")));
    if (url && secret) r.webhooks.push_back(std::move(out));
  });
  readList(ctx, m, "teams", where, [&](YamlMap& t) {
    t.checkKeys({"url", "url_file"});
    alerts::TeamsOutput out;
    if (readOutputUrl(ctx, t, out.url, out.url_file)) r.teams.push_back(std::move(out));
  });
}

}  // namespace cspwatch::config::detail
