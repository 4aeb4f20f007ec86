// SPDX-License-Identifier: Apache-2.0
// Where a route's alerts go besides email (docs/alerts.md#outputs): signed webhooks, one JSON
// POST per event (alerts/webhook_event.h), and Microsoft Teams Workflows, an Adaptive Card per
// digest (alerts/teams_card.h). Both go through the durable outbox like mail.
//
// An output is named in the outbox by its route and place, its target ("webhook:<route>:<N>",
// "teams:<route>:<N>", N from 0), never by its URL: a Teams Workflows URL carries its signature
// (sig=), and secrets stay out of the database. The sender looks the target up in the
// configuration in force when it delivers; the outbox shows urlForDisplay() of it. Plain data
// and pure helpers; config/ reads the outputs, alerts/http_post_transport.h posts to them.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace cspwatch::alerts {

// The outbox's channels (outbox.channel).
inline constexpr const char* kChannelEmail = "email";
inline constexpr const char* kChannelWebhook = "webhook";
inline constexpr const char* kChannelTeams = "teams";

// routes[].webhooks[]: one signed JSON POST per event.
struct WebhookOutput {
  std::string url;          // https, or http to a loopback host (from url_file when given)
  std::string url_file;     // the file `url` was read from; "" when written inline
  std::string secret_file;  // the HMAC key; read again each time the sender starts
};

// routes[].teams[]: a Teams Workflows webhook ("When a Teams webhook request is received").
struct TeamsOutput {
  std::string url;       // its sig= query parameter is a secret
  std::string url_file;  // the file `url` was read from; "" when written inline
};

// "webhook:<route>:<index>" for channel kChannelWebhook, and so on.
std::string outputTarget(const std::string& channel, const std::string& route, size_t index);

// Ok for an https URL with a host, or an http one to a loopback host (127.x, localhost, [::1]);
// otherwise why not, in words for the configuration's errors.
Status checkOutputUrl(const std::string& url);

// The URL as it may be shown and stored: scheme, host, port and path, without user
// information, query or fragment ("https://prod-12.westus.logic.azure.com/workflows/abc/...").
std::string urlForDisplay(const std::string& url);

// The parts of `url` that are secrets, for registerSecret (common/redact.h): its user
// information, its query, and each query value of a key that names a signature, token or key
// (sig, signature, token, key, code, secret, ...). Empty when it has none.
std::vector<std::string> urlSecrets(const std::string& url);

// Whether `url` carries a signature or token in its query (a Teams Workflows sig=), so that a
// file holding it must be private.
bool urlHasSecret(const std::string& url);

}  // namespace cspwatch::alerts
