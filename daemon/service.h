// SPDX-License-Identifier: Apache-2.0
// `cspwatch run`: the long-running service (docs/operations.md). It scans on start and then
// every schedule.interval (plus jitter), never two scans at once; delivers due alert mail
// between scans; reloads the configuration, rules and templates on SIGHUP or when their files
// change (everything is loaded and checked first, then swapped; on any error the last good set
// stays in force); serves /healthz, /metrics and /v1/scan; requests monitoring.heartbeat's URL
// after each scan that read tenants (daemon/heartbeat.h); and tells systemd about all of it.
// On stop it cancels the running scan (which is marked interrupted and applied never) and
// returns within `stop_bound`.
//
// Only the instance holding the partner account's lease scans (daemon/lease_keeper.h,
// daemon/service_lease.cpp): any number may share one database; the others stand by, deliver
// queued alerts (each message claimed by one of them) and take the lease over when its holder
// stops renewing. An instance scans when it gains the lease (at start, or on taking over) and
// then every interval; on a clean stop it gives the lease up.
//
// Threads: run() is the scheduler; one worker thread runs a scan or a delivery at a time;
// the HTTP endpoint has its own. requestScan/requestReload/requestStop may be called from any
// thread (signal handler thread, HTTP handler).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "config/app_config.h"
#include "daemon/lease_keeper.h"
#include "daemon/metrics.h"
#include "daemon/systemd_notify.h"
#include "msapi/cancellation.h"
#include "msapi/pacer.h"
#include "scan/scan_job.h"
#include "storage/finding_store.h"

namespace cspwatch::daemon {

struct ServiceOptions {
  std::string config_path;
  std::chrono::milliseconds file_check{5000};       // how often files are checked for changes
  std::chrono::milliseconds delivery_check{30000};  // how often due mail is looked for
  double jitter = 0.1;  // up to this share of the interval (at most 10 min) added to each wait
  std::chrono::milliseconds stop_bound{8000};  // a running scan gets this long to stop
  // A job with no progress (a tenant read) for this long is stuck: the watchdog stops being
  // fed, so that systemd restarts the service.
  std::chrono::milliseconds stall_bound{15 * 60 * 1000};
};

// When the scan after one that started at `last_start` is due: `interval` later plus a random
// jitter in [0, min(interval * fraction, 10 min)], so that many installations do not call
// Partner Center at the same moment.
Timestamp nextScanTime(Timestamp last_start, Seconds interval, double jitter_fraction,
                       std::mt19937_64& rng);

class Service {
 public:
  explicit Service(ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Loads the configuration, rules and templates and binds the HTTP endpoint. Problems are
  // written to `err` (with file:line:column) and returned; the service must not run then.
  Status start(std::ostream& err);
  // Runs until requestStop(); returns the process exit code (0 after a clean stop).
  int run();

  void requestScan();
  void requestReload();
  void requestStop();

 private:
  struct Loaded;
  Status load(std::ostream& err, std::shared_ptr<const Loaded>& out);
  void reload(const std::string& why);
  std::string fingerprint(const config::AppConfig& config) const;
  using Steady = std::chrono::steady_clock;
  // A scan "due" this far ahead is not due (a standby's): far, yet safe to add to a steady clock.
  static constexpr Seconds kNotDue = std::chrono::hours(24 * 365 * 10);
  struct Deadlines {  // of the run loop
    Timestamp scan;
    Steady::time_point files, delivery, watchdog, lease;
  };
  // daemon/service_lease.cpp: the lease's step of the run loop (mutex_ held by `lock`, released
  // for the database work), and giving it up on a clean stop.
  // `cfg`: a copy of the configuration in force (the lock is released meanwhile).
  void stepLease(std::unique_lock<std::mutex>& lock, Deadlines& due, const config::AppConfig& cfg);
  void releaseLease(const config::AppConfig& cfg);
  std::string leaseName() const { return "partner:" + partner_key_; }
  void tellWatchdog(Deadlines& due);
  bool startDueJob(Deadlines& due);
  Steady::time_point nextWake(const Deadlines& due) const;
  int shutDown(std::unique_lock<std::mutex>& lock);
  void launch(bool scan);
  void work(bool scan, std::shared_ptr<const Loaded> loaded, std::optional<storage::Fence> fence);
  // work()'s job with the database open (its scan fenced by `fence`): the scan, or delivery
  // alone. The status line.
  std::string job(bool scan, const Loaded& loaded, const std::optional<storage::Fence>& fence);
  std::string storeUnavailable(bool scan, const Status& why);
  // The store, where it was at start (a reload does not move it: storage.* takes effect at the
  // next restart), with `cfg`'s options.
  Result<storage::FindingStore> openStore(const config::AppConfig& cfg) const;
  std::string runScan(storage::FindingStore& store, const Loaded& loaded,
                      const std::optional<scan::MailDelivery>& delivery);
  std::string scanApplied(const storage::ScanSummary& summary, const scan::ScanSourceReport& source,
                          Timestamp now, double took);
  std::string scanNotApplied(const Status& why, double took);
  void heartbeat(const config::AppConfig& cfg);
  void noteDelivery(const Result<scan::SendReport>& sent);
  void setOutboxGauges(storage::FindingStore& store);
  std::pair<bool, std::string> health() const;
  std::string statusLine() const;

  ServiceOptions options_;
  SystemClock clock_;
  SystemdNotifier notifier_;
  Metrics metrics_;
  msapi::Cancellation cancel_;
  // What the scans learnt of the services' limits, kept for the next (msapi/pacer.h).
  std::shared_ptr<msapi::Pacer> pacer_ = std::make_shared<msapi::Pacer>();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const Loaded> loaded_;  // swapped whole on reload
  std::string files_;                     // fingerprint of the files loaded_ came from
  bool stop_ = false, scan_requested_ = false, reload_requested_ = false;
  bool busy_ = false;  // the worker is running a job
  bool scan_running_ = false;
  std::thread worker_;
  Timestamp started_at_;
  std::optional<Timestamp> last_scan_start_;
  std::optional<Timestamp> last_success_;       // the last scan that read tenants (from the db)
  std::optional<std::string> sign_in_failure_;  // the last scan could not sign in as the user
  bool scan_failed_since_success_ = false;
  std::atomic<int64_t> last_progress_{0};  // steady_clock ticks of the job's last progress
  void touch() { last_progress_ = std::chrono::steady_clock::now().time_since_epoch().count(); }
  std::string last_outcome_ = "no scan yet";
  struct Endpoint;
  std::unique_ptr<Endpoint> http_;
  // The lease: kept by the run loop, over a database connection of its own at each step.
  std::string partner_key_ = "default";  // the partner account's name (the metrics' label)
  std::unique_ptr<LeaseKeeper> lease_;
  bool holding_ = false;                             // mutex_: this instance scans
  std::optional<storage::Fence> fence_;              // mutex_: what the scan's writes must match
  std::string lease_holder_;                         // mutex_: who holds it, as last read
  std::optional<Steady::time_point> lease_read_at_;  // mutex_: the last step that read it
  config::AppConfig store_at_;                       // the storage keys at start (openStore())
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace cspwatch::daemon
