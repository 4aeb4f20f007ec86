// SPDX-License-Identifier: Apache-2.0
// The mail transport the configuration names (alerts.transport: smtp, graph or file), built for
// alerts/: the SMTP password file and the app's credentials are read here (each checked by
// common/file_safety.h's rule first), so alerts/ never sees the configuration.
#pragma once

#include <memory>

#include "alerts/transport.h"
#include "common/status.h"
#include "config/app_config.h"

namespace cspwatch::config {

// Fails when `cfg.alerts` is absent, a secret cannot be read or is not safe, or the Graph
// settings are incomplete; the message names the key or file, never a secret.
Result<std::unique_ptr<alerts::Transport>> makeTransport(const AppConfig& cfg);

}  // namespace cspwatch::config
