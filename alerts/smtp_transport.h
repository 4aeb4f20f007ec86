// SPDX-License-Identifier: Apache-2.0
// Delivery over SMTP (RFC 5321): STARTTLS on the submission port, implicit TLS (port 465), or
// plain SMTP for a relay on this machine. The message is sent as rendered (dot-stuffed; a bare
// CR or LF, which SMTP does not allow, becomes CRLF), to the envelope recipients in
// OutgoingMessage::recipients.
//
// TLS always verifies the server: the chain against the system's CAs plus `ca_file`, and the
// host name against the certificate, by OpenSSL itself; Poco's process-wide certificate
// handlers (SSLManager) cannot accept a certificate on our behalf. Credentials are sent only
// over TLS, or in plain text to a loopback host (127.x, localhost, ::1).
//
// deliver() never throws. Delivery::reply is the server's last answer as "<code> <text>" or our
// own explanation of what failed; it never contains the password. Classification:
//   permanent: 5xx to MAIL FROM, every recipient refused with 5xx, 5xx to DATA or to the
//              message, a recipient address that cannot be sent (CR, LF, '<', ...).
//   temporary: everything else (no connection, timeouts, TLS and certificate failures, 4xx,
//              authentication refused, STARTTLS not offered, bad settings): retrying after the
//              server or the settings are fixed can succeed.
// Some recipients refused but at least one accepted: the message goes to the accepted ones,
// delivered is true and the reply names the refused ones (they are not retried).
//
// Thread-safe: deliver() may run on several threads at once (one connection each). While it
// runs, SIGPIPE is blocked on its thread (OpenSSL writes with write(); a server hanging up must
// not kill the process). Construction loads the system CA store (tens of milliseconds): make
// one transport per configuration, not per message.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "alerts/transport.h"

namespace cspwatch::alerts {

enum class SmtpTls {
  kStartTls,  // plain connect, STARTTLS required before anything else
  kImplicit,  // TLS from the first byte (port 465)
  kNone,      // plain SMTP; the caller allows it to loopback only
};

struct SmtpSettings {
  std::string host;
  int port = 587;
  SmtpTls tls = SmtpTls::kStartTls;
  std::string username;              // empty: no AUTH
  std::string password;              // read by the caller from password_file; never logged
  std::string envelope_from;         // MAIL FROM (bare address)
  std::string helo_name;             // EHLO name; empty = this host's name
  std::string ca_file;               // extra PEM CA(s) to trust besides the system store
  std::chrono::seconds timeout{30};  // connect, and each read and write (at least 1 s)
};

class SmtpTransport final : public Transport {
 public:
  // Prepares the TLS context (system CAs + ca_file). Problems with it (an unreadable ca_file)
  // are reported by every deliver(), not thrown here. Never throws.
  explicit SmtpTransport(SmtpSettings settings);
  ~SmtpTransport() override;
  SmtpTransport(const SmtpTransport&) = delete;
  SmtpTransport& operator=(const SmtpTransport&) = delete;

  // One connection per call: connect, (STARTTLS,) EHLO, (AUTH,) MAIL, RCPT..., DATA, QUIT.
  Delivery deliver(const OutgoingMessage& message) override;

 private:
  struct Tls;
  Delivery converse(const OutgoingMessage& message);

  SmtpSettings settings_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace cspwatch::alerts
