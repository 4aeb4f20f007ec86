// SPDX-License-Identifier: Apache-2.0
// The bounded worker pool: every item worked on and delivered once, deliveries one at a time,
// at most `workers` items in hand, a failed delivery stops it, a cancellation stops it taking
// items.
#include "msapi/worker_pool.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <set>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "common/logging.h"

using namespace cspwatch;
using namespace cspwatch::msapi;

namespace {

std::vector<int> numbers(int n) {
  std::vector<int> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// Counts the items in hand at once: each enter() waits, up to a deadline, until `target` items
// have been in hand together.
class Rendezvous {
 public:
  explicit Rendezvous(size_t target) : target_(target) {}
  void enter() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++in_hand_;
    peak_ = std::max(peak_, in_hand_);
    cv_.notify_all();
    cv_.wait_until(lock, std::chrono::steady_clock::now() + std::chrono::seconds(20),
                   [this] { return peak_ >= target_; });
    --in_hand_;
  }
  size_t peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    return peak_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  size_t target_;
  size_t in_hand_ = 0;
  size_t peak_ = 0;
};

}  // namespace

TEST_CASE("worker pool: every item is worked on and delivered once, and progress counts them") {
  std::vector<int> items = numbers(100);
  Cancellation cancel;
  std::multiset<int> delivered;
  std::vector<std::pair<size_t, size_t>> progress;
  std::atomic<bool> delivering{false};
  bool overlapped = false;
  PoolSteps<int> steps;
  steps.work = [](int& i) { i = i * 2 + 1; };
  steps.deliver = [&](int& i) {
    if (delivering.exchange(true)) overlapped = true;
    delivered.insert(i);
    delivering = false;
    return Status::ok();
  };
  steps.delivered = [&](size_t done, size_t total) { progress.emplace_back(done, total); };
  auto result = runWorkerPool(items, 8, cancel, steps);
  REQUIRE(result);
  CHECK(*result == 100);
  CHECK_FALSE(overlapped);
  std::multiset<int> expected;
  for (int i = 0; i < 100; ++i) expected.insert(i * 2 + 1);
  CHECK(delivered == expected);
  REQUIRE(progress.size() == 100);
  for (size_t i = 0; i < progress.size(); ++i) {
    CHECK(progress[i].first == i + 1);
    CHECK(progress[i].second == 100);
  }
}

TEST_CASE("worker pool: as many items in hand at once as workers, never more") {
  std::vector<int> items = numbers(40);
  Cancellation cancel;
  Rendezvous together(4);
  PoolSteps<int> steps;
  steps.work = [&](int&) { together.enter(); };
  steps.deliver = [](int&) { return Status::ok(); };
  auto result = runWorkerPool(items, 4, cancel, steps);
  REQUIRE(result);
  CHECK(*result == 40);
  CHECK(together.peak() == 4);
}

TEST_CASE("worker pool: no more workers than items, and none needed for no items") {
  std::vector<int> one = numbers(1);
  Cancellation cancel;
  int worked = 0;
  PoolSteps<int> steps;
  steps.work = [&](int&) { ++worked; };  // one item, so one worker: no race
  steps.deliver = [](int&) { return Status::ok(); };
  auto result = runWorkerPool(one, 16, cancel, steps);
  REQUIRE(result);
  CHECK(*result == 1);
  CHECK(worked == 1);

  std::vector<int> none;
  auto empty = runWorkerPool(none, 16, cancel, steps);
  REQUIRE(empty);
  CHECK(*empty == 0);
}

TEST_CASE("worker pool: a failed delivery stops the pool and is its result") {
  std::vector<int> items = numbers(200);
  Cancellation cancel;
  size_t deliveries = 0;
  PoolSteps<int> steps;
  steps.work = [](int&) {};
  steps.deliver = [&](int&) {
    return ++deliveries == 3 ? Status::ioError("the sink is full") : Status::ok();
  };
  size_t last_done = 0;
  steps.delivered = [&](size_t done, size_t) { last_done = done; };
  auto result = runWorkerPool(items, 4, cancel, steps);
  REQUIRE_FALSE(result);
  CHECK(result.status().code() == Status::Code::kIoError);
  CHECK(result.status().message() == "the sink is full");
  CHECK(deliveries == 3);  // nothing delivered after the failure
  CHECK(last_done == 2);
}

TEST_CASE("worker pool: once cancelled no item is taken, the ones in hand are delivered") {
  std::vector<int> items = numbers(1000);
  Cancellation cancel;
  std::atomic<size_t> worked{0};
  PoolSteps<int> steps;
  steps.work = [&](int&) { ++worked; };
  steps.deliver = [&](int&) {
    cancel.cancel();
    return Status::ok();
  };
  auto result = runWorkerPool(items, 4, cancel, steps);
  REQUIRE(result);  // the caller says what a stop means
  CHECK(*result == worked.load());
  CHECK(*result >= 1);
  CHECK(*result <= 4);  // at most one item in hand per worker when the first was delivered

  Cancellation already;
  already.cancel();
  std::vector<int> untouched = numbers(10);
  auto none = runWorkerPool(untouched, 4, already, steps);
  REQUIRE(none);
  CHECK(*none == 0);
  CHECK(untouched == numbers(10));  // nothing taken
}

TEST_CASE("worker pool: the workers log with their creator's LogScope prefix") {
  std::ostringstream captured;
  addLogStream(captured);
  {
    LogScope scope("partner contoso: ");
    std::vector<int> items = {1, 2, 3};
    Cancellation cancel;
    PoolSteps<int> steps;
    steps.work = [](int& i) { log().warn("work {}", i); };
    steps.deliver = [](int&) { return Status::ok(); };
    REQUIRE(runWorkerPool(items, 3, cancel, steps));
    log().warn("creator");
  }
  log().warn("outside");
  removeLogStreams();
  const std::string logged = captured.str();
  INFO(logged);
  for (const char* line :
       {"warning: partner contoso: work 1\n", "warning: partner contoso: work 2\n",
        "warning: partner contoso: work 3\n", "warning: partner contoso: creator\n",
        "warning: outside\n"})
    CHECK(logged.find(line) != std::string::npos);
}
