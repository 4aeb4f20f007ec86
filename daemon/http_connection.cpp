// SPDX-License-Identifier: Apache-2.0
#include "daemon/http_connection.h"

#include <cstring>
#include <exception>

#include <Poco/Net/SocketAddress.h>

namespace cspwatch::daemon {

bool partial(const Connection& c) {
  return c.phase == Phase::kBody || (c.phase == Phase::kHead && !c.in.empty());
}

std::string clientKey(const sockaddr_storage& peer) {
  if (peer.ss_family == AF_INET6) {
    sockaddr_in6 a{};
    std::memcpy(&a, &peer, sizeof a);
    return "6" + std::string(reinterpret_cast<const char*>(a.sin6_addr.s6_addr), 8);
  }
  sockaddr_in a{};
  std::memcpy(&a, &peer, sizeof a);
  return "4" + std::string(reinterpret_cast<const char*>(&a.sin_addr.s_addr), 4);
}

std::string describePeer(const sockaddr_storage& peer) {
  try {
    const auto len = peer.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    return Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&peer),
                                    static_cast<poco_socklen_t>(len))
        .toString();
  } catch (const std::exception&) {
    return "?";
  }
}

Room findRoom(std::map<std::uint64_t, Connection>& open, const std::string& client,
              std::size_t per_client_cap, std::size_t total_cap) {
  std::map<std::string, std::size_t> held;
  std::size_t total = 0;
  for (const auto& [id, c] : open) {
    if (c.dead) continue;
    ++held[c.client];
    ++total;
  }
  const bool client_full = held[client] >= per_client_cap;
  Room room;
  if (!client_full && total < total_cap) {
    room.free = true;
    return room;
  }
  Connection*& victim = room.displace;
  for (auto& [id, c] : open) {
    if (c.dead || c.phase == Phase::kHandling || (client_full && c.client != client)) continue;
    // The client holding the most first (all the same within the newcomer's own cap), then the
    // connection waiting the longest; among equals the one accepted first (the map's order).
    if (!victim || held[c.client] > held[victim->client] ||
        (held[c.client] == held[victim->client] && c.since < victim->since))
      victim = &c;
  }
  return room;
}

}  // namespace cspwatch::daemon
