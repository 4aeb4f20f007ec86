// SPDX-License-Identifier: Apache-2.0
// `cspwatch alerts preview|test|outbox|send` (docs/alerts.md).
#include <memory>

#include <CLI/CLI.hpp>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "cli/partner_account.h"
#include "cli/store_options.h"
#include "cli/table.h"
#include "cli/usage_hints.h"
#include "common/clock.h"
#include "common/text.h"
#include "config/make_transport.h"
#include "config/rule_files.h"
#include "daemon/scan_setup.h"
#include "scan/alert_pipeline.h"
#include "scan/outbox_sender.h"
#include "storage/states.h"
#include "tenants/tenant_json.h"

namespace cspwatch::cli {

namespace {

// The pipeline with the configured rule set's titles and descriptions; without them (rule files
// that do not load) findings are described by their rule ids, with a warning.
std::optional<scan::AlertPipeline> pipelineFor(const CommandContext& ctx,
                                               const config::AppConfig& cfg, int& exit_code) {
  if (!cfg.alerts) {
    ctx.err << "cspwatch: " << cfg.file << " has no 'alerts' section; see docs/alerts.md\n";
    exit_code = kExitUsage;
    return std::nullopt;
  }
  rules::LoadResult loaded = config::loadRuleFiles(cfg.rule_paths);
  if (!loaded.ok())
    ctx.err << "cspwatch: warning: the rule files have errors (cspwatch rules check); findings "
               "are described by rule id only\n";
  Result<scan::AlertPipeline> p =
      loaded.ok() ? daemon::alertPipeline(cfg, *loaded.rules)
                  : daemon::alertPipeline(cfg, std::map<std::string, scan::RuleInfo>{});
  if (!p) {
    exit_code = fail(ctx, p.status());
    return std::nullopt;
  }
  return std::move(*p);
}

Result<std::unique_ptr<alerts::Transport>> transportFor(const CommandContext& ctx,
                                                        const config::AppConfig& cfg) {
  auto t = config::makeTransport(cfg);
  if (!t)
    ctx.err << "cspwatch: cannot set up the '" << alerts::transportName(cfg.alerts->transport)
            << "' transport\n";
  return t;
}

// --now's time into `into`; "" leaves it empty. False, after saying why, if it is not one.
bool readNow(const CommandContext& ctx, const std::string& text, std::optional<Timestamp>& into) {
  if (text.empty()) return true;
  into = parseTimestamp(text);
  if (!into) ctx.err << "cspwatch: --now must be an RFC 3339 time, found '" << text << "'\n";
  return into.has_value();
}

}  // namespace

int alertsPreview(const CommandContext& ctx, const AlertsPreviewOptions& options) {
  if (options.format != "text" && options.format != "html" && options.format != "eml") {
    ctx.err << "cspwatch: --format must be text, html or eml\n";
    return kExitUsage;
  }
  Opened o = openStore(ctx, StoreAccess::kReadOnly);
  if (!o.store) return o.exit_code;
  int code = kExitOk;
  auto pipeline = pipelineFor(ctx, *o.config, code);
  if (!pipeline) return code;
  const Timestamp now = options.now ? *options.now : SystemClock().now();
  // The latest applied scan's changes, with everything due now.
  storage::ScanChanges changes;
  auto scans = o.store->listScans(20);
  if (!scans) return fail(ctx, scans.status());
  for (const auto& s : *scans)
    if (storage::scanApplied(s.status)) {
      auto c = o.store->changesOf(s.id, now);
      if (!c) return fail(ctx, c.status());
      changes = std::move(*c);
      break;
    }
  auto in = pipeline->gather(*o.store, changes, now);
  if (!in) return fail(ctx, in.status());
  std::vector<alerts::RecipientMessage> messages;
  for (auto& m : pipeline->route(*in))
    if (options.to.empty() || toLowerAscii(m.recipient) == toLowerAscii(options.to))
      messages.push_back(std::move(m));
  if (messages.empty()) {
    ctx.out << "nothing to send" << (options.to.empty() ? "" : " to " + options.to)
            << ": nothing new, resolved, due or newly unknown since scan " << changes.scan_id
            << "\n";
    return kExitOk;
  }
  if (options.format != "text") {
    // One message: the recipient's digest (else its critical message).
    if (options.to.empty() && messages.size() > 1) {
      std::vector<std::string> who;
      for (const auto& m : messages) who.push_back(m.recipient);
      ctx.err << "cspwatch: " << messages.size() << " messages would go out (" << join(who, ", ")
              << "); pick one recipient with --to\n";
      return kExitUsage;
    }
    const alerts::RecipientMessage& m = messages.back();
    if (options.format == "html") {
      ctx.out << pipeline->renderBody(m, *in).html;
    } else {
      auto all = pipeline->render(*in);
      if (!all) return fail(ctx, all.status());
      for (const auto& msg : *all)
        if (msg.recipients == m.recipient && msg.kind == m.kind) ctx.out << msg.body;
    }
    return kExitOk;
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (i) ctx.out << "\n";
    ctx.out << "=== To: " << m.recipient << " (" << m.kind << ")\n"
            << "=== Subject: " << alerts::subjectFor(m) << "\n\n"
            << pipeline->renderBody(m, *in).text;
  }
  return kExitOk;
}

int alertsTest(const CommandContext& ctx, const std::string& to) {
  auto cfg = loadAccount(ctx);
  if (!cfg) return kExitUsage;
  if (!cfg->alerts) {
    ctx.err << "cspwatch: " << cfg->file << " has no 'alerts' section; see docs/alerts.md\n";
    return kExitUsage;
  }
  auto pipeline = daemon::alertPipeline(*cfg, std::map<std::string, scan::RuleInfo>{});
  if (!pipeline) return fail(ctx, pipeline.status());
  auto message = pipeline->testMessage(to, SystemClock().now());
  if (!message) return fail(ctx, message.status());
  auto transport = transportFor(ctx, *cfg);
  if (!transport) return fail(ctx, transport.status());
  alerts::Delivery d = (*transport)->deliver({message->message_id, to, message->body});
  if (d.delivered) {
    ctx.out << "delivered a test message to " << to << " via "
            << alerts::transportName(cfg->alerts->transport) << ": " << d.reply << "\n";
    return kExitOk;
  }
  ctx.out << "NOT delivered to " << to << " via " << alerts::transportName(cfg->alerts->transport)
          << ": " << d.reply
          << (d.permanent ? " (permanent: retrying will not help)" : " (temporary)") << "\n";
  return kExitProblems;
}

int alertsOutbox(const CommandContext& ctx, bool include_sent, OutputFormat format) {
  Opened o = openStore(ctx, StoreAccess::kReadOnly);
  if (!o.store) return o.exit_code;
  storage::Outbox outbox(o.store->db());
  auto rows = include_sent ? outbox.recent(200) : outbox.pending();
  if (!rows) return fail(ctx, rows.status());
  if (format == OutputFormat::kJson) {
    Poco::JSON::Object::Ptr doc = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    doc->set("schema_version", 1);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    for (const auto& m : *rows) {
      Poco::JSON::Object::Ptr j = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      j->set("id", m.id);
      j->set("message_id", m.message_id);
      j->set("kind", m.kind);
      j->set("channel", m.channel);
      j->set("target", m.target.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(m.target));
      j->set("to", m.recipients);
      j->set("subject", m.subject);
      j->set("status", storage::outboxStatusName(m.status));
      j->set("created_at", formatTimestamp(m.created_at));
      j->set("attempts", m.attempts);
      j->set("next_attempt_at", m.status == storage::OutboxStatus::kQueued
                                    ? Poco::Dynamic::Var(formatTimestamp(m.next_attempt_at))
                                    : Poco::Dynamic::Var());
      j->set("sent_at",
             m.sent_at ? Poco::Dynamic::Var(formatTimestamp(*m.sent_at)) : Poco::Dynamic::Var());
      j->set("last_error",
             m.last_error.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(m.last_error));
      list->add(j);
    }
    doc->set("messages", list);
    ctx.out << tenants::jsonText(doc, true) << "\n";
    return kExitOk;
  }
  if (rows->empty()) {
    ctx.out << (include_sent ? "the outbox is empty\n"
                             : "nothing queued or failed: every message was delivered\n");
    return kExitOk;
  }
  Table t({{"ID", false, 2},
           {"CREATED", false, 20},
           {"KIND", false, 6},
           {"VIA", false, 5},
           {"STATUS", false, 6},
           {"TRIES", false, 5},
           {"TO", true, 14, 1},
           {"SUBJECT, OR WHY NOT SENT", true, 30, 2}});
  for (const auto& m : *rows)
    t.addRow({std::to_string(m.id), formatTimestamp(m.created_at), m.kind, m.channel,
              storage::outboxStatusName(m.status), std::to_string(m.attempts),
              // An output by its name in the configuration (the JSON has its URL too).
              m.target.empty() ? m.recipients : m.target,
              m.last_error.empty() ? m.subject : m.last_error});
  t.print(ctx.out);
  return kExitOk;
}

int alertsSend(const CommandContext& ctx, std::optional<Timestamp> now) {
  Opened o = openStore(ctx);
  if (!o.store) return o.exit_code;
  if (!o.config->alerts) {
    ctx.err << "cspwatch: " << o.config->file << " has no 'alerts' section; see docs/alerts.md\n";
    return kExitUsage;
  }
  auto transport = transportFor(ctx, *o.config);
  std::unique_ptr<alerts::Transport> outputs = config::makeOutputTransport(*o.config);
  // Without a mail transport the webhooks and Teams posts still go; the mail stays queued.
  if (!transport && !outputs) return fail(ctx, transport.status());
  storage::Outbox outbox(o.store->db());
  ManualClock fixed(now.value_or(Timestamp{}));
  SystemClock system;
  const Clock& clock = now ? static_cast<const Clock&>(fixed) : system;
  const auto& a = *o.config->alerts;
  auto sent = scan::deliverAllDue(
      outbox, scan::Transports{transport ? transport->get() : nullptr, outputs.get()}, clock,
      scan::senderOptions(a.retry_first, a.retry_max, a.give_up_after));
  if (!sent) return fail(ctx, sent.status());
  const int mail_code = transport ? kExitOk : fail(ctx, transport.status());
  const scan::SendReport* report = &*sent;
  ctx.out << "alerts: " << report->delivered << " delivered, " << report->retrying
          << " waiting to retry, " << report->failed << " failed\n";
  if (mail_code != kExitOk) return mail_code;
  return report->retrying + report->failed == 0 ? kExitOk : kExitProblems;
}

void registerAlerts(CLI::App& app, CommandRegistry& registry) {
  CLI::App* alerts_cmd = app.add_subcommand("alerts", "Alert emails: preview, test, the outbox");
  alerts_cmd->require_subcommand(1);

  CLI::App* preview = alerts_cmd->add_subcommand(
      "preview",
      "Render the digest(s) the latest scan and what is due now would send; sends nothing");
  auto preview_options = std::make_shared<AlertsPreviewOptions>();
  auto preview_now = std::make_shared<std::string>();
  preview->add_option("--to", preview_options->to, "Only this recipient's messages");
  withChoices(preview->add_option("--format", preview_options->format, "text, html or eml")
                  ->capture_default_str(),
              {"text", "html", "eml"});
  preview->add_option("--now", *preview_now, "Pretend it is this RFC 3339 time");
  registry.add(preview, [preview_options, preview_now](const CommandContext& ctx) {
    if (!readNow(ctx, *preview_now, preview_options->now)) return kExitUsage;
    return alertsPreview(ctx, *preview_options);
  });

  CLI::App* test = alerts_cmd->add_subcommand(
      "test", "Send one test message through the configured transport and show the answer");
  auto test_to = std::make_shared<std::string>();
  test->add_option("--to", *test_to, "Recipient address")->required();
  registry.add(test, [test_to](const CommandContext& ctx) { return alertsTest(ctx, *test_to); });

  CLI::App* outbox = alerts_cmd->add_subcommand("outbox", "List queued and failed messages");
  auto outbox_all = std::make_shared<bool>(false);
  outbox->add_flag("--all", *outbox_all, "Include the latest sent messages");
  auto outbox_format = std::make_shared<OutputFormat>(OutputFormat::kTable);
  addFormatOption(*outbox, *outbox_format, FormatChoices::kTableJson, "table or json");
  registry.add(outbox, [outbox_all, outbox_format](const CommandContext& ctx) {
    return alertsOutbox(ctx, *outbox_all, *outbox_format);
  });

  CLI::App* send = alerts_cmd->add_subcommand(
      "send", "Deliver the queued messages that are due now (the daemon does this on its own)");
  auto send_now = std::make_shared<std::string>();
  send->add_option("--now", *send_now, "Pretend it is this RFC 3339 time");
  registry.add(send, [send_now](const CommandContext& ctx) {
    std::optional<Timestamp> at;
    if (!readNow(ctx, *send_now, at)) return kExitUsage;
    return alertsSend(ctx, at);
  });
}

}  // namespace cspwatch::cli
