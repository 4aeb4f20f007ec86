// SPDX-License-Identifier: Apache-2.0
// A real HTTP server for tests that post (webhooks, Teams Workflows): Poco's HTTPServer on
// 127.0.0.1, a free port, recording every request (method, target, headers, body) and
// answering from a script: the next answers in order, then a fallback (202 Accepted with an
// empty body, as Teams Workflows answers). An answer can also cut the connection unanswered.
// Thread-safe; requests are served on the server's own threads. Stops when destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace Poco::Net {
class HTTPServer;
}

namespace cspwatch::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;                          // path and query, as sent
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct ScriptedAnswer {
  int status = 202;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool cut = false;  // close the connection without answering (the request is still recorded)
};

class HttpReceiver {
 public:
  HttpReceiver();
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>".
  std::string url(const std::string& path = "/hook") const;

  // The next requests get these answers, in order (after any still scripted); then the fallback.
  void script(std::vector<ScriptedAnswer> answers);
  void setFallback(ScriptedAnswer answer);

  std::vector<ReceivedRequest> requests() const;
  // True once `n` requests arrived; false after `timeout` (a condition waited on, no sleeps).
  bool waitFor(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

  // Shared with the request handlers, which may outlive a request's scope.
  struct State {
    mutable std::mutex mutex;
    mutable std::condition_variable arrived;
    std::vector<ReceivedRequest> requests;
    std::vector<ScriptedAnswer> script;
    ScriptedAnswer fallback;
  };

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

}  // namespace cspwatch::testing
