// SPDX-License-Identifier: Apache-2.0
// A real HTTP(S) server on 127.0.0.1 for the msapi tests: each request answered by a function,
// and every request it saw (method, URI, headers) kept for the test to read. With a
// certificate and key it speaks TLS (address it as https://localhost:PORT).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <Poco/DeflatingStream.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>

#include "common/text.h"

namespace cspwatch::testing {

struct SeenRequest {
  std::string method;
  std::string uri;                             // path and query
  std::map<std::string, std::string> headers;  // names lower-case
  std::string peer;  // the client's address and port: another port is another connection
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool has(const std::string& lower_name) const { return headers.count(lower_name) > 0; }
};

struct Reply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers{};
};

// The simple form: status and body for a request path.
using Answer = std::function<std::pair<int, std::string>(const std::string& path)>;
// The full form.
using Responder = std::function<Reply(const SeenRequest&)>;

class TestServer {
 public:
  explicit TestServer(Answer answer)
      : TestServer([answer](const SeenRequest& r) {
          auto [status, body] = answer(r.uri);
          return Reply{status, body, {}};
        }) {}

  // TLS when `cert_file` and `key_file` are given.
  explicit TestServer(Responder respond, const std::string& cert_file = "",
                      const std::string& key_file = "")
      : state_(std::make_shared<State>()) {
    state_->respond = std::move(respond);
    Poco::Net::ServerSocket socket;
    if (cert_file.empty()) {
      socket = Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0));
    } else {
      Poco::Net::Context::Ptr context =
          new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, key_file, cert_file, "",
                                 Poco::Net::Context::VERIFY_NONE, 9, false);
      socket = Poco::Net::SecureServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context);
    }
    port = socket.address().port();
    base = (cert_file.empty() ? "http://127.0.0.1:" : "https://localhost:") + std::to_string(port);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), socket,
                                                      new Poco::Net::HTTPServerParams());
    server_->start();
  }
  ~TestServer() { server_->stopAll(true); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::vector<SeenRequest> requests() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->seen;
  }
  // The requests whose URI starts with `prefix`.
  std::vector<SeenRequest> requests(const std::string& prefix) const {
    std::vector<SeenRequest> out;
    for (auto& r : requests())
      if (startsWith(r.uri, prefix)) out.push_back(r);
    return out;
  }

  int port = 0;
  std::string base;  // http://127.0.0.1:PORT, or https://localhost:PORT with TLS

 private:
  struct State {
    Responder respond;
    mutable std::mutex mutex;
    std::vector<SeenRequest> seen;
  };

  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(std::shared_ptr<State> state) : state_(std::move(state)) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      Poco::NullOutputStream discard;
      Poco::StreamCopier::copyStream(req.stream(), discard);  // keep the connection in step
      SeenRequest seen{req.getMethod(), req.getURI(), {}, req.clientAddress().toString()};
      for (const auto& [k, v] : req) seen.headers[toLowerAscii(k)] = v;
      {
        std::lock_guard<std::mutex> lock(state_->mutex);
        state_->seen.push_back(seen);
      }
      Reply reply = state_->respond(seen);
      resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
      resp.setContentType("application/json");
      for (const auto& [k, v] : reply.headers) resp.set(k, v);
      if (req.getURI().rfind("/gz", 0) == 0) {  // answer compressed, as a service may
        std::ostringstream packed;
        Poco::DeflatingOutputStream deflate(packed, Poco::DeflatingStreamBuf::STREAM_GZIP);
        deflate << reply.body;
        deflate.close();
        reply.body = packed.str();
        resp.set("Content-Encoding", "gzip");
      }
      resp.setContentLength(static_cast<std::streamsize>(reply.body.size()));
      resp.send() << reply.body;
    }

   private:
    std::shared_ptr<State> state_;
  };

  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    std::shared_ptr<State> state;
    explicit Factory(std::shared_ptr<State> s) : state(std::move(s)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(state);
    }
  };

  std::shared_ptr<State> state_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

// The token endpoint's answer.
inline const std::pair<int, std::string> kTokenAnswer = {
    200, R"({"access_token":"t","expires_in":3600})"};

}  // namespace cspwatch::testing
