// SPDX-License-Identifier: Apache-2.0
// The wire side of SMTP (RFC 5321) for SmtpTransport: one connection's command/reply pairs over
// a Poco DialogSocket, STARTTLS on it, the message data, and what an EHLO reply offers. It knows
// nothing of settings or of what a reply means for the message; alerts/smtp_transport.cpp
// drives the dialogue.
//
// Errors are exceptions here, not values, because every step of the dialogue ends the same way
// on them (the connection is dropped and the delivery is temporary): Poco's (socket, timeout,
// TLS) pass through, and a server that does not speak SMTP raises ProtocolError. Not
// thread-safe: one Connection per delivery.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>
#include <Poco/Net/DialogSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

namespace cspwatch::alerts::smtp {

struct Reply {
  int code = 0;
  std::string text;  // the lines' texts, joined by spaces; outside text (outsideText)
  std::string str() const { return std::to_string(code) + (text.empty() ? "" : " " + text); }
  int kind() const { return code / 100; }  // 2, 3, 4, 5
};

// A server that does not speak SMTP: closed mid-reply, a line that is no reply, a reply too long.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One SMTP connection: command/reply pairs over a DialogSocket, STARTTLS, the message data.
class Connection {
 public:
  explicit Connection(const Poco::Net::StreamSocket& socket);

  // The next reply, all its lines (at most 100).
  Reply read();
  // Sends one command line and reads its reply.
  Reply command(const std::string& line);
  // The text lines of the last reply (EHLO: one extension per line after the first).
  const std::vector<std::string>& lines() const { return lines_; }

  // TLS over this connection, verifying `host` as `context` says. A fresh DialogSocket: whatever
  // the server sent before the handshake and we have not read yet is dropped (RFC 3207, 4.2),
  // never taken as a reply.
  void startTls(const std::string& host, Poco::Net::Context::Ptr context,
                const Poco::Timespan& timeout);

  // The message after "354", with CRLF line ends: dot-stuffed, then CRLF.CRLF; returns the
  // server's verdict.
  Reply sendData(const std::string& crlf_body);

  // QUIT, then close; never throws (the message's fate is decided).
  void quit() noexcept;
  void close() noexcept;

 private:
  std::unique_ptr<Poco::Net::DialogSocket> dialog_;
  std::vector<std::string> lines_;
};

// What an EHLO reply offers that we use.
struct Capabilities {
  bool starttls = false;
  bool auth = false;
  std::vector<std::string> auth_mechanisms;  // lower-case
  bool offers(const std::string& mechanism) const;
};

// The capabilities in an EHLO reply's lines (Connection::lines()).
Capabilities capabilitiesOf(const std::vector<std::string>& ehlo_lines);

}  // namespace cspwatch::alerts::smtp
