// SPDX-License-Identifier: Apache-2.0
#include "daemon/service.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include <dirent.h>
#include <sys/stat.h>

#include "common/file_safety.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "config/rule_files.h"
#include "daemon/http_endpoint.h"
#include "daemon/scan_setup.h"

namespace cspwatch::daemon {

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

// Whether a reload changed what only a restart applies (the stores, the lease period, the
// HTTP endpoint); the accounts themselves are compared by the caller.
bool restartKeysChanged(const config::AppConfig& a, const config::AppConfig& b) {
  return a.storage_path != b.storage_path || a.storage_url != b.storage_url ||
         a.storage_schema != b.storage_schema ||
         a.storage_password_file != b.storage_password_file || a.lease_period != b.lease_period ||
         a.http.listen != b.http.listen || a.http.enabled != b.http.enabled;
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
  for (auto& r : runners_) r->join();
}

std::string Service::fingerprint(const Loaded& loaded) const {
  std::ostringstream out;
  describe(options_.config_path, out);
  std::set<std::string> paths;  // each once, however many accounts share it
  for (const auto& p : loaded.partners) {
    paths.insert(p->config.rule_paths.begin(), p->config.rule_paths.end());
    if (p->config.alerts) paths.insert(p->config.alerts->templates_dir);
  }
  for (const auto& p : paths) describe(p, out);
  return out.str();
}

Status Service::load(std::ostream& err, std::shared_ptr<const Loaded>& out) const {
  Diagnostics diags;
  auto cfg = config::loadConfig(options_.config_path, diags);
  if (!cfg) {
    err << diags.renderText();
    return Status::invalidArgument("the configuration " + options_.config_path + " is invalid");
  }
  auto l = std::make_shared<Loaded>();
  l->config = *cfg;
  // Accounts that name the same rule directories share one loaded rule set.
  std::map<std::vector<std::string>, std::shared_ptr<const rules::RuleSet>> rule_sets;
  const std::vector<config::AppConfig> accounts = config::partnerConfigs(*cfg);
  for (const config::AppConfig& account : accounts) {
    const std::string who =
        accounts.size() > 1 ? "partner " + account.partner_name + ": " : std::string();
    auto p = std::make_shared<PartnerLoad>();
    p->config = account;
    auto& rules = rule_sets[account.rule_paths];
    if (!rules) {
      rules::LoadResult loaded = config::loadRuleFiles(account.rule_paths);
      if (!loaded.ok()) {
        err << loaded.diagnostics.renderText();
        return Status::invalidArgument(who + "the rule set has errors");
      }
      rules = std::move(loaded.rules);
    }
    p->rules = rules;
    if (account.alerts) {
      auto pipeline = alertPipeline(account, *p->rules);
      if (!pipeline) {
        err << who << pipeline.status().message() << "\n";
        return Status::invalidArgument(who + "the mail templates are invalid");
      }
      p->pipeline = std::make_shared<scan::AlertPipeline>(std::move(*pipeline));
    }
    l->partners.push_back(std::move(p));
  }
  out = std::move(l);
  return Status::ok();
}

Status Service::start(std::ostream& err) {
  std::shared_ptr<const Loaded> loaded;
  if (Status s = load(err, loaded); !s) return s;
  store_at_ = loaded->config;  // where the stores are stays as now until a restart
  const RunnerContext ctx{&options_, &clock_, &notifier_,      &metrics_,
                          &mutex_,   &wake_,  &scans_running_, loaded->partners.size() > 1};
  for (const auto& p : loaded->partners) {
    runners_.push_back(std::make_unique<PartnerRunner>(ctx, p));
    // Each account's database must open (and migrate) before we claim to be ready.
    if (Status s = runners_.back()->openAtStart(err); !s) return s;
  }
  if (several()) {
    // The top-level store keeps the registry of the instances sharing the accounts.
    auto shared = config::openStore(store_at_);
    if (!shared) {
      err << "cspwatch: " << shared.status().message() << "\n";
      return shared.status();
    }
    registry_ = std::make_unique<InstanceRegistry>(self_, store_at_.lease_period, holderGone);
  }
  http_ = std::make_unique<Endpoint>();
  if (Status s = startEndpoint(loaded->config, err); !s) return s;
  std::lock_guard<std::mutex> lock(mutex_);
  files_ = fingerprint(*loaded);
  loaded_ = std::move(loaded);
  metrics_.setStartTime(clock_.now());
  return Status::ok();
}

Status Service::startEndpoint(const config::AppConfig& cfg, std::ostream& err) {
  if (!cfg.http.enabled) return Status::ok();
  HttpEndpointOptions o;
  o.listen = cfg.http.listen;
  if (!cfg.http.token_file.empty()) {
    auto token = readSecretFile(cfg.http.token_file, "the HTTP token file (http.token_file)");
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
  return Status::ok();
}

void Service::requestScan() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& r : runners_) r->requestScan();
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
    for (auto& r : runners_) r->cancel();
  }
  wake_.notify_all();
}

void Service::reload(const std::string& why) {
  notifier_.reloading("reloading (" + why + ")");
  log().info("reloading the configuration, rules and templates ({})", why);
  // The files as they are before loading: an edit made while loading triggers another reload.
  std::string files_before;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    files_before = fingerprint(*loaded_);
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
  // New paths (rules.paths, templates_dir) are watched from now on; an old file changed while
  // loading shows as a difference at the next check.
  files_ = files_before == fingerprint(*loaded_) ? fingerprint(*fresh) : "";
  swapIn(std::move(fresh));
  metrics_.recordReload(true);
  log().info("reloaded: {} rule(s)", loaded_->partners.front()->rules->rules().size());
  notifier_.ready(statusLine());
}

// A reload's accounts to their runners, by name (mutex_ held).
void Service::swapIn(std::shared_ptr<const Loaded> fresh) {
  if (restartKeysChanged(fresh->config, loaded_->config))
    log().warn(
        "storage.path, .url, .schema, .password_file, .lease_period and http take effect at the "
        "next restart");
  std::vector<std::string> before, after;
  for (const auto& r : runners_) before.push_back(r->name());
  for (const auto& p : fresh->partners) after.push_back(p->config.partner_name);
  if (before != after)
    log().warn("partner accounts added, removed or renamed take effect at the next restart");
  for (auto& r : runners_)
    for (const auto& p : fresh->partners)
      if (p->config.partner_name == r->name()) r->setLoad(p);
  loaded_ = std::move(fresh);
}

std::pair<bool, std::string> Service::health() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (runners_.size() == 1) return runners_.front()->health();
  bool healthy = true;
  std::string why;
  for (const auto& r : runners_) {
    auto [ok, line] = r->health();
    healthy = healthy && ok;
    why += (why.empty() ? "" : "; ") + r->name() + ": " + line;
  }
  return {healthy, why};
}

std::string Service::statusLine() const {  // mutex_ held
  if (runners_.size() == 1) return runners_.front()->statusLine();
  return std::to_string(held()) + " of " + std::to_string(runners_.size()) +
         " partner accounts scanned here";
}

int Service::held() const {
  int n = 0;
  for (const auto& r : runners_) n += r->holding() ? 1 : 0;
  return n;
}

int Service::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  notifier_.ready("started; first scan now");
  for (const auto& r : runners_)
    log().info("cspwatch running: {}scanning every {}",
               several() ? "partner " + r->name() + ": " : "",
               formatDuration(r->load().config.schedule_interval));
  due_files_ = Steady::now() + options_.file_check;
  due_watchdog_ = due_registry_ = Steady::now();
  while (!stop_) {
    tellWatchdog();
    if (!reload_requested_ && Steady::now() >= due_files_) {
      due_files_ = Steady::now() + options_.file_check;
      if (fingerprint(*loaded_) != files_) reload_requested_ = true;
    }
    if (reload_requested_) {
      reload_requested_ = false;
      lock.unlock();
      reload("SIGHUP or a changed file");
      lock.lock();
      continue;
    }
    if (registry_ && Steady::now() >= due_registry_) {
      stepRegistry(lock);
      continue;
    }
    if (stepLeases(lock)) continue;
    rebalance();
    bool started = false;
    for (auto& r : runners_) started = r->startDueJob(rng_) || started;
    if (started) continue;
    wake_.wait_until(lock, nextWake());
  }
  return shutDown(lock);
}

// The registry of instances (several accounts only): how many share them, so each holds its
// share.
void Service::stepRegistry(std::unique_lock<std::mutex>& lock) {
  due_registry_ =
      Steady::now() + std::chrono::duration_cast<Steady::duration>(store_at_.lease_period) / 3;
  lock.unlock();
  Status error;
  int live = live_instances_;
  if (auto store = config::openStore(store_at_)) {
    storage::Leases leases(store->db());
    live = registry_->step(leases, clock_.now(), Steady::now(), &error);
  } else {
    error = store.status();
  }
  lock.lock();
  if (!error.isOk()) log().warn("the registry of instances: {}", error.message());
  if (live != live_instances_)
    log().info("{} instance(s) share the {} partner accounts: each holds at most {}", live,
               runners_.size(), InstanceRegistry::share(static_cast<int>(runners_.size()), live));
  live_instances_ = live;
}

// One due lease step, if any (it releases the lock): whether one was made.
bool Service::stepLeases(std::unique_lock<std::mutex>& lock) {
  const int share = InstanceRegistry::share(static_cast<int>(runners_.size()), live_instances_);
  for (auto& r : runners_) {
    if (!r->leaseDue()) continue;
    r->stepLease(lock, self_, holderGone, !several() || held() < share);
    return true;
  }
  return false;
}

// More accounts held than this instance's share (another instance joined): one idle one given
// up, for another instance to take at its next step.
void Service::rebalance() {
  if (!several()) return;
  const int share = InstanceRegistry::share(static_cast<int>(runners_.size()), live_instances_);
  if (held() <= share) return;
  for (auto& r : runners_)
    if (r->giveUp()) {
      log().info("{} instance(s) share the accounts: gave up partner {} for another to scan",
                 live_instances_, r->name());
      return;
    }
}

// Only while the run loop turns and every running job shows progress: a scan stuck for longer
// than options_.stall_bound lets systemd restart the service.
void Service::tellWatchdog() {
  const auto watchdog = notifier_.watchdogInterval();
  if (!watchdog || Steady::now() < due_watchdog_) return;
  Steady::duration stalled(0);
  for (const auto& r : runners_) stalled = std::max(stalled, r->stalledFor());
  if (stalled < options_.stall_bound)
    notifier_.watchdog();
  else
    log().error("no progress for {} s: no longer telling systemd we are alive",
                std::chrono::duration_cast<std::chrono::seconds>(stalled).count());
  due_watchdog_ = Steady::now() + *watchdog;
}

// Sleep until the next thing to do (or a request, or a job's end, wakes us).
Service::Steady::time_point Service::nextWake() const {
  auto until = due_files_;
  if (notifier_.watchdogInterval()) until = std::min(until, due_watchdog_);
  if (registry_) until = std::min(until, due_registry_);
  for (const auto& r : runners_) until = std::min(until, r->nextWake());
  return until;
}

// Stopping: the workers were cancelled by requestStop(); give them a bounded time.
int Service::shutDown(std::unique_lock<std::mutex>& lock) {
  notifier_.stopping("stopping");
  log().info("stopping");
  const auto deadline = Steady::now() + options_.stop_bound;
  const bool finished = wake_.wait_until(lock, deadline, [this] {
    return std::none_of(runners_.begin(), runners_.end(), [](auto& r) { return r->busy(); });
  });
  lock.unlock();
  if (http_ && http_->server) http_->server->stop();
  if (!finished) {
    // A job is stuck in a call that cannot be cancelled (a server that does not answer). Mark
    // its scan interrupted over a connection of our own, and leave at once: returning would
    // destroy what the job still uses.
    log().error("a running job did not stop within {} ms; exiting without it",
                options_.stop_bound.count());
    for (auto& r : runners_)
      if (r->busy()) r->interruptStuckScan();
    log().flush();
    std::fflush(nullptr);
    std::_Exit(0);
  }
  // Standbys take the accounts over at their next step, not a lease period later.
  for (auto& r : runners_) {
    r->join();
    r->releaseLease();
  }
  if (registry_)
    if (auto store = config::openStore(store_at_)) {
      storage::Leases leases(store->db());
      registry_->leave(leases, clock_.now());
    }
  log().info("stopped");
  return 0;
}

}  // namespace cspwatch::daemon
