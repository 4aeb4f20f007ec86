// SPDX-License-Identifier: Apache-2.0
#include "daemon/http_server.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/logging.h"
#include "daemon/http_connection.h"
#include "daemon/http_workers.h"

namespace cspwatch::daemon {

namespace {

using Steady = std::chrono::steady_clock;

// After an answer that ends a connection, what the client still sends is read and dropped, up
// to kDrainLimit bytes for at most kLinger: closing with unread input sends a reset, which can
// make the client lose the answer (a 413 or 401 sent before its body was read).
constexpr std::size_t kDrainLimit = 1024 * 1024;
constexpr std::chrono::milliseconds kLinger{1000};
// Out of file descriptors, accepting waits this long instead of spinning on the listener.
constexpr std::chrono::milliseconds kAcceptPause{100};
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr int kAcceptsPerTurn = 64;  // then the connections already open get their turn

}  // namespace

struct HttpServer::Impl {
  HttpLimits limits;
  std::function<std::optional<HttpResponse>(const RequestHead&)> screen;
  Poco::Net::ServerSocket listening;
  int listen_fd = -1;
  int wake_read = -1;  // a byte on this pipe wakes the event thread's poll()
  int wake_write = -1;
  std::atomic<bool> stopping{false};
  std::thread events;
  std::mutex stop_mu;
  bool stopped = false;  // under stop_mu
  std::unique_ptr<HttpWorkers> workers;

  // The event thread's alone.
  std::map<std::uint64_t, Connection> conns;  // by id: in the order accepted
  std::uint64_t next_id = 1;
  Steady::time_point accept_paused_until{};
  Steady::time_point last_fd_warning{};
  Steady::time_point last_cap_warning{};

  ~Impl() {
    if (wake_read >= 0) ::close(wake_read);
    if (wake_write >= 0) ::close(wake_write);
  }

  Steady::time_point now() const { return limits.clock ? limits.clock() : Steady::now(); }

  void wake() {
    const char byte = 1;
    const ssize_t n = ::write(wake_write, &byte, 1);  // full pipe: a wake-up is pending anyway
    (void)n;
  }

  // The event thread: serves until stop(), or until something it cannot recover from (logged:
  // the endpoint then answers no more, as if stopped, and the service runs on without it).
  void serveUntilStopped() {
    try {
      runEvents();
    } catch (const std::exception& e) {
      log().error("http: {}; the endpoint stops serving", e.what());
    }
    for (auto& [id, c] : conns) ::close(c.fd);
    conns.clear();
    listening.close();
  }

  void runEvents();
  void noteCapReached(const sockaddr_storage& whose);
  void acceptNew(Steady::time_point now);
  bool makeRoom(const std::string& client);
  void receive(Connection& c, Steady::time_point now);
  void advance(Connection& c, Steady::time_point now);
  void answer(Connection& c, HttpResponse r, Steady::time_point now, bool close);
  void send(Connection& c, Steady::time_point now);
  void abandon(Connection& c, int status);
  void expire(Steady::time_point now);
};

void HttpServer::Impl::runEvents() {
  std::vector<pollfd> fds;
  std::vector<std::uint64_t> ids;  // the connection of fds[i + 2]
  while (!stopping) {
    const Steady::time_point now = this->now();
    const bool accepting = now >= accept_paused_until;
    Steady::time_point next = accepting ? Steady::time_point::max() : accept_paused_until;
    fds.assign({{wake_read, POLLIN, 0}, {accepting ? listen_fd : -1, POLLIN, 0}});
    ids.clear();
    for (const auto& [id, c] : conns) {
      if (c.phase == Phase::kHandling) continue;  // its answer comes from a worker
      fds.push_back({c.fd, static_cast<short>(c.phase == Phase::kSending ? POLLOUT : POLLIN), 0});
      ids.push_back(id);
      next = std::min(next, c.deadline);
    }
    int timeout_ms = -1;
    if (next != Steady::time_point::max())
      timeout_ms = static_cast<int>(std::max<std::int64_t>(
          0, std::chrono::ceil<std::chrono::milliseconds>(next - now).count()));
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
      log().error("http: poll: {}; the endpoint stops serving", std::strerror(errno));
      return;
    }
    const Steady::time_point after = this->now();
    if (fds[0].revents != 0) {
      char buf[64];
      while (::read(wake_read, buf, sizeof buf) > 0) {
      }
    }
    for (HttpWorkers::Done& d : workers->take()) {
      const auto it = conns.find(d.id);
      if (it != conns.end() && !it->second.dead)
        answer(it->second, std::move(d.response), after, /*close=*/false);
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      Connection& c = conns.at(ids[i - 2]);
      if (c.dead || fds[i].revents == 0) continue;
      if (c.phase == Phase::kSending)
        send(c, after);
      else if (c.phase != Phase::kHandling)
        receive(c, after);
    }
    if (fds[1].revents != 0) acceptNew(after);
    expire(this->now());
    for (auto it = conns.begin(); it != conns.end();) {
      if (!it->second.dead) {
        ++it;
        continue;
      }
      ::close(it->second.fd);
      it = conns.erase(it);
    }
  }
}

void HttpServer::Impl::acceptNew(Steady::time_point now) {
  for (int i = 0; i < kAcceptsPerTurn; ++i) {
    Connection c;
    socklen_t len = sizeof c.peer;
    c.fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&c.peer), &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c.fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        accept_paused_until = now + kAcceptPause;
        if (last_fd_warning == Steady::time_point{} ||
            now - last_fd_warning > std::chrono::minutes(1)) {
          last_fd_warning = now;
          log().warn("http: cannot accept a connection: {}", std::strerror(errno));
        }
      }
      return;  // EAGAIN: none left
    }
    c.client = clientKey(c.peer);
    if (!makeRoom(c.client)) {
      log().debug("http: {} refused: every connection is being answered", describePeer(c.peer));
      noteCapReached(c.peer);
      const std::string out = serializeResponse(errorResponse(503), false, false);
      const ssize_t n = ::send(c.fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)n;
      ::close(c.fd);
      continue;
    }
    c.id = next_id++;
    c.since = now;
    c.deadline = now + limits.head_timeout;
    conns.emplace(c.id, std::move(c));
  }
}

bool HttpServer::Impl::makeRoom(const std::string& client) {
  const Room room =
      findRoom(conns, client, limits.max_connections_per_client, limits.max_connections);
  if (room.free) return true;
  if (!room.displace) return false;
  log().debug("http: {} displaced by a newer connection", describePeer(room.displace->peer));
  noteCapReached(room.displace->peer);
  abandon(*room.displace, 503);
  return true;
}

// Once a minute at most: a flood of connections must not flood the journal too.
void HttpServer::Impl::noteCapReached(const sockaddr_storage& whose) {
  const Steady::time_point now = this->now();
  if (last_cap_warning != Steady::time_point{} && now - last_cap_warning < std::chrono::minutes(1))
    return;
  last_cap_warning = now;
  log().warn(
      "http: connection caps reached ({} per client, {} in all), latest by {}: the oldest "
      "waiting connections are closed (said once a minute)",
      limits.max_connections_per_client, limits.max_connections, describePeer(whose));
}

void HttpServer::Impl::receive(Connection& c, Steady::time_point now) {
  char buf[kReadChunk];
  const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) {
    c.dead = true;  // the client closed (or reset): nobody is left to answer
    return;
  }
  if (c.phase == Phase::kLingering) {
    c.drained += static_cast<std::size_t>(n);
    if (c.drained > kDrainLimit) c.dead = true;
    return;
  }
  c.in.append(buf, static_cast<std::size_t>(n));
  advance(c, now);
}

// Moves a connection on with what it has received: a complete head is screened, its body
// dropped as it comes, and a complete request handed to a worker.
void HttpServer::Impl::advance(Connection& c, Steady::time_point now) {
  if (c.phase == Phase::kHead) {
    const std::size_t end = findHeadEnd(c.in, c.scanned);
    if (end == 0 && c.in.size() <= kMaxHeadBytes) return;  // wait for more
    HeadParse parsed = end == 0 ? HeadParse{{}, 431, "the request head is too large"}
                                : parseRequestHead(std::string_view(c.in).substr(0, end));
    c.in.erase(0, end);
    c.scanned = 0;
    if (parsed.error_status != 0) {
      log().debug("http: {}: {}", describePeer(c.peer), parsed.error);
      return answer(c, errorResponse(parsed.error_status), now, true);
    }
    c.head = std::move(parsed.head);
    ++c.requests;
    if (auto early = screen(c.head)) return answer(c, std::move(*early), now, true);
    if (c.head.transfer_encoding) return answer(c, errorResponse(411), now, true);
    if (c.head.content_length.value_or(0) > kMaxRequestBody)
      return answer(c, errorResponse(413), now, true);
    c.body_left = c.head.content_length.value_or(0);
    c.phase = Phase::kBody;
    c.since = now;
    c.deadline = now + limits.body_timeout;
    if (c.head.expect_continue && c.body_left > c.in.size() && c.head.minor_version == 1) {
      // Nothing else is being written on this connection now, so this fits in its buffer.
      constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      const ssize_t n =
          ::send(c.fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)n;
    }
  }
  if (c.phase == Phase::kBody) {
    const std::size_t take =
        static_cast<std::size_t>(std::min<std::uint64_t>(c.body_left, c.in.size()));
    c.in.erase(0, take);
    c.body_left -= take;
    if (c.body_left > 0) return;
    c.phase = Phase::kHandling;
    workers->submit(c.id, c.head);
  }
}

void HttpServer::Impl::answer(Connection& c, HttpResponse r, Steady::time_point now, bool close) {
  const bool keep =
      !close && r.keep_alive && c.head.keep_alive && c.requests < kMaxRequestsPerConnection;
  c.out = serializeResponse(r, c.head.method == "HEAD", keep);
  c.sent = 0;
  c.close_after = !keep;
  c.phase = Phase::kSending;
  c.since = now;
  c.deadline = now + limits.send_timeout;
  send(c, now);
}

void HttpServer::Impl::send(Connection& c, Steady::time_point now) {
  while (c.sent < c.out.size()) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // poll says when
    if (n < 0) {
      c.dead = true;
      return;
    }
    c.sent += static_cast<std::size_t>(n);
  }
  c.out.clear();
  c.sent = 0;
  c.since = now;
  if (c.close_after) {
    ::shutdown(c.fd, SHUT_WR);
    c.phase = Phase::kLingering;
    c.deadline = now + kLinger;
    c.drained = c.in.size();
    c.in.clear();
    return;
  }
  c.phase = Phase::kHead;
  c.head = RequestHead{};
  c.deadline = now + limits.head_timeout;
  advance(c, now);  // a pipelined request may be waiting already
}

// Closes a connection at once to make room for another: with a word of why when the client had
// sent part of a request, without one when it was idle (it may never have meant to send one).
void HttpServer::Impl::abandon(Connection& c, int status) {
  if (partial(c)) {
    const std::string out = serializeResponse(errorResponse(status), false, false);
    const ssize_t n = ::send(c.fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n;
  }
  c.dead = true;
}

void HttpServer::Impl::expire(Steady::time_point now) {
  for (auto& [id, c] : conns) {
    if (c.dead || c.phase == Phase::kHandling || now < c.deadline) continue;
    if (partial(c)) {
      log().debug("http: {}: the request did not arrive in time", describePeer(c.peer));
      answer(c, errorResponse(408), now, /*close=*/true);  // then a lingering close, as usual
    } else {
      c.dead = true;  // idle, an answer not taken, or a lingering close done
    }
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(Poco::Net::ServerSocket listening,
                                                      const HttpLimits& limits,
                                                      HttpServerHandlers handlers) {
  auto impl = std::make_unique<Impl>();
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0)
    return Status::unavailable(std::string("cannot make a pipe: ") + std::strerror(errno));
  impl->wake_read = pipe_fds[0];
  impl->wake_write = pipe_fds[1];
  impl->limits = limits;
  impl->screen = std::move(handlers.screen);
  impl->listening = std::move(listening);
  impl->listening.setBlocking(false);  // poll() may report a connection already gone
  impl->listen_fd = impl->listening.impl()->sockfd();
  Impl* s = impl.get();
  s->workers = std::make_unique<HttpWorkers>(std::move(handlers.serve), [s] { s->wake(); });
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(impl)));
  Status started = s->workers->start(kHttpWorkers);
  try {
    if (started.isOk()) s->events = std::thread([s] { s->serveUntilStopped(); });
  } catch (const std::system_error& e) {
    started = Status::unavailable(std::string("cannot start the HTTP thread: ") + e.what());
  }
  if (!started.isOk()) {
    server->stop();  // joins the threads that did start
    return started;
  }
  return server;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> guard(s.stop_mu);
  if (s.stopped) return;
  s.stopped = true;
  s.stopping = true;
  s.wake();
  if (s.events.joinable()) s.events.join();  // every connection closed
  s.workers->stop();                         // no handler runs once this returns
  s.listening.close();  // closed by the event thread already, unless it never ran
}

}  // namespace cspwatch::daemon
