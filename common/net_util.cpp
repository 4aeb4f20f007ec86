// SPDX-License-Identifier: Apache-2.0
#include "common/net_util.h"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/text.h"

namespace cspwatch {

bool isLoopbackHost(const std::string& host) {
  if (toLowerAscii(host) == "localhost") return true;
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  in_addr v4{};
  if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

namespace {

bool isDecimalPort(const std::string& s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; }) &&
         std::stoi(s) <= 65535;
}

}  // namespace

Result<ListenAddress> parseListenAddress(const std::string& listen) {
  auto bad = [&](const std::string& why) {
    return Status::invalidArgument("listen address \"" + listen + "\": " + why +
                                   " (expected HOST:PORT, e.g. 127.0.0.1:9807 or [::1]:9807)");
  };
  std::string host, port;
  if (!listen.empty() && listen.front() == '[') {
    const std::size_t close = listen.find(']');
    if (close == std::string::npos) return bad("no closing bracket");
    host = listen.substr(1, close - 1);
    if (close + 1 >= listen.size() || listen[close + 1] != ':') return bad("no port");
    port = listen.substr(close + 2);
    in6_addr v6{};
    if (::inet_pton(AF_INET6, host.c_str(), &v6) != 1) return bad("not an IPv6 address");
  } else {
    const std::size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return bad("no port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string::npos) return bad("an IPv6 address goes in brackets");
    if (host.empty()) return bad("no host");
    in_addr v4{};
    if (toLowerAscii(host) == "localhost")
      host = "127.0.0.1";  // never looked up: minimal systems have no /etc/hosts
    else if (::inet_pton(AF_INET, host.c_str(), &v4) != 1)
      return bad("the host must be an IP address or localhost");
  }
  if (!isDecimalPort(port)) return bad("the port must be a number from 0 to 65535");
  return ListenAddress{host, std::stoi(port)};
}

}  // namespace cspwatch
