// SPDX-License-Identifier: Apache-2.0
// A loopback port nobody listens on now: the kernel's choice for a socket bound to port 0,
// closed again. Another process could take it before the caller binds it; tests use it for a
// daemon's own listener, where that race is harmless (the start fails visibly).
#pragma once

#include <Poco/Net/ServerSocket.h>

namespace cspwatch::testing {

inline int freePort() {
  Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
  const int port = probe.address().port();
  probe.close();
  return port;
}

}  // namespace cspwatch::testing
