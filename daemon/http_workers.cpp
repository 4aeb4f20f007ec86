// SPDX-License-Identifier: Apache-2.0
#include "daemon/http_workers.h"

#include <exception>
#include <system_error>
#include <utility>

#include "common/logging.h"

namespace cspwatch::daemon {

HttpWorkers::HttpWorkers(Serve serve, std::function<void()> done)
    : serve_(std::move(serve)), done_signal_(std::move(done)) {}

HttpWorkers::~HttpWorkers() { stop(); }

Status HttpWorkers::start(int count) {
  try {
    for (int i = 0; i < count; ++i) threads_.emplace_back([this] { run(); });
  } catch (const std::system_error& e) {
    return Status::unavailable(std::string("cannot start the HTTP threads: ") + e.what());
  }
  return Status::ok();
}

void HttpWorkers::submit(std::uint64_t id, RequestHead request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back({id, std::move(request)});
  }
  work_.notify_one();
}

std::vector<HttpWorkers::Done> HttpWorkers::take() {
  std::vector<Done> ready;
  std::lock_guard<std::mutex> lock(mu_);
  ready.swap(done_);
  return ready;
}

void HttpWorkers::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
    jobs_.clear();
  }
  work_.notify_all();
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void HttpWorkers::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_.wait(lock, [this] { return quit_ || !jobs_.empty(); });
    if (quit_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    HttpResponse response;
    try {
      response = serve_(job.request);
    } catch (const std::exception& e) {
      log().error("http: {} {}: {}", job.request.method, job.request.path, e.what());
      response = errorResponse(500);
    } catch (...) {
      log().error("http: {} {}: an exception of unknown type", job.request.method,
                  job.request.path);
      response = errorResponse(500);
    }
    lock.lock();
    done_.push_back({job.id, std::move(response)});
    done_signal_();
  }
}

}  // namespace cspwatch::daemon
