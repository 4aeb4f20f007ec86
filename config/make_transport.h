// SPDX-License-Identifier: Apache-2.0
// The mail transport the configuration names (alerts.transport: smtp, graph or file), and the
// routes' webhooks and Teams outputs, built for alerts/: the SMTP password file, the webhook
// secrets and the app's credentials are read here (each checked by common/file_safety.h's rule
// first), so alerts/ never sees the configuration.
#pragma once

#include <memory>

#include "alerts/transport.h"
#include "common/status.h"
#include "config/app_config.h"

namespace cspwatch::config {

// Fails when `cfg.alerts` is absent, a secret cannot be read or is not safe, or the Graph
// settings are incomplete; the message names the key or file, never a secret.
Result<std::unique_ptr<alerts::Transport>> makeTransport(const AppConfig& cfg);

// The transport of the routes' webhooks and Teams outputs (alerts/http_post_transport.h), each
// by its target, through the configured network; null when no route has one. Each webhook's
// secret file is read now (a file fixed since is read at the next delivery); one that cannot be
// read makes that output's deliveries wait, with the reason, rather than fail.
std::unique_ptr<alerts::Transport> makeOutputTransport(const AppConfig& cfg);

}  // namespace cspwatch::config
