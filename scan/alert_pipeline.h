// SPDX-License-Identifier: Apache-2.0
// From a scan to queued mail (docs/alerts.md): gathers what a scan changed and what else is
// due (reminders, checks that could not be made for N scans in a row, suppressions about to
// expire) from the FindingStore, routes it to recipients (alerts/digest.h), renders each message
// with the operator's templates (alerts/templates.h) and hands the finished messages to the
// outbox. ScanJob (scan/scan_job.h) asks it, as the scan's AlertComposer, inside the scan's
// transaction, and queues what it returns: the scan's changes, their messages and the reminder
// counts are stored together or not at all.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alerts/alerts_config.h"
#include "alerts/digest.h"
#include "alerts/templates.h"
#include "alerts/transport.h"
#include "rules/rule_set.h"
#include "scan/alert_composer.h"
#include "storage/finding_store.h"

namespace cspwatch::scan {

// What the digest says about a rule (from the rule set in force).
struct RuleInfo {
  std::string title, description, severity;
  std::vector<std::string> tags;
  std::string why = {};  // in an admin's words; "": the description's first sentence
};

class AlertPipeline : public AlertComposer {
 public:
  // Loads the templates `alerts.templates_dir` names; `partner_name` is the partner the
  // messages speak for (daemon/scan_setup.h makes one from the configuration).
  static Result<AlertPipeline> create(const alerts::AlertsConfig& alerts,
                                      const std::string& partner_name, const rules::RuleSet& rules);
  // Without a rule set (the CLI outside a scan): rule titles come from the findings' rule ids.
  static Result<AlertPipeline> create(const alerts::AlertsConfig& alerts,
                                      const std::string& partner_name,
                                      std::map<std::string, RuleInfo> rule_info);

  // The digest input for `scan`: its changes plus everything due at `now`.
  Result<alerts::DigestInput> gather(storage::FindingStore& store,
                                     const storage::ScanChanges& changes, Timestamp now);
  // Routes and renders `input`. Each message has a stable Message-ID derived from the scan,
  // the time and the recipient.
  Result<std::vector<storage::OutboxMessage>> render(const alerts::DigestInput& input);
  // The routed messages without rendering (preview, tests).
  std::vector<alerts::RecipientMessage> route(const alerts::DigestInput& input) const;
  alerts::RenderedBody renderBody(const alerts::RecipientMessage& message,
                                  const alerts::DigestInput& input) const;
  std::string fromHeader() const { return alerts_.from; }
  // Our partner tenant's id, which webhook events name beside the partner's name.
  void setPartnerTenantId(std::string tenant_id) { partner_tenant_id_ = std::move(tenant_id); }

  // Gathers and renders the scan's messages, adds its webhook events and Teams cards
  // (scan/alert_outputs.h), and names the findings they remind of.
  Result<ScanAlerts> compose(storage::FindingStore& store, const storage::ScanChanges& changes,
                             Timestamp now) override;

  // A test message for `to` through the same templates (cspwatch alerts test).
  Result<storage::OutboxMessage> testMessage(const std::string& to, Timestamp now);

 private:
  AlertPipeline(alerts::AlertsConfig alerts, std::string partner_name,
                std::map<std::string, RuleInfo> rule_info, alerts::MailTemplates templates)
      : alerts_(std::move(alerts)),
        partner_name_(std::move(partner_name)),
        rules_(std::move(rule_info)),
        templates_(std::move(templates)) {}
  using TenantTags = std::map<std::string, std::vector<std::string>>;  // tenant id -> tags
  alerts::AlertItem itemFor(const storage::FindingRow& row, const TenantTags& tags) const;
  void describeRule(alerts::AlertItem& item) const;
  // gather()'s parts, each adding its sections to `in`.
  Status addChanges(alerts::DigestInput& in, storage::FindingStore& store,
                    const storage::ScanChanges& changes, const TenantTags& tags);
  Status addReminders(alerts::DigestInput& in, storage::FindingStore& store,
                      const storage::ScanChanges& changes, const TenantTags& tags);
  Status addCouldNotCheck(alerts::DigestInput& in, storage::FindingStore& store,
                          const TenantTags& tags);
  Status addExpiring(alerts::DigestInput& in, storage::FindingStore& store,
                     const storage::ScanChanges& changes, const TenantTags& tags);
  Result<storage::OutboxMessage> finish(const alerts::RecipientMessage& message,
                                        const alerts::DigestInput& input) const;

  alerts::AlertsConfig alerts_;
  std::string partner_name_;
  std::string partner_tenant_id_;
  std::map<std::string, RuleInfo> rules_;
  alerts::MailTemplates templates_;
};

}  // namespace cspwatch::scan
