// SPDX-License-Identifier: Apache-2.0
#include "daemon/partner_runner.h"

#include <algorithm>

#include <malloc.h>
#include <sys/stat.h>

#include "common/logging.h"
#include "common/redact.h"
#include "common/text.h"
#include "daemon/heartbeat.h"
#include "daemon/scan_setup.h"
#include "msapi/configured_credentials.h"
#include "msapi/http_client.h"
#include "scan/outbox_sender.h"
#include "storage/outbox.h"
#include "storage/states.h"

namespace cspwatch::daemon {

namespace {

// Skipped inventory rows and lists that could not be read, one log line each (the first few;
// the count says how many there were).
void logSourceProblems(const Diagnostics& diagnostics) {
  size_t logged = 0;
  for (const auto& d : diagnostics.items()) {
    if (++logged > 20) {
      log().warn("... and {} more source problem(s)", diagnostics.items().size() - 20);
      break;
    }
    std::string line = Diagnostics::renderOne(d, nullptr);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    log().warn("{}", replaceAll(line, "\n  ", "; "));
  }
}

// A scan that read no tenant at all checked nothing: not a success for /healthz or the
// heartbeat.
bool readAnyTenant(const storage::ScanSummary& summary) {
  return summary.tenants_total == 0 || summary.tenants_unread < summary.tenants_total;
}

}  // namespace

PartnerRunner::PartnerRunner(RunnerContext ctx, std::shared_ptr<const PartnerLoad> load)
    : ctx_(ctx),
      name_(load->config.partner_name),
      several_(ctx.several),
      load_(std::move(load)),
      store_at_(load_->config) {
  started_at_ = ctx_.clock->now();
  due_scan_ = started_at_ + kNotDue;  // scans start when the lease is gained
  due_lease_ = Steady::now();
  due_delivery_ = Steady::now() + ctx_.options->delivery_check;
  ctx_.metrics->setScanInterval(name(), load_->config.schedule_interval);
}

PartnerRunner::~PartnerRunner() { join(); }

void PartnerRunner::join() {
  if (worker_.joinable()) worker_.join();
}

std::string PartnerRunner::who() const { return several_ ? "partner " + name_ + ": " : ""; }

Status PartnerRunner::openAtStart(std::ostream& err) {
  auto store = config::openStore(store_at_);
  if (!store) {
    err << "cspwatch: " << who() << store.status().message() << "\n";
    return store.status();
  }
  if (auto previous = store->previousScanFinished(INT64_MAX); previous && *previous) {
    last_success_ = **previous;  // health survives restarts
    ctx_.metrics->restoreLastSuccessfulScan(name(), **previous);
  }
  return Status::ok();
}

void PartnerRunner::setLoad(std::shared_ptr<const PartnerLoad> load) {
  load_ = std::move(load);
  ctx_.metrics->setScanInterval(name(), load_->config.schedule_interval);
}

Result<storage::FindingStore> PartnerRunner::openStore(const config::AppConfig& cfg) const {
  config::AppConfig where = cfg;
  where.storage_path = store_at_.storage_path;
  where.storage_url = store_at_.storage_url;
  where.storage_schema = store_at_.storage_schema;
  where.storage_password_file = store_at_.storage_password_file;
  return config::openStore(where);
}

std::pair<bool, std::string> PartnerRunner::health() const {
  const Seconds interval = load_->config.schedule_interval;
  const Timestamp now = ctx_.clock->now();
  // Entra refused the partner user's refresh token: every App+User check is could-not-check
  // until someone runs `cspwatch auth login`, however recent the last scan.
  if (sign_in_failure_)
    return {false,
            "cannot sign in to Partner Center as the partner user (run 'cspwatch auth "
            "login'): " +
                *sign_in_failure_};
  // A standby is healthy while another instance holds the lease: scanning is the holder's to
  // answer for (its /healthz, and the alerting rules over every instance's metrics).
  if (!holding_ && !lease_holder_.empty() && lease_read_at_ &&
      Steady::now() - *lease_read_at_ <
          std::chrono::duration_cast<Steady::duration>(load_->config.lease_period * 2))
    return {true, "standing by: " + lease_holder_ + " holds the lease and scans"};
  if (!holding_ && !lease_holder_.empty())
    return {false, "standing by, but the lease cannot be read (the database cannot be reached)"};
  // Healthy: a scan that read tenants completed within two intervals (remembered across
  // restarts: it comes from the database at start). Just started, no failure yet: healthy.
  if (last_success_ && now - *last_success_ <= 2 * interval)
    return {true, "last scan completed " + formatTimestamp(*last_success_)};
  if (last_success_)
    return {false, "no scan completed since " + formatTimestamp(*last_success_) + " (" +
                       last_outcome_ + ")"};
  if (!scan_failed_since_success_ && now - started_at_ <= 2 * interval)
    return {true, "starting: " + last_outcome_};
  return {false, "no scan has completed (" + last_outcome_ + ")"};
}

PartnerRunner::Steady::duration PartnerRunner::stalledFor() const {
  if (!busy_) return Steady::duration(0);
  return Steady::now() - Steady::time_point(Steady::duration(last_progress_.load()));
}

// With the worker idle: a scan when one is due or asked for, else delivery when it is due.
bool PartnerRunner::startDueJob(std::mt19937_64& rng) {
  if (busy_) return false;
  if (scan_requested_ && !holding_) {
    scan_requested_ = false;
    log().info("{}scan requested on a standby instance: {} holds the lease and scans", who(),
               lease_holder_.empty() ? "no instance" : lease_holder_);
  }
  const bool scan_due = scan_requested_ || ctx_.clock->now() >= due_scan_;
  if (holding_ && scan_due && *ctx_.scans_running < ctx_.options->max_parallel_scans) {
    scan_requested_ = false;
    launch(Job::kScan);
    due_scan_ =
        nextScanTime(*last_scan_start_, load_->config.schedule_interval, ctx_.options->jitter, rng);
    log().info("{}next scan at {}", who(), formatTimestamp(due_scan_));
    due_delivery_ = Steady::now() + ctx_.options->delivery_check;
    return true;
  }
  if (Steady::now() >= due_delivery_) {
    due_delivery_ = Steady::now() + ctx_.options->delivery_check;
    if (load_->config.alerts) launch(Job::kDelivery);
    return true;
  }
  if (!holding_ && signInDue()) {
    launch(Job::kSignIn);
    return true;
  }
  return false;
}

bool PartnerRunner::signInDue() {
  if (Steady::now() < due_sign_in_check_) return false;
  due_sign_in_check_ =
      Steady::now() + std::chrono::duration_cast<Steady::duration>(load_->config.lease_period / 3);
  const auto& pc = load_->config.partner_center;
  if (!pc || pc->refresh_token_file.empty()) return false;
  struct stat st {};
  if (::stat(pc->refresh_token_file.c_str(), &st) != 0) return false;  // never signed in here
  // A refused token: tried again only once replaced (`cspwatch auth login`), then at once.
  const int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  if (refused_token_mtime_) return *refused_token_mtime_ != mtime;
  const Timestamp written = fromUnixSeconds(st.st_mtim.tv_sec);
  return ctx_.clock->now() - written > kSignInRefreshAge;
}

std::string PartnerRunner::keepSignIn(const config::AppConfig& cfg) {
  auto configured = msapi::configuredCredentials(*cfg.partner_center, cfg.partner.tenant_id);
  Status s = configured ? Status::ok() : configured.status();
  if (s) {
    msapi::HttpClient http(msapi::withNetwork(msapi::networkOptions(cfg.network)));
    msapi::TokenProvider tokens(std::move(configured->credentials), http, *ctx_.clock, &cancel_);
    auto token = tokens.userToken(cfg.partner.tenant_id, msapi::Audience::kPartnerCenter);
    if (!token) s = token.status();
  }
  const bool refused = s.code() == Status::Code::kUnauthenticated;
  struct stat st {};
  const bool stated = ::stat(cfg.partner_center->refresh_token_file.c_str(), &st) == 0;
  {
    std::lock_guard<std::mutex> lock(*ctx_.mutex);
    if (s) {
      sign_in_failure_.reset();
      refused_token_mtime_.reset();
    } else if (refused) {
      sign_in_failure_ = redactSecrets(s.message());
      refused_token_mtime_ =
          stated ? int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec : int64_t{0};
    } else {
      // A fault (the network) is retried in an hour; what was known of the token stands.
      due_sign_in_check_ = Steady::now() + std::chrono::hours(1);
    }
  }
  if (s || refused) ctx_.metrics->setSignInFailing(name(), refused);
  if (s)
    log().info("standing by: the partner user's refresh token was used and renewed");
  else
    log().warn("standing by: the partner user's sign-in {}: {}",
               refused ? "is refused (run 'cspwatch auth login' on this machine)" : "failed",
               redactSecrets(s.message()));
  return "";
}

// While a job runs, only the lease has a deadline here: the job's end wakes the service (a
// deadline already past would make the loop spin). A scan that waits for a slot is woken by
// the end of another's.
PartnerRunner::Steady::time_point PartnerRunner::nextWake() const {
  auto until = due_lease_;
  if (!busy_) {
    until = std::min(until, due_delivery_);
    // A due scan that waits for a slot has no deadline: another scan's end wakes the loop (a
    // deadline already past would make it spin until then).
    const bool waits_for_slot = holding_ && ctx_.clock->now() >= due_scan_ &&
                                *ctx_.scans_running >= ctx_.options->max_parallel_scans;
    const auto to_scan = due_scan_ - ctx_.clock->now();
    if (!waits_for_slot) until = std::min(until, Steady::now() + std::max(Seconds(0), to_scan));
  }
  return until;
}

void PartnerRunner::launch(Job what) {
  join();
  cancel_.reset();  // a scan cancelled as the lease was lost has ended (not on stop: no launch)
  touch();
  busy_ = true;
  scan_running_ = what == Job::kScan;
  if (scan_running_) {
    ++*ctx_.scans_running;
    last_scan_start_ = ctx_.clock->now();
  }
  worker_ = std::thread([this, what, l = load_, f = fence_] { work(what, l, f); });
}

// A job of the worker thread: a scan (which delivers due mail at its end), or delivery alone
// (the delivery timer). Either way the outbox gauges are refreshed.
void PartnerRunner::work(Job what, std::shared_ptr<const PartnerLoad> l,
                         std::optional<storage::Fence> fence) {
  std::string outcome;
  {
    // Every line this job logs, the scan's own included, names the account (several only).
    LogScope scope(who());
    outcome = what == Job::kSignIn ? keepSignIn(l->config) : job(what, *l, fence);
  }
  // glibc keeps a scan's freed heap, SQLite's page cache and temporary tables among it (the
  // database is closed by now): give it back while the daemon idles.
  malloc_trim(0);
  std::lock_guard<std::mutex> lock(*ctx_.mutex);
  busy_ = false;
  if (scan_running_) --*ctx_.scans_running;
  scan_running_ = false;
  if (!outcome.empty()) {
    last_outcome_ = outcome;
    ctx_.notifier->status(who() + last_outcome_);
  }
  ctx_.wake->notify_all();
}

std::string PartnerRunner::job(Job what, const PartnerLoad& l,
                               const std::optional<storage::Fence>& fence) {
  const config::AppConfig& cfg = l.config;
  const bool scan = what == Job::kScan;
  std::string outcome;
  auto store = openStore(cfg);
  if (!store) {
    outcome = storeUnavailable(scan, store.status());
  } else {
    store->setFence(fence);  // a scan writes only while this instance holds the lease
    auto delivery = daemon::delivery(cfg, *ctx_.clock, [this] {
      touch();  // each message is progress
      return cancel_.cancelled();
    });
    if (scan)
      outcome = runScan(*store, l, delivery);
    else if (delivery && !cancel_.cancelled())
      noteDelivery(scan::deliverQueued(*store, *delivery));
    setOutboxGauges(*store);
  }
  return outcome;
}

std::string PartnerRunner::storeUnavailable(bool scan, const Status& why) {
  std::string outcome = "the database cannot be opened: " + why.message();
  if (scan) {
    // A scan that cannot open its database failed like any other: counted in /metrics, and
    // /healthz knows a scan failed.
    ctx_.metrics->recordScanFailure(name(), storage::ScanStatus::kFailed, 0, ctx_.clock->now());
    std::lock_guard<std::mutex> lock(*ctx_.mutex);
    scan_failed_since_success_ = true;
    outcome = "last scan FAILED: " + outcome;
  }
  log().error("{}", outcome);
  return outcome;
}

// The scan (scan/scan_job.h, as `scan --once` runs it) and what the service makes of it: the
// log, metrics and health. Returns the status line.
std::string PartnerRunner::runScan(storage::FindingStore& store, const PartnerLoad& l,
                                   const std::optional<scan::MailDelivery>& delivery) {
  const Timestamp now = ctx_.clock->now();
  log().info("scan started");
  ctx_.notifier->status(who() + "scanning since " + formatTimestamp(now));
  scan::ScanJobOptions options;
  options.sources = scanSources(l.config);
  options.sources.pacer = pacer_;
  options.alerts = l.pipeline.get();
  options.delivery = delivery;
  options.retention = retention(l.config);
  options.progress = [this](size_t, size_t) { touch(); };
  options.cancel = &cancel_;
  const scan::ScanJobReport job = scan::ScanJob(store, *l.rules, std::move(options)).run(now);
  logSourceProblems(job.source.diagnostics);
  const auto& pc = job.source.partner_center;
  const auto& graph = job.source.graph;
  Metrics& m = *ctx_.metrics;
  m.addApiCounters(name(), "partner_center", pc.requests, pc.retries, pc.throttled, pc.failed);
  m.addApiCounters(name(), "graph", graph.requests, graph.retries, graph.throttled, graph.failed);
  if (job.sent) noteDelivery(*job.sent);
  std::string outcome = job.summary ? scanApplied(*job.summary, job.source, now, job.seconds)
                                    : scanNotApplied(job.status, job.seconds);
  if (job.summary && readAnyTenant(*job.summary)) heartbeat(l.config);
  if (auto counts = store.openCounts()) {
    std::vector<OpenFindingCount> v;
    for (const auto& [key, n] : *counts) v.push_back({key.first, key.second, n});
    m.setOpenFindings(name(), std::move(v));
  }
  return outcome;
}

std::string PartnerRunner::scanApplied(const storage::ScanSummary& summary,
                                       const scan::ScanSourceReport& source, Timestamp now,
                                       double took) {
  ctx_.metrics->recordScan(name(), summary, took, ctx_.clock->now(),
                           source.sign_in_failure.has_value());
  {
    std::lock_guard<std::mutex> lock(*ctx_.mutex);
    if (readAnyTenant(summary))
      last_success_ = ctx_.clock->now();
    else
      scan_failed_since_success_ = true;
    sign_in_failure_ = source.sign_in_failure;
  }
  log().info("scan {} {} in {:.1f}s: {} tenant(s), {} new, {} resolved, {} open", summary.scan_id,
             storage::scanStatusName(summary.status), took, summary.tenants_total,
             summary.findings_new, summary.findings_resolved, summary.findings_open);
  return "last scan " + std::to_string(summary.scan_id) + " " +
         storage::scanStatusName(summary.status) + " " + formatTimestamp(now) + ": " +
         std::to_string(summary.tenants_total) + " tenants, " +
         std::to_string(summary.findings_open) + " open findings, " +
         std::to_string(summary.checks_unknown) + " checks unknown";
}

std::string PartnerRunner::scanNotApplied(const Status& why, double took) {
  const bool interrupted = why.code() == Status::Code::kAborted;
  ctx_.metrics->recordScanFailure(
      name(), interrupted ? storage::ScanStatus::kInterrupted : storage::ScanStatus::kFailed, took,
      ctx_.clock->now());
  if (!interrupted) {
    std::lock_guard<std::mutex> lock(*ctx_.mutex);
    scan_failed_since_success_ = true;
  }
  std::string outcome =
      std::string(interrupted ? "last scan interrupted: " : "last scan FAILED: ") + why.message();
  (interrupted ? log().warn("{}", outcome) : log().error("{}", outcome));
  return outcome;
}

// monitoring.heartbeat after a successful scan: a failure is a warning, never the scan's.
void PartnerRunner::heartbeat(const config::AppConfig& cfg) {
  const std::string& url = cfg.monitoring.heartbeat_url;
  if (url.empty() || cancel_.cancelled()) return;
  touch();
  const Status sent = sendHeartbeat(url, heartbeatHttpOptions(msapi::networkOptions(cfg.network)));
  if (sent)
    log().info("heartbeat sent to {}", heartbeatTarget(url));
  else
    log().warn("{} (the scan is not affected; monitoring.heartbeat)", sent.message());
}

void PartnerRunner::noteDelivery(const Result<scan::SendReport>& sent) {
  if (sent)
    ctx_.metrics->addDeliveries(name(), sent->delivered, sent->failed);
  else
    log().error("alerts stay queued: {}", sent.status().message());
}

// The outbox gauges, whether or not delivery could be tried.
void PartnerRunner::setOutboxGauges(storage::FindingStore& store) {
  storage::Outbox outbox(store.db());
  if (auto pending = outbox.pending()) {
    int64_t queued = 0, failed = 0;
    std::optional<Timestamp> oldest;
    for (const auto& m : *pending) {
      const bool given_up = m.status == storage::OutboxStatus::kFailed;
      ++(given_up ? failed : queued);
      if (!given_up && (!oldest || m.created_at < *oldest)) oldest = m.created_at;
    }
    ctx_.metrics->setOutbox(name(), queued, failed, oldest);
  }
}

void PartnerRunner::interruptStuckScan() {
  // Only the holder's own scan, and only while it still holds the lease: a standby (a stuck
  // delivery) must not mark the holder's running scan.
  if (!holding_ || !scan_running_) return;
  if (auto store = openStore(load_->config)) {
    store->setFence(fence_);
    (void)store->markInterrupted(ctx_.clock->now());
  }
}

}  // namespace cspwatch::daemon
