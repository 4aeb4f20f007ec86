// SPDX-License-Identifier: Apache-2.0
#include "scan/alert_pipeline.h"

#include <set>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "alerts/mail_message.h"
#include "common/logging.h"
#include "common/text.h"
#include "scan/alert_outputs.h"
#include "tenants/unknown_advice.h"

namespace cspwatch::scan {

namespace {

// A tenant's read problems ([{"part": ..., "reason": ...}]) as one line of text.
std::string problemsText(const std::string& json) {
  try {
    Poco::JSON::Parser parser;
    auto list = parser.parse(json).extract<Poco::JSON::Array::Ptr>();
    std::string out;
    for (size_t i = 0; i < list->size(); ++i) {
      auto o = list->getObject(static_cast<unsigned>(i));
      if (!o) continue;
      std::string part = o->optValue<std::string>("part", "");
      std::string reason = o->optValue<std::string>("reason", "");
      out += (out.empty() ? "" : "; ") + (part.empty() ? reason : part + ": " + reason);
    }
    return out.empty() ? json : out;
  } catch (const Poco::Exception&) {
    return json;  // not JSON: a plain reason already
  }
}

// The findings a message mentions, each once: the items of every section that are findings
// (a check that could not be made and a suppression are not).
std::vector<int64_t> findingsOf(const alerts::RecipientMessage& m) {
  std::set<int64_t> ids;
  for (const auto& section : m.sections)
    for (const auto& item : section)
      if (item.finding_id != 0) ids.insert(item.finding_id);
  return {ids.begin(), ids.end()};
}

// A check that could not be made, in an admin's words (tenants/unknown_advice.h): for a whole
// tenant from its first read problem ([{"part": ..., "reason": ...}]), else from the reason.
void describeGap(alerts::AlertItem& item, const std::string& problems_json) {
  tenants::UnknownAdvice advice;
  if (item.rule_id == "*") {
    std::string part, reason;
    try {
      Poco::JSON::Parser parser;
      auto list = parser.parse(problems_json).extract<Poco::JSON::Array::Ptr>();
      if (auto first = list->size() > 0 ? list->getObject(0) : nullptr) {
        part = first->optValue<std::string>("part", "");
        reason = first->optValue<std::string>("reason", "");
      }
    } catch (const Poco::Exception&) {
    }
    advice = tenants::adviceForPart(part, reason);  // the item's title: every check of it
  } else if (startsWith(item.reason, "rule evaluation stopped after")) {
    // rules::RuleSet::outOfStepsReason(): the rule, not the access, is the problem.
    advice = {"this check, which is too costly for this tenant's data",
              "raise rules.max_steps_per_tenant, or simplify the rule: cspwatch rules check warns "
              "about costly nesting"};
  } else {
    advice = tenants::adviceForUnknown(item.reason);
  }
  item.unchecked_what = std::move(advice.what);
  item.unchecked_fix = std::move(advice.fix);
}

std::string domainOf(const std::string& from) {
  auto a = alerts::bareAddress(from).value_or("cspwatch@localhost");
  return a.substr(a.find('@') + 1);
}

}  // namespace

Result<AlertPipeline> AlertPipeline::create(const alerts::AlertsConfig& alerts,
                                            const std::string& partner_name,
                                            std::map<std::string, RuleInfo> rule_info) {
  auto templates = alerts::MailTemplates::load(alerts.templates_dir);
  if (!templates) return Status::invalidArgument("mail templates: " + templates.status().message());
  return AlertPipeline(alerts, partner_name, std::move(rule_info), std::move(*templates));
}

Result<AlertPipeline> AlertPipeline::create(const alerts::AlertsConfig& alerts,
                                            const std::string& partner_name,
                                            const rules::RuleSet& rules) {
  std::map<std::string, RuleInfo> info;
  for (const auto& r : rules.rules())
    info[r.id] = {r.title, r.description, rules::severityName(r.severity), r.tags, r.adminWhy()};
  return create(alerts, partner_name, std::move(info));
}

alerts::AlertItem AlertPipeline::itemFor(
    const storage::FindingRow& row,
    const std::map<std::string, std::vector<std::string>>& tags) const {
  alerts::AlertItem item;
  item.finding_id = row.id;
  item.rule_id = row.rule_id;
  if (auto r = rules_.find(row.rule_id); r != rules_.end()) {
    item.rule_title = r->second.title;
    // Once per rule in the digest, in an admin's words; the description keeps the API detail.
    item.why = r->second.why.empty() ? rules::firstSentence(r->second.description) : r->second.why;
    item.rule_tags = r->second.tags;
  } else {
    item.rule_title = row.rule_id;  // a rule no longer loaded
  }
  item.severity = row.severity;
  item.tenant_id = row.tenant_id;
  item.tenant_name = row.tenant_name;
  if (auto t = tags.find(row.tenant_id); t != tags.end()) item.tenant_tags = t->second;
  // Rule text written as folded YAML ends in a line break; the templates place their own.
  item.subject = row.subject;
  item.subject_label = row.subject_label;
  item.message = std::string(trim(row.message));
  item.remediation = std::string(trim(row.remediation));
  item.first_seen = row.first_seen;
  item.times_reminded = row.times_reminded;
  item.times_reopened = row.times_reopened;
  item.resolved_at = row.resolved_at;
  item.resolved_reason = row.resolved_reason;
  return item;
}

Result<alerts::DigestInput> AlertPipeline::gather(storage::FindingStore& store,
                                                  const storage::ScanChanges& changes,
                                                  Timestamp now) {
  alerts::DigestInput in;
  in.scan_id = changes.scan_id;
  in.now = now;
  auto tags = store.tenantTags();
  if (!tags) return tags.status();
  if (Status s = addChanges(in, store, changes, *tags); !s) return s;
  if (Status s = addReminders(in, store, changes, *tags); !s) return s;
  if (Status s = addCouldNotCheck(in, store, *tags); !s) return s;
  if (Status s = addExpiring(in, store, changes, *tags); !s) return s;
  return in;
}

// The rule's title, severity and tags as the rule set says (its id when the rule is gone).
void AlertPipeline::describeRule(alerts::AlertItem& item) const {
  if (auto r = rules_.find(item.rule_id); r != rules_.end()) {
    item.rule_title = r->second.title;
    item.severity = r->second.severity;
    item.rule_tags = r->second.tags;
  } else {
    item.rule_title = item.rule_id;
  }
}

// A failed sign-in, and the findings the scan opened, reopened (suppressed ones left out) and
// resolved.
Status AlertPipeline::addChanges(alerts::DigestInput& in, storage::FindingStore& store,
                                 const storage::ScanChanges& changes, const TenantTags& tags) {
  using alerts::Section;
  if (changes.sign_in_failure) {
    // Told when it starts, then once a day while it lasts.
    auto due = store.signInAlertDue(changes.scan_id, in.now, std::chrono::hours(24));
    if (!due) return due.status();
    if (*due) in.sign_in_failure = changes.sign_in_failure;
  }
  auto add = [&](Section s, const std::vector<storage::FindingRow>& rows, bool skip_suppressed) {
    for (const auto& row : rows)
      if (!(skip_suppressed && row.suppressed))
        in.sections[static_cast<int>(s)].push_back(itemFor(row, tags));
  };
  add(Section::kNew, changes.opened, true);
  add(Section::kReopened, changes.reopened, true);
  add(Section::kResolved, changes.resolved, false);
  return Status::ok();
}

// Open findings whose next reminder is due, unless the scan just opened or reopened them.
Status AlertPipeline::addReminders(alerts::DigestInput& in, storage::FindingStore& store,
                                   const storage::ScanChanges& changes, const TenantTags& tags) {
  auto due = store.remindersDue(in.now, alerts_.reminders);
  if (!due) return due.status();
  std::set<int64_t> changed;
  for (const auto* list : {&changes.opened, &changes.reopened})
    for (const auto& r : *list) changed.insert(r.id);
  for (const auto& row : *due)
    if (!changed.count(row.id)) {
      alerts::AlertItem item = itemFor(row, tags);
      ++item.times_reminded;  // this reminder included
      in.sections[static_cast<int>(alerts::Section::kReminders)].push_back(std::move(item));
    }
  return Status::ok();
}

// Checks that could not be made for N applied scans in a row and for the minimum time since the
// streak's first scan (a tenth early still counts, as for reminders); news in the first scan
// where both hold, once per streak. Checks an active suppression covers are left out.
Status AlertPipeline::addCouldNotCheck(alerts::DigestInput& in, storage::FindingStore& store,
                                       const TenantTags& tags) {
  auto& section = in.sections[static_cast<int>(alerts::Section::kCouldNotCheck)];
  auto streaks = store.unknownStreaks(in.now);
  if (!streaks) return streaks.status();
  // The scan applied before this one (in a preview: the latest), when it was last judged.
  auto previous = store.previousScanFinished(in.scan_id == 0 ? INT64_MAX : in.scan_id);
  if (!previous) return previous.status();
  const Seconds min_time = alerts_.could_not_check_after_time * 9 / 10;
  auto reported = [&](int scans, Timestamp at, Timestamp since) {
    return scans >= alerts_.could_not_check_after_scans && at - since >= min_time;
  };
  for (const auto& u : *streaks) {
    if (u.suppressed_by != 0 || !reported(u.scans, in.now, u.since)) continue;
    alerts::AlertItem item;
    item.rule_id = u.rule_id;
    item.tenant_id = u.tenant_id;
    item.tenant_name = u.tenant_name;
    if (auto t = tags.find(u.tenant_id); t != tags.end()) item.tenant_tags = t->second;
    describeRule(item);
    item.since = u.since;
    item.scans_in_a_row = u.scans;
    item.newsworthy = !(*previous && reported(u.scans - 1, **previous, u.since));
    if (u.rule_id == "*") {
      item.reason = "the tenant could not be read: " + problemsText(u.reason);
      describeGap(item, u.reason);
      section.push_back(std::move(item));
      continue;
    }
    // One item per reason: each contact that could not be read, say, is its own line, and
    // tenants missing the same permission group together in the digest.
    for (const auto& line : split(u.reason, '\n')) {
      if (line.empty()) continue;
      alerts::AlertItem one = item;
      one.reason = line;
      describeGap(one, "");
      section.push_back(std::move(one));
    }
  }
  return Status::ok();
}

// Suppressions expiring within the notice period; news when one entered it since the previous
// applied scan (or, with none before, now).
Status AlertPipeline::addExpiring(alerts::DigestInput& in, storage::FindingStore& store,
                                  const storage::ScanChanges& changes, const TenantTags& tags) {
  const Timestamp now = in.now;
  // The scan being applied has no finish time yet in preview; a later one is never "before".
  auto previous = store.previousScanFinished(changes.scan_id == 0 ? INT64_MAX : changes.scan_id);
  if (!previous) return previous.status();
  auto names = store.tenantNames();
  if (!names) return names.status();
  auto sups = store.listSuppressions(false, now);
  if (!sups) return sups.status();
  for (const auto& s : *sups) {
    if (s.expires_at > now + alerts_.suppression_notice) continue;
    alerts::AlertItem item;
    item.rule_id = s.rule_id;
    describeRule(item);
    item.tenant_id = s.tenant_id.value_or("");
    if (auto t = tags.find(item.tenant_id); t != tags.end()) item.tenant_tags = t->second;
    item.tenant_name = item.tenant_id;
    if (auto n = names->find(item.tenant_id); n != names->end()) item.tenant_name = n->second;
    item.subject = s.subject.value_or("");
    item.reason = s.reason;
    item.owner = s.owner;
    item.expires_at = s.expires_at;
    // News once: in the first scan after it entered the notice window, or was created in it.
    const Timestamp enters = std::max(s.expires_at - alerts_.suppression_notice, s.created_at);
    item.newsworthy = !*previous || enters > **previous;
    in.sections[static_cast<int>(alerts::Section::kExpiring)].push_back(std::move(item));
  }
  return Status::ok();
}

std::vector<alerts::RecipientMessage> AlertPipeline::route(const alerts::DigestInput& in) const {
  alerts::AlertPolicy policy;
  policy.routes = alerts_.routes;
  policy.immediate_severities = alerts_.immediate_severities;
  return alerts::routeScan(in, policy);
}

alerts::RenderedBody AlertPipeline::renderBody(const alerts::RecipientMessage& m,
                                               const alerts::DigestInput& in) const {
  alerts::MailContext ctx;
  ctx.partner_name = partner_name_;
  ctx.subject = alerts::subjectFor(m);
  ctx.scan_id = in.scan_id;
  ctx.now = in.now;
  ctx.could_not_check_after = alerts_.could_not_check_after_scans;
  ctx.max_items_per_section = static_cast<size_t>(alerts_.max_items_per_section);
  if (m.kind == "test")
    ctx.intro =
        "This is a test message from cspwatch. If you can read it, alerts reach this address.";
  if (m.kind == "signin")
    ctx.intro =
        "cspwatch cannot sign in to Partner Center as " + partner_name_ +
        "'s partner user. Until someone signs in again, every check that needs App+User access "
        "(the customers' partner lists and organizations through GDAP, indirect relationships) "
        "could not be checked, in every tenant: their state is unknown, not fine.\n\nWhy: " +
        m.reason +
        "\n\nFix: on the cspwatch host, as the service user, run 'cspwatch auth login' and sign "
        "in with MFA as the partner user (docs/operations.md#first-run). The next scan reads "
        "everything again. This message repeats once a day while sign-in fails.";
  return templates_.render(m, ctx);
}

Result<storage::OutboxMessage> AlertPipeline::finish(const alerts::RecipientMessage& m,
                                                     const alerts::DigestInput& in) const {
  alerts::MailMessage mail;
  mail.from = alerts_.from;
  mail.to = {m.recipient};
  mail.subject = alerts::subjectFor(m);
  alerts::RenderedBody body = renderBody(m, in);
  mail.text = std::move(body.text);
  mail.html = std::move(body.html);
  mail.date = in.now;
  // Stable: the same scan, applied at the same time, for the same recipient gives the same id;
  // the time keeps ids unique if the database is ever recreated and scan ids start again.
  mail.message_id =
      alerts::stableMessageId(m.kind + "/" + std::to_string(in.scan_id) + "/" +
                                  std::to_string(toUnixSeconds(in.now)) + "/" + m.recipient,
                              domainOf(alerts_.from));
  auto text = alerts::renderMessage(mail);
  if (!text) return text.status();
  storage::OutboxMessage out;
  out.message_id = mail.message_id;
  out.kind = m.kind;
  out.recipients = m.recipient;
  out.subject = mail.subject;
  out.body = std::move(*text);
  if (in.scan_id != 0) out.scan_id = in.scan_id;
  out.created_at = in.now;
  out.next_attempt_at = in.now;
  out.finding_ids = findingsOf(m);  // the notification history (storage/notifications.h)
  return out;
}

Result<std::vector<storage::OutboxMessage>> AlertPipeline::render(const alerts::DigestInput& in) {
  std::vector<storage::OutboxMessage> out;
  for (const auto& m : route(in)) {
    auto msg = finish(m, in);
    if (!msg) return msg.status();
    out.push_back(std::move(*msg));
  }
  return out;
}

Result<ScanAlerts> AlertPipeline::compose(storage::FindingStore& store,
                                          const storage::ScanChanges& changes, Timestamp now) {
  auto in = gather(store, changes, now);
  if (!in) return in.status();
  auto messages = render(*in);
  if (!messages) return messages.status();
  ScanAlerts out;
  out.messages = std::move(*messages);
  // Webhook events and Teams cards, queued with the mail (scan/alert_outputs.h).
  for (auto& m : composeOutputs(*in, alerts_.routes, {partner_name_, partner_tenant_id_}))
    out.messages.push_back(std::move(m));
  // A reminder counts as given when it reached someone; one no route took stays due.
  std::set<int64_t> reached;
  for (const auto& m : route(*in))
    for (const auto& item : m.sections[static_cast<int>(alerts::Section::kReminders)])
      reached.insert(item.finding_id);
  out.reminded.assign(reached.begin(), reached.end());
  return out;
}

Result<storage::OutboxMessage> AlertPipeline::testMessage(const std::string& to, Timestamp now) {
  if (!alerts::isMailAddress(to))
    return Status::invalidArgument("not an email address: '" + alerts::headerSafe(to) + "'");
  alerts::RecipientMessage m;
  m.kind = "test";
  m.recipient = to;
  alerts::DigestInput in;
  in.now = now;
  return finish(m, in);
}

}  // namespace cspwatch::scan
