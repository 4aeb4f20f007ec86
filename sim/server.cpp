// SPDX-License-Identifier: Apache-2.0
#include "sim/server.h"

#include <chrono>
#include <iostream>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "common/text.h"

namespace cspwatch::sim {

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(SimApi& api, int port) : api_(api), port_(port) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    Request r;
    r.method = req.getMethod();
    r.base_url = "http://127.0.0.1:" + std::to_string(port_);
    Poco::URI uri(req.getURI());
    r.path = uri.getPath();
    for (const auto& [k, v] : uri.getQueryParameters()) r.query[k] = v;
    for (const auto& [k, v] : req) r.headers[toLowerAscii(k)] = v;
    Poco::StreamCopier::copyToString(req.stream(), r.body);
    if (int ms = api_.latencyMs(r); ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    const Fault fault = api_.decideFault(r);
    auto& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(req).socket();
    if (fault == Fault::kDrop) {
      socket.close();  // no answer at all, as a reset connection
      return;
    }
    Response out;
    try {
      out = fault == Fault::kNone ? api_.handle(r) : api_.faultResponse(fault, r);
    } catch (const std::exception& e) {
      // A simulator bug: answer as a service fault would, and say why on stderr.
      std::cerr << "cspwatch-sim: internal error on " << r.method << " " << r.path << ": "
                << e.what() << "\n";
      out = Response::json(500, "{\"error\":\"internal simulator error\"}");
    }
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
    resp.setContentType(out.content_type);
    for (const auto& [k, v] : out.headers) resp.set(k, v);
    resp.setContentLength(static_cast<std::streamsize>(out.body.size()));
    if (fault == Fault::kTruncate) {
      // Promise the whole body, send half, then close: the client sees a short read.
      std::ostream& body = resp.send();
      body << out.body.substr(0, out.body.size() / 2);
      body.flush();
      socket.shutdown();
      socket.close();
      return;
    }
    resp.send() << out.body;
  }

 private:
  SimApi& api_;
  int port_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(SimApi& api, int port) : api_(api), port_(port) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(api_, port_);
  }

 private:
  SimApi& api_;
  int port_;
};

}  // namespace

SimServer::SimServer(SimApi& api) : api_(api) {}

SimServer::~SimServer() { stop(); }

int SimServer::start(int port, int threads) {
  Poco::Net::ServerSocket socket(
      Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  port_ = socket.address().port();
  auto params = new Poco::Net::HTTPServerParams();
  params->setMaxThreads(threads);
  params->setMaxQueued(256);
  params->setKeepAlive(true);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(api_, port_), socket, params);
  server_->start();
  return port_;
}

void SimServer::stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
}

}  // namespace cspwatch::sim
