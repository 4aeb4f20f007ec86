// SPDX-License-Identifier: Apache-2.0
// One connection of the daemon's HTTP endpoint as its event thread sees it (http_server.h), and
// the caps between connections: which client a connection counts for and which connection
// gives way to a new one. Plain data and pure functions; the event thread alone uses them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include <netinet/in.h>
#include <sys/socket.h>

#include "daemon/http_request_reader.h"

namespace cspwatch::daemon {

enum class Phase {
  kHead,       // waiting for (the rest of) a request head; also an idle kept-alive connection
  kBody,       // reading and dropping the body
  kHandling,   // a worker runs the handler: not read, no deadline, never displaced
  kSending,    // writing the answer
  kLingering,  // answer sent, writes shut, draining the client's input before closing
};

struct Connection {
  std::uint64_t id = 0;
  int fd = -1;
  sockaddr_storage peer{};
  std::string client;  // the caps' key (clientKey)
  Phase phase = Phase::kHead;
  std::chrono::steady_clock::time_point since;     // the phase's start: oldest displaced first
  std::chrono::steady_clock::time_point deadline;  // every phase but kHandling has one
  std::string in;                                  // received and not yet consumed
  std::size_t scanned = 0;                         // how much of `in` findHeadEnd searched
  RequestHead head;                                // the request being served
  std::uint64_t body_left = 0;
  std::string out;
  std::size_t sent = 0;
  bool close_after = false;
  std::size_t drained = 0;
  int requests = 0;
  bool dead = false;  // closed and erased at the end of the event loop's turn
};

// Whether the client sent part of a request that it has not finished.
bool partial(const Connection& c);

// The client a peer counts as: its IPv4 address, or its IPv6 /64 (a single site holds a whole
// /64 and can use any address in it, so counting IPv6 addresses one by one would cap nothing).
std::string clientKey(const sockaddr_storage& peer);

// "127.0.0.1:40312", "[::1]:40312", for the log.
std::string describePeer(const sockaddr_storage& peer);

struct Room {
  bool free = false;               // the new connection fits as things are
  Connection* displace = nullptr;  // else the one to close for it; neither: refuse it
};

// Room for one more connection of `client` among `open` (dead ones not counted). Over the
// client's own cap, its oldest connection not being handled gives way; over the total cap, the
// oldest such connection of the client holding the most.
Room findRoom(std::map<std::uint64_t, Connection>& open, const std::string& client,
              std::size_t per_client_cap, std::size_t total_cap);

}  // namespace cspwatch::daemon
