// SPDX-License-Identifier: Apache-2.0
// Reconciling a scan in the findings store (a real SQLite file in $TMPDIR): 100,000 open
// findings (10,000 tenants x 5 rules x 2 subjects) re-applied unchanged, then with 1% of them
// resolved (three times, reopened in between), and the database's growth per unchanged scan.
// Apply times are wall time (it waits for fsync) and the process's CPU time; with other work
// on the machine the minimum and the CPU time are the steadier figures.
//
// Usage: storage_bench [TENANTS]   (default 10000)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "storage/finding_store.h"

using namespace cspwatch;
using namespace cspwatch::storage;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double cpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

off_t fileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int tenants = argc > 1 ? std::atoi(argv[1]) : 10000;
  const std::vector<std::string> rules = {"r1", "r2", "r3", "r4", "r5"};
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp ? tmp : "/tmp") + "/cspwatch-storage-bench-" +
                           std::to_string(::getpid()) + ".db";
  auto store = FindingStore::open(path);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    return 1;
  }
  Timestamp now = *parseTimestamp("2026-11-25T00:00:00Z");
  std::vector<std::string> ids;
  for (int i = 0; i < tenants; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "%08x-0000-4000-8000-000000000000", i);
    ids.push_back(id);
  }
  // One scan: stage every tenant and evaluation, then apply. `resolved_every`: every Nth
  // tenant's r1 passes (0 = none).
  bool alert_queries = false;
  size_t reminded = 0;
  double apply_cpu = 0;  // CPU time of the last apply
  auto scan = [&](int resolved_every, double& stage_s, double& apply_s) {
    now += std::chrono::hours(6);
    auto t0 = Clock::now();
    auto id = store->beginScan(now, "bench");
    for (int i = 0; i < tenants; ++i) {
      (void)store->stageTenant(
          {ids[i], "Tenant " + std::to_string(i), ReadStatus::kFull, "[]", {}});
      for (const auto& r : rules) {
        Evaluation e{r, ids[i], EvalOutcome::kFail, false, "", {}};
        if (resolved_every > 0 && r == "r1" && i % resolved_every == 0) {
          e.outcome = EvalOutcome::kPass;
        } else {
          for (const char* subject : {"subject-a", "subject-b"})
            e.failures.push_back({subject, "high", "Tenant " + std::to_string(i) + " fails " + r,
                                  "Fix it.", "{\"id\":\"" + std::string(subject) + "\"}"});
        }
        (void)store->stageEvaluation(e);
      }
    }
    stage_s = seconds(t0);
    auto t1 = Clock::now();
    // With alert_queries, the apply transaction also runs the queries the alert pipeline
    // makes in every scan (scan/alert_pipeline.cpp, through scan/scan_job.cpp): due reminders,
    // could-not-check streaks, tenant tags.
    auto queries = [&]() -> Status {
      auto due = store->remindersDue(now, {std::chrono::hours(24), std::chrono::hours(48)});
      auto streaks = store->unknownStreaks();
      auto tags = store->tenantTags();
      if (!due || !streaks || !tags) return Status::ioError("alert queries failed");
      std::vector<int64_t> finding_ids;
      for (const auto& f : *due) finding_ids.push_back(f.id);
      reminded = finding_ids.size();
      return store->recordReminders(finding_ids, now);
    };
    const double c1 = cpuSeconds();
    Result<ScanSummary> sum = Status::ioError("no transaction");
    if (auto tx = store->beginApply()) {
      sum = store->applyStaged(**tx, *id, rules, true, now);
      if (sum && alert_queries)
        if (Status s = queries(); !s) sum = s;
      if (sum)
        if (Status s = (*tx)->commit(); !s) sum = s;
    }
    apply_s = seconds(t1);
    apply_cpu = cpuSeconds() - c1;
    if (!sum) std::fprintf(stderr, "apply failed: %s\n", sum.status().message().c_str());
    return sum ? *sum : ScanSummary{};
  };
  double stage = 0, apply = 0;
  ScanSummary first = scan(0, stage, apply);
  std::printf("first scan: %d findings opened (stage %.2fs, apply %.2fs)\n", first.findings_new,
              stage, apply);
  (void)store->db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const off_t size_before = fileSize(path);
  const int unchanged_scans = 5;
  double apply_total = 0, stage_total = 0, apply_min = 1e9, cpu_total = 0;
  for (int i = 0; i < unchanged_scans; ++i) {
    scan(0, stage, apply);
    apply_total += apply;
    apply_min = std::min(apply_min, apply);
    cpu_total += apply_cpu;
    stage_total += stage;
  }
  (void)store->db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const off_t size_after = fileSize(path);
  std::printf(
      "unchanged scan of %d open findings: apply %.3fs (min %.3fs, cpu %.3fs), staging %.3fs "
      "(mean of %d)\n",
      first.findings_open, apply_total / unchanged_scans, apply_min, cpu_total / unchanged_scans,
      stage_total / unchanged_scans, unchanged_scans);
  std::printf("database growth per unchanged scan: %.0f bytes (%lld -> %lld over %d scans)\n",
              double(size_after - size_before) / unchanged_scans,
              static_cast<long long>(size_before), static_cast<long long>(size_after),
              unchanged_scans);
  // The first scan a day after opening finds every finding due for its first reminder (the
  // worst case: all 100,000 at once); the scans after it find none due.
  alert_queries = true;
  scan(0, stage, apply);
  std::printf("scan with the alert pipeline's queries, %zu reminders due: apply %.3fs\n", reminded,
              apply);
  double with_alerts = 0;
  for (int i = 0; i < unchanged_scans; ++i) {
    scan(0, stage, apply);
    with_alerts += apply;
  }
  alert_queries = false;
  std::printf(
      "unchanged scan with the alert pipeline's queries, %zu due: apply %.3fs (mean of %d)\n",
      reminded, with_alerts / unchanged_scans, unchanged_scans);
  // Every 20th tenant's r1 (2 findings) resolves: 1% of findings; then they fail again
  // (reopened, another 1% change), three times over.
  std::vector<double> resolve_wall, resolve_cpu;
  ScanSummary changed;
  for (int i = 0; i < 3; ++i) {
    changed = scan(20, stage, apply);
    resolve_wall.push_back(apply);
    resolve_cpu.push_back(apply_cpu);
    scan(0, stage, apply);
  }
  std::sort(resolve_wall.begin(), resolve_wall.end());
  std::sort(resolve_cpu.begin(), resolve_cpu.end());
  std::printf(
      "scan with %d of %d findings resolved (%.1f%%): apply %.3fs (median of 3; min %.3fs, "
      "cpu %.3fs), staging %.3fs\n",
      changed.findings_resolved, first.findings_open,
      100.0 * changed.findings_resolved / first.findings_open, resolve_wall[1], resolve_wall[0],
      resolve_cpu[1], stage);
  ::unlink(path.c_str());
  ::unlink((path + "-wal").c_str());
  ::unlink((path + "-shm").c_str());
  return 0;
}
