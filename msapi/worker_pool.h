// SPDX-License-Identifier: Apache-2.0
// A bounded pool of worker threads over a list of items: how a source reads many tenants at
// once while ApiClient paces the calls they make.
//
// runWorkerPool() starts up to `workers` threads (at least one, never more than there are
// items). Each takes the next item in list order, moves it out of the list, works on it (many
// at once, on any thread), then delivers it: deliveries happen one at a time, never
// concurrently, in the order the work finishes, and after each one `delivered` is told how many
// have been delivered of how many. An item is destroyed once delivered, so the pool holds only
// the items in hand, never every finished one.
//
// A delivery that fails stops the pool: no further item is delivered (items in hand are
// finished and dropped) and that error is the result. Once `cancel` is cancelled no worker
// takes another item; the items in hand are finished and delivered, and the result is the
// number delivered, as after a complete run: the caller, which knows what was stopped, says so.
// Blocks until every thread has ended. `items` must outlive the call; its items are left moved
// from.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/logging.h"
#include "common/status.h"
#include "msapi/cancellation.h"

namespace cspwatch::msapi {

template <typename Item>
struct PoolSteps {
  std::function<void(Item&)> work;       // on any worker, many at once
  std::function<Status(Item&)> deliver;  // one at a time; an error stops the pool
  std::function<void(size_t done, size_t total)> delivered;  // after each delivery; may be empty
};

// The number of items delivered, or the first delivery's error.
template <typename Item>
Result<size_t> runWorkerPool(std::vector<Item>& items, int workers, const Cancellation& cancel,
                             const PoolSteps<Item>& steps) {
  std::mutex deliver_mutex;  // guards the three below
  Status failed;
  size_t done = 0;
  std::atomic<size_t> next{0};
  const std::string log_prefix = LogScope::current();  // the workers log as their creator does
  auto worker = [&] {
    LogScope scope(log_prefix);
    while (!cancel.cancelled()) {
      const size_t i = next++;
      if (i >= items.size()) return;
      Item item = std::move(items[i]);
      steps.work(item);
      std::lock_guard<std::mutex> lock(deliver_mutex);
      if (!failed.isOk()) return;
      if (Status s = steps.deliver(item); !s) {
        failed = s;
        return;
      }
      ++done;
      if (steps.delivered) steps.delivered(done, items.size());
    }
  };
  const int n = std::max(1, std::min<int>(workers, static_cast<int>(items.size())));
  std::vector<std::thread> pool;
  for (int i = 0; i < n; ++i) pool.emplace_back(worker);
  for (auto& th : pool) th.join();
  if (!failed.isOk()) return failed;
  return done;
}

}  // namespace cspwatch::msapi
