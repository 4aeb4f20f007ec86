// SPDX-License-Identifier: Apache-2.0
#include "tests/support/http_receiver.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

namespace cspwatch::testing {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<HttpReceiver::State> state) : state_(std::move(state)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& res) override {
    ReceivedRequest r;
    r.method = req.getMethod();
    r.target = req.getURI();
    for (const auto& [name, value] : req) r.headers[lower(name)] = value;
    std::ostringstream body;
    Poco::StreamCopier::copyStream(req.stream(), body);
    r.body = body.str();
    ScriptedAnswer answer;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->requests.push_back(std::move(r));
      if (state_->script.empty()) {
        answer = state_->fallback;
      } else {
        answer = state_->script.front();
        state_->script.erase(state_->script.begin());
      }
    }
    state_->arrived.notify_all();
    if (answer.cut) {
      // Taken from the server and closed here: the client sees the connection end unanswered.
      Poco::Net::StreamSocket socket =
          static_cast<Poco::Net::HTTPServerRequestImpl&>(req).detachSocket();
      socket.close();
      return;
    }
    res.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    for (const auto& [name, value] : answer.headers) res.set(name, value);
    res.setContentLength(static_cast<std::streamsize>(answer.body.size()));
    res.setContentType("text/plain");
    res.send() << answer.body;
  }

 private:
  std::shared_ptr<HttpReceiver::State> state_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<HttpReceiver::State> state) : state_(std::move(state)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(state_);
  }

 private:
  std::shared_ptr<HttpReceiver::State> state_;
};

}  // namespace

HttpReceiver::HttpReceiver() : state_(std::make_shared<State>()) {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams();
  params->setMaxThreads(4);
  params->setKeepAlive(true);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), socket, params);
  server_->start();
}

HttpReceiver::~HttpReceiver() { server_->stopAll(true); }

std::string HttpReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HttpReceiver::script(std::vector<ScriptedAnswer> answers) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  for (auto& a : answers) state_->script.push_back(std::move(a));
}

void HttpReceiver::setFallback(ScriptedAnswer answer) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->fallback = std::move(answer);
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->requests;
}

bool HttpReceiver::waitFor(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(state_->mutex);
  return state_->arrived.wait_for(lock, timeout, [&] { return state_->requests.size() >= n; });
}

}  // namespace cspwatch::testing
