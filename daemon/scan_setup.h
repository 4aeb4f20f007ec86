// SPDX-License-Identifier: Apache-2.0
// The scan as the configuration describes it: what scan/ takes, made from config/'s model. The
// service and the CLI commands (scan, tenants list, alerts) build their scans through these, so
// both read the same sources the same way. Pure: nothing is read from disk here except the mail
// templates alertPipeline loads (and the secrets a delivery's transport reads when it is made).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "config/app_config.h"
#include "rules/rule_set.h"
#include "scan/alert_pipeline.h"
#include "scan/scan_job.h"
#include "scan/scan_runner.h"

namespace cspwatch::daemon {

// The sources, partner and rule budget of `cfg`.
scan::ScanSources scanSources(const config::AppConfig& cfg);

// How due mail goes out under `cfg.alerts` (nullopt without an alerts section): through the
// transport config/make_transport.h makes, the webhooks and Teams outputs through
// makeOutputTransport's, with the configured retries, retries reckoned by `clock` (which must
// outlive the delivery); `stop` (may be empty) ends it early.
std::optional<scan::MailDelivery> delivery(const config::AppConfig& cfg, const Clock& clock,
                                           std::function<bool()> stop = {});

// The alert pipeline of `cfg.alerts`; an invalidArgument Status naming the file when the
// configuration has no alerts section, or when the templates cannot be loaded.
Result<scan::AlertPipeline> alertPipeline(const config::AppConfig& cfg,
                                          const rules::RuleSet& rules);
Result<scan::AlertPipeline> alertPipeline(const config::AppConfig& cfg,
                                          std::map<std::string, scan::RuleInfo> rule_info);

// How long what a scan prunes is kept (scan::ScanJobOptions::retention): alerts.retention, or
// its default without an alerts section, so that the history of an earlier one still goes.
Seconds retention(const config::AppConfig& cfg);

}  // namespace cspwatch::daemon
