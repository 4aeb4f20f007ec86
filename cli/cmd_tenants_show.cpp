// SPDX-License-Identifier: Apache-2.0
// `cspwatch tenants show ID|NAME|DOMAIN`: one tenant as the sources give it now (a live read,
// as `tenants list`), with what the database holds of it: its open findings, its could-not-check
// items and the last scan. The database is only read, never created.
#include <algorithm>
#include <memory>
#include <set>

#include <CLI/CLI.hpp>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "cli/finding_output.h"
#include "cli/partner_account.h"
#include "cli/table.h"
#include "common/clock.h"
#include "common/text.h"
#include "config/app_config.h"
#include "daemon/scan_setup.h"
#include "scan/scan_runner.h"
#include "tenants/tenant_json.h"
#include "tenants/unknown_advice.h"

namespace cspwatch::cli {
namespace {

// What the database knows of one tenant.
struct Stored {
  bool exists = false;  // a database file is there
  std::vector<storage::FindingRow> findings;
  std::vector<storage::UnknownStreak> unknowns;
  std::optional<storage::ScanRow> last_scan;  // the latest applied scan
};

// The store's side, read without creating the database. Problems go to ctx.err.
Result<Stored> readStored(const config::AppConfig& cfg, const std::string& tenant_id) {
  Stored s;
  auto store = config::openStoreReadOnly(cfg);
  if (!store && store.status().code() == Status::Code::kNotFound) return s;  // no scan yet
  if (!store) return store.status();
  s.exists = true;
  storage::FindingFilter filter;
  filter.tenant = tenant_id;
  auto findings = store->listFindings(filter, SystemClock().now());
  if (!findings) return findings.status();
  s.findings = std::move(*findings);
  auto streaks = store->unknownStreaks();
  if (!streaks) return streaks.status();
  for (auto& u : *streaks)
    if (u.tenant_id == tenant_id) s.unknowns.push_back(std::move(u));
  auto scans = store->listScans(50);
  if (!scans) return scans.status();
  for (const auto& row : *scans)
    if (storage::scanApplied(row.status)) {
      s.last_scan = row;
      break;
    }
  return s;
}

bool matches(const tenants::Tenant& t, const std::string& wanted) {
  const std::string w = toLowerAscii(wanted);
  if (toLowerAscii(t.id) == w || toLowerAscii(t.name) == w || toLowerAscii(t.default_domain) == w)
    return true;
  if (t.verified_domains)
    for (const auto& d : *t.verified_domains)
      if (toLowerAscii(d) == w) return true;
  return false;
}

std::string when(const std::optional<Timestamp>& t) { return t ? formatTimestamp(*t) : "-"; }

std::string relationshipLine(const tenants::AdminRelationship& r) {
  std::string line = r.kind + " " + r.display_name + " (" + r.id + "), " + r.status + ", partner " +
                     r.partner_tenant_id + ", ends " + when(r.end_at) + ", auto-extend " +
                     r.auto_extend_duration.value_or("-");
  if (!r.role_definition_ids.empty()) line += ", roles " + join(r.role_definition_ids, " ");
  return line;
}

void printTenant(std::ostream& out, const tenants::Tenant& t) {
  auto line = [&](const std::string& key, const std::string& value) {
    out << key << std::string(key.size() < 20 ? 20 - key.size() : 1, ' ')
        << showInvisible(printable(value)) << "\n";
  };
  auto unknown = [](const auto& known, const std::string& text) {
    return known ? text : std::string("unknown (could not be read)");
  };
  line("tenant", t.name);
  line("id", t.id);
  line("default domain", t.default_domain);
  line("verified domains",
       unknown(t.verified_domains, t.verified_domains ? join(*t.verified_domains, ", ") : ""));
  line("tags", t.tags.empty() ? "-" : join(t.tags, ", "));
  line("sources", join(t.sources, ", "));
  line("in customer list",
       unknown(t.in_customer_list, t.in_customer_list && *t.in_customer_list ? "yes" : "no"));
  line("relationship", t.relationship_to_partner.value_or("-"));
  line("dap enabled", unknown(t.dap_enabled, t.dap_enabled && *t.dap_enabled ? "yes" : "no"));
  line("onboarded", when(t.onboarded_at));
  if (!t.partners) line("partners", "unknown (could not be read)");
  for (const auto& p : t.partners.value_or(std::vector<tenants::CustomerPartner>{}))
    line("partner", p.name.value_or(p.tenant_id) + " (" + p.default_domain.value_or("-") + ", " +
                        p.tenant_id + ")" + (p.is_service_provider ? ", CSP" : ""));
  if (!t.indirect_relationships) line("indirect", "unknown (could not be read)");
  for (const auto& r :
       t.indirect_relationships.value_or(std::vector<tenants::IndirectRelationship>{}))
    line("indirect", r.name + " (" + r.tenant_id + "), " + r.type);
  if (!t.admin_relationships) line("admin relationships", "unknown (could not be read)");
  for (const auto& r : t.admin_relationships.value_or(std::vector<tenants::AdminRelationship>{}))
    line("admin relationship", relationshipLine(r));
  if (!t.contacts) line("contacts", "unknown (could not be read)");
  for (const auto& c : t.contacts.value_or(std::vector<tenants::ContactEmail>{}))
    line("contact", c.purpose + ": " + (c.unread ? "unread (" + *c.unread + ")" : c.address) +
                        " [" + c.source + "]");
  for (const auto& p : t.fetch_problems) line("not read", p.part + ": " + p.reason);
}

void printStored(std::ostream& out, const config::AppConfig& cfg, const Stored& s) {
  if (!s.exists) {
    out << "\nno scan yet: " << config::storeDescription(cfg)
        << " holds none (run 'cspwatch scan --once' or start the service)\n";
    return;
  }
  out << "\nlast scan           "
      << (s.last_scan
              ? "#" + std::to_string(s.last_scan->id) + " at " + when(s.last_scan->finished_at)
              : std::string("none yet"))
      << "\n\nopen findings: " << s.findings.size() << "\n";
  if (!s.findings.empty()) {
    Table table({{"ID", false, 4},
                 {"RULE", true, 8, 2},
                 {"SEVERITY", false, 8},
                 {"SUBJECT", true, 10, 1},
                 {"SINCE", false, 10}});
    for (const auto& f : s.findings)
      table.addRow(
          {std::to_string(f.id), f.rule_id, f.severity + (f.suppressed ? " (s)" : ""),
           f.subject_label.empty() ? (f.subject.empty() ? "-" : f.subject) : f.subject_label,
           formatDate(f.first_seen)});
    table.print(out);
  }
  out << "\ncould not be checked: " << s.unknowns.size() << "\n";
  for (const auto& u : s.unknowns) {
    const tenants::UnknownAdvice advice = tenants::adviceForUnknown(u.reason);
    out << "  " << (u.rule_id == "*" ? "the whole tenant" : u.rule_id) << ": " << advice.what
        << " (since " << formatDate(u.since) << ")\n    fix: " << advice.fix << "\n";
  }
}

Poco::JSON::Object::Ptr storedToJson(const config::AppConfig& cfg, const Stored& s) {
  auto doc = jsonObject();
  doc->set("database", config::storeDescription(cfg));
  doc->set("scanned", s.exists && s.last_scan.has_value());
  if (s.last_scan && s.last_scan->finished_at)
    doc->set("last_scan_at", formatTimestamp(*s.last_scan->finished_at));
  Poco::JSON::Array::Ptr findings = new Poco::JSON::Array();
  for (const auto& f : s.findings) findings->add(findingToJson(f));
  doc->set("findings", findings);
  Poco::JSON::Array::Ptr unknowns = new Poco::JSON::Array();
  for (const auto& u : s.unknowns) {
    const tenants::UnknownAdvice advice = tenants::adviceForUnknown(u.reason);
    auto item = jsonObject();
    item->set("rule", u.rule_id);
    item->set("what", advice.what);
    item->set("since", formatTimestamp(u.since));
    item->set("scans", u.scans);
    item->set("fix", advice.fix);
    unknowns->add(item);
  }
  doc->set("could_not_check", unknowns);
  return doc;
}

// Exit 2 with the candidates (ambiguous) or the nearest name (no match).
int notOne(const CommandContext& ctx, const std::string& wanted,
           const std::vector<tenants::Tenant>& found, const std::vector<std::string>& known) {
  if (found.empty()) {
    ctx.err << "cspwatch: no tenant has the id, name or domain '" << printable(wanted) << "'";
    const std::string hint = didYouMean(wanted, known);
    ctx.err << (hint.empty() ? "; 'cspwatch tenants list' lists them" : "; " + hint) << "\n";
    return kExitUsage;
  }
  ctx.err << "cspwatch: '" << printable(wanted) << "' names " << found.size()
          << " tenants; give one's id:\n";
  for (const auto& t : found)
    ctx.err << "  " << t.id << "  " << showInvisible(printable(t.name)) << "  " << t.default_domain
            << "\n";
  return kExitUsage;
}

}  // namespace

int tenantsShow(const CommandContext& ctx, const std::string& wanted, OutputFormat format) {
  auto cfg = loadAccount(ctx);
  if (!cfg) return kExitUsage;
  // The live read: only the tenant asked for when the lists name it (its parts alone are read),
  // else every tenant goes past, which also gives the nearest names for a typo.
  std::vector<tenants::Tenant> found;
  std::vector<std::string> known;
  auto report = scan::readTenants(
      daemon::scanSources(*cfg),
      [&](const tenants::Tenant& t) {
        if (matches(t, wanted))
          found.push_back(t);
        else
          known.insert(known.end(), {t.name, t.default_domain});
        return Status::ok();
      },
      nullptr, {}, nullptr, tenants::FetchPlan::everything(),
      [&wanted](const tenants::Tenant& t) { return matches(t, wanted); });
  if (!report) {
    ctx.err << "cspwatch: " << report.status().message() << "\n";
    return report.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitProblems;
  }
  ctx.err << report->diagnostics.renderText();
  if (found.size() != 1) return notOne(ctx, wanted, found, known);
  const tenants::Tenant& t = found.front();
  auto stored = readStored(*cfg, t.id);
  if (!stored) {
    ctx.err << "cspwatch: " << stored.status().message() << "\n";
    return kExitProblems;
  }
  if (format == OutputFormat::kJson) {
    auto doc = jsonObject();
    doc->set("schema_version", 1);
    doc->set("read", "live");  // the tenant as the sources give it now
    doc->set("tenant", tenants::tenantToJson(t));
    doc->set("stored", storedToJson(*cfg, *stored));
    ctx.out << tenants::jsonText(doc, true) << "\n";
  } else {
    ctx.out << "(read live from the sources now; findings from the database)\n";
    printTenant(ctx.out, t);
    printStored(ctx.out, *cfg, *stored);
  }
  return kExitOk;
}

void registerTenantsShow(CLI::App& tenants, CommandRegistry& registry) {
  CLI::App* show = tenants.add_subcommand(
      "show",
      "One tenant by id, name or domain: every part the sources give now (a live read), its "
      "open findings and could-not-check items");
  auto wanted = std::make_shared<std::string>();
  show->add_option("tenant", *wanted, "Tenant id, name or domain (any case)")->required();
  auto format = std::make_shared<OutputFormat>(OutputFormat::kTable);
  addFormatOption(*show, *format, FormatChoices::kTableJson, "Output format: table or json");
  registry.add(show, [wanted, format](const CommandContext& ctx) {
    return tenantsShow(ctx, *wanted, *format);
  });
}

}  // namespace cspwatch::cli
