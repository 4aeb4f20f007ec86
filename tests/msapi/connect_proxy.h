// SPDX-License-Identifier: Apache-2.0
// A small HTTP CONNECT proxy on 127.0.0.1 for the msapi tests. It answers `CONNECT host:port`
// with 200 (or with the status it was told to refuse with) and then pipes bytes both ways. It
// records each CONNECT line and its Proxy-Authorization header. Whatever host the client names,
// it connects to 127.0.0.1 on that port: the tests reach only loopback servers.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <poll.h>

#include "common/text.h"

namespace cspwatch::testing {

class ConnectProxy {
 public:
  // `refuse_with`: 0 to tunnel; an HTTP status (407, 403...) to refuse every CONNECT with.
  explicit ConnectProxy(int refuse_with = 0)
      : refuse_with_(refuse_with),
        socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
        port_(socket_.address().port()),
        acceptor_([this] { acceptLoop(); }) {}

  ~ConnectProxy() {
    stop_ = true;
    acceptor_.join();
    std::vector<std::thread> pipes;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pipes.swap(pipes_);
    }
    for (auto& t : pipes) t.join();
  }
  ConnectProxy(const ConnectProxy&) = delete;
  ConnectProxy& operator=(const ConnectProxy&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  struct Seen {
    std::string request_line;         // "CONNECT localhost:4433 HTTP/1.1"
    std::string proxy_authorization;  // its value; empty when absent
    bool had_proxy_authorization = false;
  };
  std::vector<Seen> seen() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  void acceptLoop() {
    while (!stop_) {
      try {
        if (!socket_.poll(Poco::Timespan(0, 50000), Poco::Net::Socket::SELECT_READ)) continue;
        Poco::Net::StreamSocket client = socket_.acceptConnection();
        std::lock_guard<std::mutex> lock(mutex_);
        pipes_.emplace_back([this, client]() mutable { serve(client); });
      } catch (const Poco::Exception&) {
      }
    }
  }

  void serve(Poco::Net::StreamSocket client) {
    try {
      client.setReceiveTimeout(Poco::Timespan(5, 0));
      std::string head;
      char buf[16384];
      while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
        const int n = client.receiveBytes(buf, sizeof buf);
        if (n <= 0) return;
        head.append(buf, static_cast<size_t>(n));
      }
      const size_t end = head.find("\r\n\r\n");
      if (end == std::string::npos) return;
      const std::string leftover = head.substr(end + 4);
      head.resize(end);
      Seen seen;
      seen.request_line = head.substr(0, head.find("\r\n"));
      for (const std::string& line : split(head, '\n')) {
        const std::string l(trim(line));
        const size_t colon = l.find(':');
        if (colon != std::string::npos &&
            toLowerAscii(l.substr(0, colon)) == "proxy-authorization") {
          seen.had_proxy_authorization = true;
          seen.proxy_authorization = std::string(trim(l.substr(colon + 1)));
        }
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        seen_.push_back(seen);
      }
      const auto parts = split(seen.request_line, ' ');
      if (refuse_with_ != 0 || parts.size() != 3 || parts[0] != "CONNECT") {
        const int status = refuse_with_ != 0 ? refuse_with_ : 405;
        const std::string reply = "HTTP/1.1 " + std::to_string(status) +
                                  " Refused\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
                                  "Content-Length: 0\r\nConnection: close\r\n\r\n";
        client.sendBytes(reply.data(), static_cast<int>(reply.size()));
        client.close();
        return;
      }
      const std::string& target = parts[1];
      const int port = std::stoi(target.substr(target.rfind(':') + 1));
      Poco::Net::StreamSocket upstream(Poco::Net::SocketAddress("127.0.0.1", port));
      const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
      client.sendBytes(ok.data(), static_cast<int>(ok.size()));
      if (!leftover.empty()) upstream.sendBytes(leftover.data(), static_cast<int>(leftover.size()));
      pipe(client, upstream);
    } catch (const std::exception&) {
    }
  }

  // Copies bytes both ways until either side closes, or the proxy stops.
  void pipe(Poco::Net::StreamSocket& a, Poco::Net::StreamSocket& b) {
    char buf[16384];
    pollfd fds[2] = {{a.impl()->sockfd(), POLLIN, 0}, {b.impl()->sockfd(), POLLIN, 0}};
    Poco::Net::StreamSocket* sockets[2] = {&a, &b};
    while (!stop_) {
      fds[0].revents = fds[1].revents = 0;
      if (::poll(fds, 2, 50) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].revents == 0) continue;
        const int n = sockets[i]->receiveBytes(buf, sizeof buf);
        if (n <= 0) {
          a.close();
          b.close();
          return;
        }
        sockets[1 - i]->sendBytes(buf, n);
      }
    }
    a.close();
    b.close();
  }

  const int refuse_with_;
  std::atomic<bool> stop_{false};
  Poco::Net::ServerSocket socket_;
  const int port_;
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
  std::vector<std::thread> pipes_;
  std::thread acceptor_;  // last: starts once the rest is ready
};

}  // namespace cspwatch::testing
