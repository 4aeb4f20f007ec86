// SPDX-License-Identifier: Apache-2.0
#include "scan/alert_outputs.h"

#include <algorithm>

#include "alerts/teams_card.h"
#include "alerts/webhook_event.h"

namespace cspwatch::scan {

namespace {

using alerts::Section;

bool wants(const alerts::Route& r, Section s) {
  return std::find(r.sections.begin(), r.sections.end(), s) != r.sections.end();
}

std::string tenantOf(const alerts::AlertItem& item) {
  return item.tenant_name.empty() ? item.tenant_id : item.tenant_name;
}

// "<rule title> on <tenant>": what `alerts outbox` shows of an event, beside its kind.
std::string eventSubject(const alerts::AlertItem& item) {
  const std::string what = item.rule_id == "*" ? std::string("the whole tenant") : item.rule_title;
  return what + " on " + tenantOf(item);
}

storage::OutboxMessage row(const std::string& channel, const std::string& target,
                           const std::string& url, const alerts::DigestInput& in) {
  storage::OutboxMessage m;
  m.channel = channel;
  m.target = target;
  m.recipients = alerts::urlForDisplay(url);
  if (in.scan_id != 0) m.scan_id = in.scan_id;
  m.created_at = in.now;
  m.next_attempt_at = in.now;
  return m;
}

// One event per item a webhook route takes, in section order, then per webhook.
void addEvents(std::vector<storage::OutboxMessage>& out, const alerts::DigestInput& in,
               const std::vector<alerts::Route>& routes, const OutputContext& ctx) {
  const alerts::EventContext event_ctx{ctx.partner_name, ctx.partner_tenant_id, in.scan_id, in.now};
  for (Section s : alerts::allSections()) {
    const char* event = alerts::webhookEventName(s);
    if (event == nullptr) continue;
    for (const auto& item : in.sections[static_cast<int>(s)]) {
      // A check still unknown is news once, when its streak reaches the threshold.
      if (!item.newsworthy) continue;
      for (size_t r : routesTaking(routes, s, item)) {
        const alerts::Route& route = routes[r];
        for (size_t i = 0; i < route.webhooks.size(); ++i) {
          const std::string target = alerts::outputTarget(alerts::kChannelWebhook, route.name, i);
          storage::OutboxMessage m =
              row(alerts::kChannelWebhook, target, route.webhooks[i].url, in);
          m.message_id = alerts::webhookEventId(event, item, event_ctx, target);
          m.kind = event;
          m.subject = eventSubject(item);
          m.body = alerts::webhookEventJson(event, m.message_id, item, event_ctx);
          if (item.finding_id != 0) m.finding_ids = {item.finding_id};
          out.push_back(std::move(m));
        }
      }
    }
  }
}

// What `route` takes of the scan, as one digest (could-not-check grouped as mail groups it).
alerts::RecipientMessage digestFor(const alerts::DigestInput& in,
                                   const std::vector<alerts::Route>& routes, size_t route) {
  alerts::RecipientMessage d;
  d.kind = "digest";
  d.recipient = routes[route].name;
  for (Section s : alerts::allSections())
    for (const auto& item : in.sections[static_cast<int>(s)]) {
      auto taking = routesTaking(routes, s, item);
      if (std::find(taking.begin(), taking.end(), route) != taking.end())
        d.sections[static_cast<int>(s)].push_back(item);
    }
  auto& unknown = d.sections[static_cast<int>(Section::kCouldNotCheck)];
  unknown = alerts::groupCouldNotCheck(unknown);
  return d;
}

bool newsworthy(const alerts::RecipientMessage& d) {
  for (const auto& section : d.sections)
    for (const auto& item : section)
      if (item.newsworthy) return true;
  return false;
}

void addCards(std::vector<storage::OutboxMessage>& out, const alerts::DigestInput& in,
              const std::vector<alerts::Route>& routes, const OutputContext& ctx) {
  const alerts::TeamsCardContext card_ctx{ctx.partner_name, in.scan_id, in.now};
  for (size_t r = 0; r < routes.size(); ++r) {
    if (routes[r].teams.empty()) continue;
    const alerts::RecipientMessage digest = digestFor(in, routes, r);
    if (!newsworthy(digest)) continue;
    const std::string body = alerts::teamsCardJson(digest, card_ctx);
    std::vector<int64_t> findings;
    for (const auto& section : digest.sections)
      for (const auto& item : section)
        if (item.finding_id != 0) findings.push_back(item.finding_id);
    std::sort(findings.begin(), findings.end());
    findings.erase(std::unique(findings.begin(), findings.end()), findings.end());
    for (size_t i = 0; i < routes[r].teams.size(); ++i) {
      const std::string target = alerts::outputTarget(alerts::kChannelTeams, routes[r].name, i);
      storage::OutboxMessage m = row(alerts::kChannelTeams, target, routes[r].teams[i].url, in);
      m.message_id = alerts::teamsCardId(card_ctx, target);
      m.kind = "digest";
      m.subject = alerts::teamsCardTitle(digest);
      m.body = body;
      m.finding_ids = findings;
      out.push_back(std::move(m));
    }
  }
}

}  // namespace

std::vector<size_t> routesTaking(const std::vector<alerts::Route>& routes, Section section,
                                 const alerts::AlertItem& item) {
  std::vector<size_t> taking;
  for (size_t i = 0; i < routes.size(); ++i)
    if (!routes[i].is_default && wants(routes[i], section) && alerts::routeMatches(routes[i], item))
      taking.push_back(i);
  if (!taking.empty()) return taking;
  for (size_t i = 0; i < routes.size(); ++i)
    if (routes[i].is_default && wants(routes[i], section) && alerts::routeMatches(routes[i], item))
      taking.push_back(i);
  return taking;
}

std::vector<storage::OutboxMessage> composeOutputs(const alerts::DigestInput& in,
                                                   const std::vector<alerts::Route>& routes,
                                                   const OutputContext& ctx) {
  std::vector<storage::OutboxMessage> out;
  addEvents(out, in, routes, ctx);
  addCards(out, in, routes, ctx);
  return out;
}

}  // namespace cspwatch::scan
