// SPDX-License-Identifier: Apache-2.0
#include "daemon/service.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <dirent.h>
#include <malloc.h>
#include <sys/stat.h>

#include "common/file_safety.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/text.h"
#include "config/rule_files.h"
#include "daemon/heartbeat.h"
#include "daemon/http_endpoint.h"
#include "daemon/scan_setup.h"
#include "scan/alert_pipeline.h"
#include "scan/outbox_sender.h"
#include "scan/scan_job.h"
#include "storage/outbox.h"
#include "storage/states.h"

namespace cspwatch::daemon {

// Everything a scan needs, loaded and checked together; replaced whole on reload.
struct Service::Loaded {
  config::AppConfig config;
  std::shared_ptr<const rules::RuleSet> rules;
  std::shared_ptr<scan::AlertPipeline> pipeline;  // null without an alerts section
};

struct Service::Endpoint {
  std::unique_ptr<HttpEndpoint> server;
};

namespace {

// Every file below `path` (a file or a directory, not recursive beyond one level) with its
// size and modification time, for noticing edits.
void describe(const std::string& path, std::ostringstream& out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    out << path << " missing\n";
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    out << path << ' ' << st.st_size << ' ' << st.st_mtim.tv_sec << '.' << st.st_mtim.tv_nsec
        << '\n';
    return;
  }
  std::vector<std::string> names;
  if (DIR* d = ::opendir(path.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    struct stat f {};
    const std::string full = path + "/" + n;
    if (::stat(full.c_str(), &f) == 0 && !S_ISDIR(f.st_mode))
      out << full << ' ' << f.st_size << ' ' << f.st_mtim.tv_sec << '.' << f.st_mtim.tv_nsec
          << '\n';
  }
}

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

Timestamp nextScanTime(Timestamp last_start, Seconds interval, double jitter_fraction,
                       std::mt19937_64& rng) {
  const int64_t cap = std::min<int64_t>(
      static_cast<int64_t>(static_cast<double>(interval.count()) * jitter_fraction), 600);
  const int64_t jitter = cap > 0 ? std::uniform_int_distribution<int64_t>(0, cap)(rng) : int64_t{0};
  return last_start + interval + Seconds(jitter);
}

Service::Service(ServiceOptions options) : options_(std::move(options)) {}

Service::~Service() {
  requestStop();
  if (worker_.joinable()) worker_.join();
}

std::string Service::fingerprint(const config::AppConfig& config) const {
  std::ostringstream out;
  describe(options_.config_path, out);
  for (const auto& p : config.rule_paths) describe(p, out);
  if (config.alerts) describe(config.alerts->templates_dir, out);
  return out.str();
}

Status Service::load(std::ostream& err, std::shared_ptr<const Loaded>& out) {
  Diagnostics diags;
  auto cfg = config::loadConfig(options_.config_path, diags);
  if (!cfg) {
    err << diags.renderText();
    return Status::invalidArgument("the configuration " + options_.config_path + " is invalid");
  }
  rules::LoadResult loaded = config::loadRuleFiles(cfg->rule_paths);
  if (!loaded.ok()) {
    err << loaded.diagnostics.renderText();
    return Status::invalidArgument("the rule set has errors");
  }
  auto l = std::make_shared<Loaded>();
  l->config = std::move(*cfg);
  l->rules = std::move(loaded.rules);
  if (l->config.alerts) {
    auto p = alertPipeline(l->config, *l->rules);
    if (!p) {
      err << p.status().message() << "\n";
      return Status::invalidArgument("the mail templates are invalid");
    }
    l->pipeline = std::make_shared<scan::AlertPipeline>(std::move(*p));
  }
  out = std::move(l);
  return Status::ok();
}

Status Service::start(std::ostream& err) {
  std::shared_ptr<const Loaded> loaded;
  if (Status s = load(err, loaded); !s) return s;
  // The database must open (and migrate) before we claim to be ready. Where it is stays as now
  // until a restart (openStore()).
  store_at_ = loaded->config;
  auto store = config::openStore(loaded->config);
  if (!store) {
    err << "cspwatch: " << store.status().message() << "\n";
    return store.status();
  }
  if (auto previous = store->previousScanFinished(INT64_MAX); previous && *previous) {
    last_success_ = **previous;  // health survives restarts
    metrics_.restoreLastSuccessfulScan(**previous);
  }
  http_ = std::make_unique<Endpoint>();
  if (loaded->config.http.enabled) {
    HttpEndpointOptions o;
    o.listen = loaded->config.http.listen;
    if (!loaded->config.http.token_file.empty()) {
      auto token =
          readSecretFile(loaded->config.http.token_file, "the HTTP token file (http.token_file)");
      if (!token) {
        err << "cspwatch: http.token_file: " << token.status().message() << "\n";
        return token.status();
      }
      o.token = *token;
      registerSecret(o.token);
    }
    HttpHandlers h;
    h.health = [this] { return health(); };
    h.metrics = [this] { return metrics_.prometheusText(); };
    h.request_scan = [this] {
      requestScan();
      return true;
    };
    auto server = HttpEndpoint::start(o, std::move(h));
    if (!server) {
      err << "cspwatch: http.listen " << o.listen << ": " << server.status().message() << "\n";
      return server.status();
    }
    log().info("health, metrics and scan trigger on http://{}:{}",
               o.listen.substr(0, o.listen.rfind(':')), (*server)->port());
    http_->server = std::move(*server);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  files_ = fingerprint(loaded->config);
  metrics_.setScanInterval(loaded->config.schedule_interval);
  loaded_ = std::move(loaded);
  started_at_ = clock_.now();
  metrics_.setStartTime(started_at_);
  return Status::ok();
}

void Service::requestScan() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    scan_requested_ = true;
  }
  wake_.notify_all();
}

void Service::requestReload() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reload_requested_ = true;
  }
  wake_.notify_all();
}

void Service::requestStop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cancel_.cancel();
  wake_.notify_all();
}

void Service::reload(const std::string& why) {
  notifier_.reloading("reloading (" + why + ")");
  log().info("reloading the configuration, rules and templates ({})", why);
  // The files as they are before loading: an edit made while loading triggers another reload.
  std::string files_before;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    files_before = fingerprint(loaded_->config);
  }
  std::ostringstream problems;
  std::shared_ptr<const Loaded> fresh;
  Status s = load(problems, fresh);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!s) {
    // Keep what works: the last good configuration stays in force.
    log().error("reload refused, keeping the previous configuration and rules: {}\n{}", s.message(),
                problems.str());
    metrics_.recordReload(false);
    files_ = files_before;  // not retried until a file changes again
    notifier_.ready("reload failed (" + s.message() + "); " + statusLine());
    return;
  }
  const config::AppConfig& before = loaded_->config;
  if (fresh->config.storage_path != before.storage_path ||
      fresh->config.storage_url != before.storage_url ||
      fresh->config.storage_schema != before.storage_schema ||
      fresh->config.storage_password_file != before.storage_password_file ||
      fresh->config.lease_period != before.lease_period ||
      fresh->config.http.listen != before.http.listen ||
      fresh->config.http.enabled != before.http.enabled)
    log().warn(
        "storage.path, .url, .schema, .password_file, .lease_period and http take effect at the "
        "next restart");
  // New paths (rules.paths, templates_dir) are watched from now on; an old file changed while
  // loading shows as a difference at the next check.
  files_ = files_before == fingerprint(loaded_->config) ? fingerprint(fresh->config) : "";
  loaded_ = std::move(fresh);
  metrics_.setScanInterval(loaded_->config.schedule_interval);
  metrics_.recordReload(true);
  log().info("reloaded: {} rule(s)", loaded_->rules->rules().size());
  notifier_.ready(statusLine());
}

Result<storage::FindingStore> Service::openStore(const config::AppConfig& cfg) const {
  config::AppConfig where = cfg;
  where.storage_path = store_at_.storage_path;
  where.storage_url = store_at_.storage_url;
  where.storage_schema = store_at_.storage_schema;
  where.storage_password_file = store_at_.storage_password_file;
  return config::openStore(where);
}

std::pair<bool, std::string> Service::health() const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Seconds interval = loaded_ ? loaded_->config.schedule_interval : Seconds(6 * 3600);
  const Timestamp now = clock_.now();
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
          std::chrono::duration_cast<Steady::duration>(loaded_->config.lease_period * 2))
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

std::string Service::statusLine() const {
  return last_outcome_;  // called with mutex_ held
}

void Service::launch(bool scan) {
  // Called with mutex_ held and the worker idle.
  if (worker_.joinable()) worker_.join();
  if (!stop_) cancel_.reset();  // a scan cancelled as the lease was lost has ended
  touch();
  busy_ = true;
  scan_running_ = scan;
  if (scan) last_scan_start_ = clock_.now();
  worker_ = std::thread([this, scan, l = loaded_, f = fence_] { work(scan, l, f); });
}

// A job of the worker thread: a scan (which delivers due mail at its end), or delivery alone
// (the delivery timer). Either way the outbox gauges are refreshed.
void Service::work(bool scan, std::shared_ptr<const Loaded> l,
                   std::optional<storage::Fence> fence) {
  std::string outcome = job(scan, *l, fence);
  // glibc keeps a scan's freed heap, SQLite's page cache and temporary tables among it (the
  // database is closed by now): give it back while the daemon idles.
  malloc_trim(0);
  std::lock_guard<std::mutex> lock(mutex_);
  busy_ = false;
  scan_running_ = false;
  if (!outcome.empty()) {
    last_outcome_ = outcome;
    notifier_.status(last_outcome_);
  }
  wake_.notify_all();
}

std::string Service::job(bool scan, const Loaded& l, const std::optional<storage::Fence>& fence) {
  const config::AppConfig& cfg = l.config;
  std::string outcome;
  auto store = openStore(cfg);
  if (!store) {
    outcome = storeUnavailable(scan, store.status());
  } else {
    store->setFence(fence);  // a scan writes only while this instance holds the lease
    auto delivery = daemon::delivery(cfg, clock_, [this] {
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

std::string Service::storeUnavailable(bool scan, const Status& why) {
  std::string outcome = "the database cannot be opened: " + why.message();
  if (scan) {
    // A scan that cannot open its database failed like any other: counted in /metrics, and
    // /healthz knows a scan failed.
    metrics_.recordScanFailure(storage::ScanStatus::kFailed, 0, clock_.now());
    std::lock_guard<std::mutex> lock(mutex_);
    scan_failed_since_success_ = true;
    outcome = "last scan FAILED: " + outcome;
  }
  log().error("{}", outcome);
  return outcome;
}

// The scan (scan/scan_job.h, as `scan --once` runs it) and what the service makes of it: the
// log, metrics and health. Returns the status line.
std::string Service::runScan(storage::FindingStore& store, const Loaded& l,
                             const std::optional<scan::MailDelivery>& delivery) {
  const Timestamp now = clock_.now();
  log().info("scan started");
  notifier_.status("scanning since " + formatTimestamp(now));
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
  metrics_.addApiCounters("partner_center", pc.requests, pc.retries, pc.throttled, pc.failed);
  metrics_.addApiCounters("graph", graph.requests, graph.retries, graph.throttled, graph.failed);
  if (job.sent) noteDelivery(*job.sent);
  std::string outcome = job.summary ? scanApplied(*job.summary, job.source, now, job.seconds)
                                    : scanNotApplied(job.status, job.seconds);
  if (job.summary && readAnyTenant(*job.summary)) heartbeat(l.config);
  if (auto counts = store.openCounts()) {
    std::vector<OpenFindingCount> v;
    for (const auto& [key, n] : *counts) v.push_back({key.first, key.second, n});
    metrics_.setOpenFindings(std::move(v));
  }
  return outcome;
}

std::string Service::scanApplied(const storage::ScanSummary& summary,
                                 const scan::ScanSourceReport& source, Timestamp now, double took) {
  metrics_.recordScan(summary, took, clock_.now(), source.sign_in_failure.has_value());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (readAnyTenant(summary))
      last_success_ = clock_.now();
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

std::string Service::scanNotApplied(const Status& why, double took) {
  const bool interrupted = why.code() == Status::Code::kAborted;
  metrics_.recordScanFailure(
      interrupted ? storage::ScanStatus::kInterrupted : storage::ScanStatus::kFailed, took,
      clock_.now());
  if (!interrupted) {
    std::lock_guard<std::mutex> lock(mutex_);
    scan_failed_since_success_ = true;
  }
  std::string outcome =
      std::string(interrupted ? "last scan interrupted: " : "last scan FAILED: ") + why.message();
  (interrupted ? log().warn("{}", outcome) : log().error("{}", outcome));
  return outcome;
}

// monitoring.heartbeat after a successful scan: a failure is a warning, never the scan's.
void Service::heartbeat(const config::AppConfig& cfg) {
  const std::string& url = cfg.monitoring.heartbeat_url;
  if (url.empty() || cancel_.cancelled()) return;
  touch();
  const Status sent = sendHeartbeat(url, heartbeatHttpOptions(msapi::networkOptions(cfg.network)));
  if (sent)
    log().info("heartbeat sent to {}", heartbeatTarget(url));
  else
    log().warn("{} (the scan is not affected; monitoring.heartbeat)", sent.message());
}

void Service::noteDelivery(const Result<scan::SendReport>& sent) {
  if (sent)
    metrics_.addDeliveries(sent->delivered, sent->failed);
  else
    log().error("alerts stay queued: {}", sent.status().message());
}

// The outbox gauges, whether or not delivery could be tried.
void Service::setOutboxGauges(storage::FindingStore& store) {
  storage::Outbox outbox(store.db());
  if (auto pending = outbox.pending()) {
    int64_t queued = 0, failed = 0;
    std::optional<Timestamp> oldest;
    for (const auto& m : *pending) {
      const bool given_up = m.status == storage::OutboxStatus::kFailed;
      ++(given_up ? failed : queued);
      if (!given_up && (!oldest || m.created_at < *oldest)) oldest = m.created_at;
    }
    metrics_.setOutbox(queued, failed, oldest);
  }
}

int Service::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  notifier_.ready("started; first scan now");
  log().info("cspwatch running: scanning every {}",
             formatDuration(loaded_->config.schedule_interval));
  Deadlines due;
  // Scans start when the lease is gained (daemon/service_lease.cpp); until then none is due.
  due.scan = clock_.now() + kNotDue;
  due.lease = Steady::now();
  due.files = Steady::now() + options_.file_check;
  due.delivery = Steady::now() + options_.delivery_check;
  due.watchdog = Steady::now();
  while (!stop_) {
    tellWatchdog(due);
    if (!reload_requested_ && Steady::now() >= due.files) {
      due.files = Steady::now() + options_.file_check;
      if (fingerprint(loaded_->config) != files_) reload_requested_ = true;
    }
    if (reload_requested_) {
      reload_requested_ = false;
      lock.unlock();
      reload("SIGHUP or a changed file");
      lock.lock();
      continue;
    }
    if (Steady::now() >= due.lease) {
      const config::AppConfig cfg = loaded_->config;
      stepLease(lock, due, cfg);
      continue;
    }
    if (startDueJob(due)) continue;
    wake_.wait_until(lock, nextWake(due));
  }
  return shutDown(lock);
}

// Only while the run loop turns and a running job shows progress: a scan stuck for longer than
// options_.stall_bound lets systemd restart the service.
void Service::tellWatchdog(Deadlines& due) {
  const auto watchdog = notifier_.watchdogInterval();
  if (!watchdog || Steady::now() < due.watchdog) return;
  const auto progress = Steady::time_point(Steady::duration(last_progress_.load()));
  if (!busy_ || Steady::now() - progress < options_.stall_bound)
    notifier_.watchdog();
  else
    log().error("no progress for {} s: no longer telling systemd we are alive",
                std::chrono::duration_cast<std::chrono::seconds>(Steady::now() - progress).count());
  due.watchdog = Steady::now() + *watchdog;
}

// With the worker idle: a scan when one is due or asked for, else delivery when it is due.
// Returns whether a job was started.
bool Service::startDueJob(Deadlines& due) {
  if (busy_) return false;
  if (scan_requested_ && !holding_) {
    scan_requested_ = false;
    log().info("scan requested on a standby instance: {} holds the lease and scans",
               lease_holder_.empty() ? "no instance" : lease_holder_);
  }
  if (holding_ && (scan_requested_ || clock_.now() >= due.scan)) {
    scan_requested_ = false;
    launch(true);
    due.scan =
        nextScanTime(*last_scan_start_, loaded_->config.schedule_interval, options_.jitter, rng_);
    log().info("next scan at {}", formatTimestamp(due.scan));
    due.delivery = Steady::now() + options_.delivery_check;
    return true;
  }
  if (Steady::now() >= due.delivery) {
    due.delivery = Steady::now() + options_.delivery_check;
    if (loaded_->config.alerts) launch(false);
    return true;
  }
  return false;
}

// Sleep until the next thing to do (or a request wakes us). While a job runs, only files and
// the watchdog have deadlines: the job's end wakes us (a deadline already past would make the
// loop spin).
Service::Steady::time_point Service::nextWake(const Deadlines& due) const {
  auto until = std::min(due.files, due.lease);
  if (notifier_.watchdogInterval()) until = std::min(until, due.watchdog);
  if (!busy_) {
    until = std::min(until, due.delivery);
    const auto to_scan = due.scan - clock_.now();
    until = std::min(until, Steady::now() + std::max(Seconds(0), to_scan));
  }
  return until;
}

// Stopping: the worker was cancelled by requestStop(); give it a bounded time.
int Service::shutDown(std::unique_lock<std::mutex>& lock) {
  notifier_.stopping("stopping");
  log().info("stopping");
  const auto deadline = Steady::now() + options_.stop_bound;
  const bool finished = wake_.wait_until(lock, deadline, [this] { return !busy_; });
  lock.unlock();
  if (http_ && http_->server) http_->server->stop();
  if (!finished) {
    // The job is stuck in a call that cannot be cancelled (a server that does not answer).
    // Mark its scan interrupted over a connection of our own, and leave at once: returning
    // would destroy what the job still uses.
    log().error("the running job did not stop within {} ms; exiting without it",
                options_.stop_bound.count());
    // Only the holder's own scan, and only while it still holds the lease: a standby (a stuck
    // delivery) must not mark the holder's running scan.
    if (holding_)
      if (auto store = openStore(loaded_->config)) {
        store->setFence(fence_);
        (void)store->markInterrupted(clock_.now());
      }
    log().flush();
    std::fflush(nullptr);
    std::_Exit(0);
  }
  if (worker_.joinable()) worker_.join();
  releaseLease(loaded_->config);  // a standby takes over at its next step, not a lease period later
  log().info("stopped");
  return 0;
}

}  // namespace cspwatch::daemon
