// SPDX-License-Identifier: Apache-2.0
// Host names and addresses, and listen addresses as the configuration writes them. Pure;
// thread-safe.
#pragma once

#include <string>

#include "common/status.h"

namespace cspwatch {

// Whether `host` is this machine's loopback: an IPv4 address in 127.0.0.0/8, ::1 (bare or in
// brackets) or "localhost" (any case). Only literal addresses count: a name that merely starts
// with "127." (127.mail.example.com) is not loopback.
bool isLoopbackHost(const std::string& host);

struct ListenAddress {
  std::string host;  // an IP address, without brackets: "127.0.0.1", "::1", "0.0.0.0"
  int port = 0;
};

// "127.0.0.1:9807", "[::1]:9807", "localhost:9807" -> host and port. The host must be a dotted
// IPv4 address, an IPv6 address in brackets or "localhost" (which becomes 127.0.0.1; it is never
// looked up); the port 0 to 65535 in decimal. Anything else is an invalidArgument Status.
Result<ListenAddress> parseListenAddress(const std::string& listen);

}  // namespace cspwatch
