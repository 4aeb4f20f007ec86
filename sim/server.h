// SPDX-License-Identifier: Apache-2.0
// Serves a SimApi over real HTTP on 127.0.0.1 with Poco's HTTPServer (keep-alive, a thread
// per connection from a bounded pool). start() binds and returns the port (0 = any free).
#pragma once

#include <memory>

#include "sim/api.h"

namespace Poco::Net {
class HTTPServer;
}

namespace cspwatch::sim {

class SimServer {
 public:
  explicit SimServer(SimApi& api);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  int start(int port, int threads = 16);
  void stop();
  int port() const { return port_; }

 private:
  SimApi& api_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

}  // namespace cspwatch::sim
