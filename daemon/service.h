// SPDX-License-Identifier: Apache-2.0
// `cspwatch run`: the long-running service (docs/operations.md). It serves every partner
// account of the configuration (config::partnerConfigs; one without `partners:`), each through
// a PartnerRunner (daemon/partner_runner.h): scans on start and then every schedule.interval
// (plus jitter), never two scans of one account at once and at most
// ServiceOptions::max_parallel_scans in all; delivers due alert mail between scans; reloads the
// configuration, rules and templates on SIGHUP or when their files change (everything is
// loaded and checked first, then swapped; on any error the last good set stays in force);
// serves /healthz, /metrics and /v1/scan; requests monitoring.heartbeat's URL after each scan
// that read tenants (daemon/heartbeat.h); and tells systemd about all of it. On stop it cancels
// the running scans (which are marked interrupted and applied never) and returns within
// `stop_bound`.
//
// Only the instance holding an account's lease scans it (daemon/lease_keeper.h): any number
// may share one database; the others stand by, deliver queued alerts (each message claimed by
// one of them) and take the lease over when its holder stops renewing. With several accounts
// the instances spread them, each holding at most its share (daemon/instance_registry.h). An
// instance scans an account when it gains its lease (at start, or on taking over) and then every
// interval; on a clean stop it gives its leases up.
//
// Threads: run() is the scheduler; each account's runner has one worker thread for its jobs;
// the HTTP endpoint has its own. requestScan/requestReload/requestStop may be called from any
// thread (signal handler thread, HTTP handler).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "config/app_config.h"
#include "daemon/instance_registry.h"
#include "daemon/metrics.h"
#include "daemon/partner_runner.h"
#include "daemon/service_options.h"
#include "daemon/systemd_notify.h"

namespace cspwatch::daemon {

class Service {
 public:
  explicit Service(ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Loads the configuration, rules and templates, opens every account's store and binds the
  // HTTP endpoint. Problems are written to `err` (with file:line:column) and returned; the
  // service must not run then.
  Status start(std::ostream& err);
  // Runs until requestStop(); returns the process exit code (0 after a clean stop).
  int run();

  void requestScan();  // of every account this instance holds
  void requestReload();
  void requestStop();

 private:
  // Everything the accounts' scans need, loaded and checked together; replaced whole on reload.
  struct Loaded {
    config::AppConfig config;                                  // the top level as read
    std::vector<std::shared_ptr<const PartnerLoad>> partners;  // in the order written
  };
  using Steady = std::chrono::steady_clock;

  Status load(std::ostream& err, std::shared_ptr<const Loaded>& out) const;
  Status startEndpoint(const config::AppConfig& cfg, std::ostream& err);
  void reload(const std::string& why);
  void swapIn(std::shared_ptr<const Loaded> fresh);
  std::string fingerprint(const Loaded& loaded) const;
  // The run loop's steps (mutex_ held by `lock`, released for the database work).
  void stepRegistry(std::unique_lock<std::mutex>& lock);
  bool stepLeases(std::unique_lock<std::mutex>& lock);
  void rebalance();
  int held() const;
  void tellWatchdog();
  Steady::time_point nextWake() const;
  int shutDown(std::unique_lock<std::mutex>& lock);
  std::pair<bool, std::string> health() const;
  std::string statusLine() const;
  bool several() const { return runners_.size() > 1; }

  ServiceOptions options_;
  SystemClock clock_;
  SystemdNotifier notifier_;
  Metrics metrics_;
  std::mt19937_64 rng_{std::random_device{}()};
  const storage::LeaseHolder self_ = thisInstance();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const Loaded> loaded_;  // swapped whole on reload
  std::string files_;                     // fingerprint of the files loaded_ came from
  bool stop_ = false, reload_requested_ = false;
  int scans_running_ = 0;
  // One per account, made at start: accounts added or removed take effect at the next restart.
  std::vector<std::unique_ptr<PartnerRunner>> runners_;
  // With several accounts: the instances sharing them, over the top-level store (store_at_).
  std::unique_ptr<InstanceRegistry> registry_;
  int live_instances_ = 1;
  config::AppConfig store_at_;  // the top level's storage keys at start
  Steady::time_point due_files_, due_watchdog_, due_registry_;
  struct Endpoint;
  std::unique_ptr<Endpoint> http_;
};

}  // namespace cspwatch::daemon
