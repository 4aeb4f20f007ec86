// SPDX-License-Identifier: Apache-2.0
#include "alerts/teams_card.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <vector>

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/SHA2Engine.h>

#include "alerts/json_util.h"
#include "alerts/links.h"
#include "alerts/text_util.h"

namespace cspwatch::alerts {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string compact(const Poco::Dynamic::Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(v, out, Poco::JSON_WRAP_STRINGS);
  return out.str();
}

// Text from tenants and servers, shown as written: the characters Teams' markdown gives a
// meaning (emphasis, links, code, headings, quotes) are backslash-escaped, and line breaks
// become spaces, so that a tenant named "[x](https://evil)" is not a link.
std::string escapeMarkdown(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\t') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\*_`[]<>#~|").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// escapeMarkdown(), with each https:// URL made a link an admin can tap.
std::string linkify(std::string_view s) {
  std::string out;
  size_t at = 0;
  while (at < s.size()) {
    const size_t url = s.find("https://", at);
    if (url == std::string_view::npos) break;
    size_t end = url;
    while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end])) && s[end] != '"' &&
           s[end] != '<' && s[end] != '>')
      ++end;
    while (end > url && std::string_view(".,;:)'").find(s[end - 1]) != std::string_view::npos)
      --end;  // sentence punctuation after a URL is not part of it
    out += escapeMarkdown(s.substr(at, url - at));
    std::string target(s.substr(url, end - url));
    std::string href;
    for (char c : target)
      href += c == ')' ? std::string("%29") : c == '(' ? "%28" : std::string(1, c);
    out += "[" + escapeMarkdown(target) + "](" + href + ")";
    at = end;
  }
  return out + escapeMarkdown(s.substr(std::min(at, s.size())));
}

Object::Ptr textBlock(const std::string& text) {
  Object::Ptr t = object();
  t->set("type", "TextBlock");
  t->set("text", text);
  t->set("wrap", true);
  return t;
}

Object::Ptr subtle(Object::Ptr block) {
  block->set("isSubtle", true);
  block->set("spacing", "None");
  return block;
}

Object::Ptr heading(const std::string& text) {
  Object::Ptr t = textBlock(text);
  t->set("weight", "Bolder");
  t->set("separator", true);
  return t;
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

const std::vector<AlertItem>& section(const RecipientMessage& m, Section s) {
  return m.sections[static_cast<int>(s)];
}

// The findings to act on (new, reopened, reminders), grouped by rule, most severe rule first;
// within a group, in the digest's order.
struct Group {
  std::string title, severity;
  std::vector<std::pair<const AlertItem*, const char*>> items;  // with "new", "reopened", ...
};

std::vector<Group> groupsToActOn(const RecipientMessage& m) {
  std::vector<Group> groups;
  std::vector<std::string> ids;
  const std::pair<Section, const char*> kinds[] = {
      {Section::kNew, "new"}, {Section::kReopened, "reopened"}, {Section::kReminders, "reminder"}};
  for (const auto& [s, label] : kinds)
    for (const auto& item : section(m, s)) {
      auto it = std::find(ids.begin(), ids.end(), item.rule_id);
      if (it == ids.end()) {
        ids.push_back(item.rule_id);
        groups.push_back({item.rule_title, item.severity, {}});
        it = ids.end() - 1;
      }
      groups[static_cast<size_t>(it - ids.begin())].items.push_back({&item, label});
    }
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    return severityRank(a.severity) < severityRank(b.severity);
  });
  return groups;
}

std::string tenantOf(const AlertItem& item) {
  return item.tenant_name.empty() ? item.tenant_id : item.tenant_name;
}

size_t tenantsAffected(const RecipientMessage& m) {
  std::set<std::string> tenants;
  for (Section s :
       {Section::kNew, Section::kReopened, Section::kReminders, Section::kCouldNotCheck})
    for (const auto& item : section(m, s))
      if (!item.tenant_id.empty()) tenants.insert(item.tenant_id);
  return tenants.size();
}

Object::Ptr summaryFacts(const RecipientMessage& m) {
  Array::Ptr facts = new Array();
  auto fact = [&](const std::string& title, size_t n) {
    if (n == 0) return;
    Object::Ptr f = object();
    f->set("title", title);
    f->set("value", std::to_string(n));
    facts->add(f);
  };
  fact("New", section(m, Section::kNew).size());
  fact("Reopened", section(m, Section::kReopened).size());
  fact("Reminders", section(m, Section::kReminders).size());
  fact("Resolved", section(m, Section::kResolved).size());
  fact("Could not be checked", section(m, Section::kCouldNotCheck).size());
  fact("Suppressions expiring", section(m, Section::kExpiring).size());
  fact("Tenants affected", tenantsAffected(m));
  Object::Ptr set = object();
  set->set("type", "FactSet");
  set->set("facts", facts);
  return set;
}

// The card's body, block by block, within a byte budget: a block that would not fit is left
// out (and counted by the caller).
class Body {
 public:
  explicit Body(size_t budget) : budget_(budget), blocks_(new Array()) {}
  bool fits(const std::vector<Object::Ptr>& blocks) const {
    size_t n = used_;
    for (const auto& b : blocks) n += compact(b).size() + 1;  // and its comma
    return n <= budget_;
  }
  void add(const Object::Ptr& block) {
    used_ += compact(block).size() + 1;
    blocks_->add(block);
  }
  bool addIfFits(const std::vector<Object::Ptr>& blocks) {
    if (!fits(blocks)) return false;
    for (const auto& b : blocks) add(b);
    return true;
  }
  Array::Ptr blocks() const { return blocks_; }

 private:
  size_t budget_, used_ = 0;
  Array::Ptr blocks_;
};

// "**Tenant** (new) · subject: what is wrong · [admin center](...) · [Partner Center](...)".
std::vector<Object::Ptr> itemBlocks(const AlertItem& item, const char* label) {
  std::string what = "**" + escapeMarkdown(tenantOf(item)) + "** (" + label + ")";
  const std::string& subject = item.subject_label.empty() ? item.subject : item.subject_label;
  if (!subject.empty()) what += " · " + escapeMarkdown(subject);
  what += ": " + linkify(item.message);
  if (isTenantGuid(item.tenant_id))
    what += " · [admin center](" + adminCenterUrl(item.tenant_id) + ") · [Partner Center](" +
            partnerCenterUrl(item.tenant_id) + ")";
  std::vector<Object::Ptr> out = {textBlock(what)};
  if (!item.remediation.empty())
    out.push_back(subtle(textBlock("Fix: " + linkify(item.remediation))));
  return out;
}

// The findings and resolutions that fit in `body`; returns how many did not.
size_t addItems(Body& body, const RecipientMessage& m) {
  size_t left_out = 0;
  bool full = false;
  for (const Group& g : groupsToActOn(m)) {
    bool headed = false;
    for (const auto& [item, label] : g.items) {
      std::vector<Object::Ptr> blocks = itemBlocks(*item, label);
      if (!headed)
        blocks.insert(blocks.begin(), heading(upper(g.severity) + " · " + escapeMarkdown(g.title) +
                                              " (" + std::to_string(g.items.size()) + ")"));
      if (full || !body.addIfFits(blocks)) {
        full = true;
        ++left_out;
        continue;
      }
      headed = true;
    }
  }
  bool headed = false;
  for (const auto& item : section(m, Section::kResolved)) {
    std::vector<Object::Ptr> blocks = {
        subtle(textBlock(escapeMarkdown(tenantOf(item)) + ": " + escapeMarkdown(item.rule_title)))};
    if (!headed) blocks.insert(blocks.begin(), heading("Resolved"));
    if (full || !body.addIfFits(blocks)) {
      full = true;
      ++left_out;
      continue;
    }
    headed = true;
  }
  return left_out;
}

std::string moreText(size_t n) {
  return "… and " + std::to_string(n) + " more: the email digest lists them, and `cspwatch " +
         "findings list` on the cspwatch host.";
}

Object::Ptr couldNotCheckBlock(const RecipientMessage& m) {
  size_t tenants = 0;
  for (const auto& item : section(m, Section::kCouldNotCheck))
    tenants += std::max<size_t>(1, item.group_tenants.size());
  const size_t n = section(m, Section::kCouldNotCheck).size();
  return heading(std::to_string(n) + (n == 1 ? " check" : " checks") + " could not be made (" +
                 std::to_string(tenants) + (tenants == 1 ? " tenant" : " tenants") +
                 "): their state is unknown, not fine. The email digest says which permission, "
                 "role or access would let cspwatch check each.");
}

}  // namespace

std::string teamsCardTitle(const RecipientMessage& m) {
  std::vector<std::string> parts;
  auto count = [&](Section s, const char* what) {
    if (size_t n = section(m, s).size()) parts.push_back(std::to_string(n) + " " + what);
  };
  count(Section::kNew, "new");
  count(Section::kReopened, "reopened");
  count(Section::kReminders,
        section(m, Section::kReminders).size() == 1 ? "reminder" : "reminders");
  count(Section::kResolved, "resolved");
  count(Section::kCouldNotCheck, "could not be checked");
  count(Section::kExpiring, "suppression(s) expiring");
  std::string title = "cspwatch";
  for (size_t i = 0; i < parts.size(); ++i) title += (i == 0 ? ": " : ", ") + parts[i];
  return title;
}

std::string teamsCardId(const TeamsCardContext& ctx, const std::string& target) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update("teams\n" + std::to_string(ctx.scan_id) + "\n" +
             std::to_string(toUnixSeconds(ctx.now)) + "\n" + target);
  return "card_" + Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 32);
}

std::string teamsCardJson(const RecipientMessage& m, const TeamsCardContext& ctx) {
  const std::string title = teamsCardTitle(m);
  Object::Ptr card = object();
  card->set("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
  card->set("type", "AdaptiveCard");
  card->set("version", kTeamsCardVersion);
  card->set("fallbackText", title);
  Object::Ptr msteams = object();
  msteams->set("width", "Full");
  card->set("msteams", msteams);
  card->set("body", Array::Ptr(new Array()));
  Object::Ptr attachment = object();
  attachment->set("contentType", "application/vnd.microsoft.card.adaptive");
  attachment->set("contentUrl", Poco::Dynamic::Var());
  attachment->set("content", card);
  Array::Ptr attachments = new Array();
  attachments->add(attachment);
  Object::Ptr message = object();
  message->set("type", "message");
  message->set("attachments", attachments);

  // What is not the item list: the envelope, the header and the footer at their largest.
  Object::Ptr big_title = textBlock(escapeMarkdown(title));
  big_title->set("size", "Large");
  big_title->set("weight", "Bolder");
  Object::Ptr who =
      subtle(textBlock(escapeMarkdown(ctx.partner_name) + " · scan " + std::to_string(ctx.scan_id) +
                       " · " + formatTimestamp(ctx.now)));
  const bool unknown = !section(m, Section::kCouldNotCheck).empty();
  std::vector<Object::Ptr> header = {big_title, who, summaryFacts(m)};
  std::vector<Object::Ptr> footer = {subtle(textBlock(moreText(99999999)))};
  if (unknown) footer.push_back(couldNotCheckBlock(m));
  size_t fixed = compact(message).size();
  for (const auto& b : header) fixed += compact(b).size() + 1;
  for (const auto& b : footer) fixed += compact(b).size() + 1;
  Body body(kTeamsCardBudget > fixed ? kTeamsCardBudget - fixed : 0);
  const size_t left_out = addItems(body, m);

  Array::Ptr blocks = new Array();
  for (const auto& b : header) blocks->add(b);
  for (size_t i = 0; i < body.blocks()->size(); ++i) blocks->add(body.blocks()->get(i));
  if (left_out > 0) blocks->add(subtle(textBlock(moreText(left_out))));
  if (unknown) blocks->add(couldNotCheckBlock(m));
  card->set("body", blocks);
  return compact(message);
}

}  // namespace cspwatch::alerts
