// SPDX-License-Identifier: Apache-2.0
// One partner account in `cspwatch run` (daemon/service.h): its lease, its scans on its own
// schedule with its own pacing (what the scans learn of the services' limits is the account's
// own: Partner Center's limits are per partner), the delivery of its outbox, and what /healthz
// and /metrics say of it. The service makes one per account (config::partnerConfigs) and its
// run loop steps them all; each runs its jobs (a scan, or delivery alone) on a worker thread of
// its own, one job at a time.
//
// Locking: every member but the constructor, openAtStart() and the worker's own work runs with
// the service's mutex (RunnerContext::mutex) held; stepLease() releases it for the database
// work and takes it again.
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
#include <utility>

#include "common/clock.h"
#include "common/status.h"
#include "config/app_config.h"
#include "daemon/lease_keeper.h"
#include "daemon/metrics.h"
#include "daemon/service_options.h"
#include "daemon/systemd_notify.h"
#include "msapi/cancellation.h"
#include "msapi/pacer.h"
#include "rules/rule_set.h"
#include "scan/alert_pipeline.h"
#include "scan/scan_job.h"
#include "storage/finding_store.h"

namespace cspwatch::daemon {

// What one account's scans need, loaded and checked together; replaced whole on reload.
struct PartnerLoad {
  config::AppConfig config;  // the account's own (config::partnerConfigs)
  std::shared_ptr<const rules::RuleSet> rules;
  std::shared_ptr<scan::AlertPipeline> pipeline;  // null without an alerts section
};

// What the runners share with the service that owns them; all of it outlives them.
struct RunnerContext {
  const ServiceOptions* options;
  const Clock* clock;
  SystemdNotifier* notifier;
  Metrics* metrics;
  std::mutex* mutex;              // guards every runner's state and the service's
  std::condition_variable* wake;  // notified when a job ends
  int* scans_running;             // across runners (ServiceOptions::max_parallel_scans)
  bool several;                   // more than one account: log lines name theirs
};

class PartnerRunner {
 public:
  using Steady = std::chrono::steady_clock;
  // A standby's refresh token older than this is used once (above).
  static constexpr Seconds kSignInRefreshAge = std::chrono::hours(24);
  // A scan "due" this far ahead is not due (a standby's): far, yet safe to add to a steady clock.
  static constexpr Seconds kNotDue = std::chrono::hours(24 * 365 * 10);

  PartnerRunner(RunnerContext ctx, std::shared_ptr<const PartnerLoad> load);
  ~PartnerRunner();  // waits for the worker (the service cancelled and waited for it first)
  PartnerRunner(const PartnerRunner&) = delete;
  PartnerRunner& operator=(const PartnerRunner&) = delete;

  // Before the run loop, without the mutex: opens (and migrates) the account's store, which
  // stays where it is until a restart, and remembers its last successful scan. Problems are
  // written to `err`.
  Status openAtStart(std::ostream& err);

  // The account's name: fixed for the runner's life (a reload keeps it, config::partnerConfigs),
  // so the worker thread reads it without the mutex.
  const std::string& name() const { return name_; }
  const PartnerLoad& load() const { return *load_; }
  void setLoad(std::shared_ptr<const PartnerLoad> load);  // a reload

  // The lease's step, when leaseDue(): gains, renews, loses or watches the account's lease
  // (daemon/partner_lease.cpp). `may_take`: whether this instance may take one more account.
  // Returns the holder it took the lease over from ("" when it did not).
  bool leaseDue() const { return Steady::now() >= due_lease_; }
  std::string stepLease(std::unique_lock<std::mutex>& lock, const storage::LeaseHolder& self,
                        const LeaseKeeper::HolderGone& gone, bool may_take);
  // Gives the lease up while idle, so that another instance takes the account (the instances'
  // shares changed); false when busy, not held, or the store cannot be reached (it stays held
  // then, and scanned here).
  bool giveUp();
  // A clean stop: gives the lease up (the worker has ended); whether it was given up.
  bool releaseLease();
  bool holding() const { return holding_; }

  // Starts the job that is due, if the worker is idle: a scan when one is due or was asked for
  // (and a slot is free), else delivery when it is due. Whether one was started.
  bool startDueJob(std::mt19937_64& rng);
  // When this runner has something to do next (its job's end wakes the service anyway).
  Steady::time_point nextWake() const;
  void requestScan() { scan_requested_ = true; }
  // Cancels the running job (a stop).
  void cancel() { cancel_.cancel(); }
  bool busy() const { return busy_; }
  // How long the running job has shown no progress (0 when idle).
  Steady::duration stalledFor() const;
  // A stop whose job did not end in time: marks this account's running scan interrupted (over
  // a connection of its own; only while holding the lease).
  void interruptStuckScan();
  void join();

  // /healthz for this account: healthy?, why.
  std::pair<bool, std::string> health() const;
  const std::string& statusLine() const { return last_outcome_; }

 private:
  enum class Job { kScan, kDelivery, kSignIn };
  void launch(Job what);
  void work(Job what, std::shared_ptr<const PartnerLoad> load, std::optional<storage::Fence> fence);
  std::string job(Job what, const PartnerLoad& load, const std::optional<storage::Fence>& fence);
  // Whether a standby's refresh token is due for use (above); checked every lease step.
  bool signInDue();
  // The sign-in job: the refresh-token grant in the partner tenant, once. The status line ("").
  std::string keepSignIn(const config::AppConfig& cfg);
  Result<storage::FindingStore> openStore(const config::AppConfig& cfg) const;
  std::string storeUnavailable(bool scan, const Status& why);
  std::string runScan(storage::FindingStore& store, const PartnerLoad& load,
                      const std::optional<scan::MailDelivery>& delivery);
  std::string scanApplied(const storage::ScanSummary& summary, const scan::ScanSourceReport& source,
                          Timestamp now, double took);
  std::string scanNotApplied(const Status& why, double took);
  void heartbeat(const config::AppConfig& cfg);
  void noteDelivery(const Result<scan::SendReport>& sent);
  void setOutboxGauges(storage::FindingStore& store);
  void touch() { last_progress_ = Steady::now().time_since_epoch().count(); }
  // "" for the only account; "partner NAME: " when there are several (log lines, status).
  std::string who() const;
  std::string leaseName() const { return "partner:" + name(); }

  RunnerContext ctx_;
  const std::string name_;
  const bool several_;                       // ctx_.several: log lines name the account
  std::shared_ptr<const PartnerLoad> load_;  // swapped whole on reload (the worker has its own)
  config::AppConfig store_at_;               // the storage keys at start (openStore())
  msapi::Cancellation cancel_;
  // What the scans learnt of the services' limits, kept for the next (msapi/pacer.h).
  std::shared_ptr<msapi::Pacer> pacer_ = std::make_shared<msapi::Pacer>();
  std::thread worker_;
  bool busy_ = false;  // the worker is running a job
  bool scan_running_ = false;
  bool scan_requested_ = false;
  std::atomic<int64_t> last_progress_{0};  // steady_clock ticks of the job's last progress
  Timestamp started_at_;
  Timestamp due_scan_;  // not due until the lease is gained
  Steady::time_point due_delivery_, due_lease_;
  Steady::time_point due_sign_in_check_{};  // the next look at the refresh token's age
  std::optional<Timestamp> last_scan_start_;
  std::optional<Timestamp> last_success_;       // the last scan that read tenants (from the db)
  std::optional<std::string> sign_in_failure_;  // the last scan could not sign in as the user
  // The refresh token file's modification time (ns) when a standby found the sign-in refused:
  // not tried again until the file changes; a new token (`auth login`) is tried at once.
  std::optional<int64_t> refused_token_mtime_;
  bool scan_failed_since_success_ = false;
  std::string last_outcome_ = "no scan yet";
  // The lease: stepped by the run loop, over a database connection of its own at each step.
  std::unique_ptr<LeaseKeeper> lease_;
  bool holding_ = false;                             // this instance scans the account
  std::optional<storage::Fence> fence_;              // what the scan's writes must match
  std::string lease_holder_;                         // who holds it, as last read
  std::optional<Steady::time_point> lease_read_at_;  // the last step that read it
};

}  // namespace cspwatch::daemon
