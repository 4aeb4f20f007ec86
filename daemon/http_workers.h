// SPDX-License-Identifier: Apache-2.0
// The threads that call the HTTP endpoint's request handler (http_server.h), so that a slow
// handler never stops the event thread from reading, timing and answering other connections.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"
#include "daemon/http_request_reader.h"
#include "daemon/http_response.h"

namespace cspwatch::daemon {

class HttpWorkers {
 public:
  using Serve = std::function<HttpResponse(const RequestHead&)>;
  struct Done {
    std::uint64_t id;  // the submitter's
    HttpResponse response;
  };

  // `serve` runs on the workers (an exception becomes a 500, logged); `done` is called on a
  // worker after each answer is ready to take (it wakes the event thread).
  HttpWorkers(Serve serve, std::function<void()> done);
  ~HttpWorkers();  // stop()
  HttpWorkers(const HttpWorkers&) = delete;
  HttpWorkers& operator=(const HttpWorkers&) = delete;

  // Starts `count` threads. Errors: the system refuses a thread (unavailable; those started
  // run until stop()).
  Status start(int count);
  void submit(std::uint64_t id, RequestHead request);
  // The answers ready since the last call, in the order they were ready.
  std::vector<Done> take();
  // Drops the requests not started and waits for the calls under way: no call of `serve` is
  // made once it returns. Idempotent.
  void stop();

 private:
  struct Job {
    std::uint64_t id;
    RequestHead request;
  };
  void run();

  Serve serve_;
  std::function<void()> done_signal_;
  std::mutex mu_;
  std::condition_variable work_;
  std::deque<Job> jobs_;    // under mu_
  std::vector<Done> done_;  // under mu_
  bool quit_ = false;       // under mu_
  std::vector<std::thread> threads_;
};

}  // namespace cspwatch::daemon
