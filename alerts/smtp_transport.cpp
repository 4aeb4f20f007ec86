// SPDX-License-Identifier: Apache-2.0
#include "alerts/smtp_transport.h"

#include <algorithm>
#include <csignal>
#include <ctime>
#include <sstream>
#include <vector>

#include <Poco/Base64Encoder.h>
#include <Poco/Environment.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/DialogSocket.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/MailStream.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/SocketStream.h>
#include <Poco/Net/StreamSocket.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <pthread.h>

#include "common/net_util.h"
#include "common/redact.h"
#include "common/text.h"

// Why the conversation is driven here, on Poco's DialogSocket, rather than through
// Poco::Net::SMTPClientSession (Poco 1.11, as Debian 12 ships it):
//  - SMTPClientSession::sendCommand() reads replies with DialogSocket::receiveStatusMessage(),
//    which loops forever (appending to a string) when the server closes the connection in the
//    middle of a multi-line reply; a daemon must not hang on a broken server.
//  - loginUsingLogin() recognises only "Username:"/"Password:" prompts; to any other prompt
//    (aiosmtpd's "User Name") it returns without authenticating and without an error.
//  - SecureSMTPClientSession::startTLS() verifies the host name given to the constructor that
//    connects without a timeout, keeps any plaintext buffered before the handshake (RFC 3207
//    says discard it), and reports a refused STARTTLS as `false` without the server's reply.
// Poco still does the sockets, TLS (SecureStreamSocket, Context) and dot-stuffing
// (MailOutputStream); the protocol left here is a handful of command/reply pairs.

namespace cspwatch::alerts {

namespace {

// Why the last certificate check failed, recorded by the OpenSSL verify callback on the thread
// doing the handshake (deliver()'s thread), so that the reply can say more than "handshake
// failed".
thread_local std::string tls_verify_error;

int recordVerifyError(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 0 && tls_verify_error.empty()) {
    const int err = X509_STORE_CTX_get_error(store);
    tls_verify_error = X509_verify_cert_error_string(err);
    if (err == X509_V_ERR_HOSTNAME_MISMATCH || err == X509_V_ERR_IP_ADDRESS_MISMATCH)
      tls_verify_error += " (the certificate is for another name)";
    if (X509* cert = X509_STORE_CTX_get_current_cert(store)) {
      char subject[256];
      X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
      tls_verify_error += std::string("; certificate ") + subject;
    }
  }
  return preverify_ok;
}

// Blocks SIGPIPE on this thread while it lives, and discards one raised meanwhile. OpenSSL
// writes to the socket with write(), so a server that hangs up would otherwise kill the
// process; this keeps the fix local instead of changing the process's signal disposition.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~ScopedSigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

std::string base64(const std::string& s) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);  // one line: the whole value is a single SMTP argument
  encoder << s;
  encoder.close();
  return out.str();
}

// An address we can put between '<' and '>' in MAIL FROM / RCPT TO: nothing that could end
// the command or the path.
bool sendableAddress(const std::string& address) {
  if (address.empty() || address.find('@') == std::string::npos) return false;
  for (char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == ',') return false;
  }
  return true;
}

// CRLF line ends throughout: RFC 5321 allows CR and LF in DATA only as a pair, and a bare LF
// before a '.' would escape MailOutputStream's dot-stuffing, which looks for CRLF.
std::string withCrlf(const std::string& body) {
  std::string out;
  out.reserve(body.size() + body.size() / 50);
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

struct Reply {
  int code = 0;
  std::string text;  // the lines' texts, joined by spaces
  std::string str() const { return std::to_string(code) + (text.empty() ? "" : " " + text); }
  int kind() const { return code / 100; }  // 2, 3, 4, 5
};

// Thrown inside converse() for a server that does not speak SMTP; reported as temporary.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One SMTP connection: command/reply pairs over a DialogSocket, STARTTLS, the message data.
class Connection {
 public:
  explicit Connection(const Poco::Net::StreamSocket& socket)
      : dialog_(std::make_unique<Poco::Net::DialogSocket>(socket)) {}

  Reply read() {
    Reply reply;
    // A reply is at most a few lines (EHLO lists extensions); a server that sends more is not
    // one we want to read forever.
    for (int lines = 0; lines < 100; ++lines) {
      std::string line;
      if (!dialog_->receiveMessage(line))
        throw ProtocolError(lines == 0 ? "the server closed the connection"
                                       : "the server closed the connection mid-reply");
      if (line.size() < 3 || !isDigit(line[0]) || !isDigit(line[1]) || !isDigit(line[2]) ||
          (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
        throw ProtocolError("not an SMTP reply: '" + outsideText(line, 80) + "'");
      const int code = std::stoi(line.substr(0, 3));
      if (lines > 0 && code != reply.code)
        throw ProtocolError("inconsistent reply codes " + std::to_string(reply.code) + " and " +
                            std::to_string(code));
      reply.code = code;
      if (line.size() > 4) {
        if (!reply.text.empty()) reply.text += ' ';
        reply.text += std::string(trim(line.substr(4)));
      }
      lines_.push_back(line.size() > 4 ? line.substr(4) : "");
      if (line.size() == 3 || line[3] == ' ') {
        // The server's words, quoted in what we report: outside text (a server may echo what
        // we sent it, such as the AUTH line).
        reply.text = outsideText(reply.text);
        return reply;
      }
    }
    throw ProtocolError("reply longer than 100 lines");
  }

  Reply command(const std::string& line) {
    lines_.clear();
    dialog_->sendMessage(line);
    return read();
  }

  // The text lines of the last reply (EHLO: one extension per line after the first).
  const std::vector<std::string>& lines() const { return lines_; }

  // TLS over this connection. A fresh DialogSocket: whatever the server sent before the
  // handshake and we have not read yet is dropped (RFC 3207, 4.2), never taken as a reply.
  void startTls(const std::string& host, Poco::Net::Context::Ptr context,
                const Poco::Timespan& timeout) {
    Poco::Net::SecureStreamSocket secure =
        Poco::Net::SecureStreamSocket::attach(*dialog_, host, context);
    secure.setReceiveTimeout(timeout);
    secure.setSendTimeout(timeout);
    dialog_ = std::make_unique<Poco::Net::DialogSocket>(secure);
  }

  // The message after "354": dot-stuffed, then CRLF.CRLF; returns the server's verdict.
  Reply sendData(const std::string& crlf_body) {
    lines_.clear();
    Poco::Net::SocketOutputStream socket_out(*dialog_);
    Poco::Net::MailOutputStream mail_out(socket_out);
    mail_out.write(crlf_body.data(), static_cast<std::streamsize>(crlf_body.size()));
    mail_out.close();  // the final CRLF if missing, then ".\r\n"
    socket_out.flush();
    // Socket errors inside a stream only set badbit.
    if (!mail_out || !socket_out) throw Poco::IOException("sending the message data failed");
    return read();
  }

  void quit() noexcept {
    try {
      command("QUIT");
    } catch (...) {  // the message's fate is decided; a lost QUIT changes nothing
    }
    close();
  }

  void close() noexcept {
    try {
      dialog_->close();
    } catch (...) {  // already closed or broken
    }
  }

 private:
  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  std::unique_ptr<Poco::Net::DialogSocket> dialog_;
  std::vector<std::string> lines_;
};

struct Capabilities {
  bool starttls = false;
  bool auth = false;
  std::vector<std::string> auth_mechanisms;  // lower-case
};

Capabilities capabilitiesOf(const std::vector<std::string>& ehlo_lines) {
  Capabilities caps;
  // The first line is the server's name, the others one extension each ("AUTH LOGIN PLAIN").
  for (size_t i = 1; i < ehlo_lines.size(); ++i) {
    std::string line = toLowerAscii(ehlo_lines[i]);
    for (char& c : line)
      if (c == '=') c = ' ';  // "AUTH=LOGIN PLAIN", an old form some servers still send
    std::istringstream words(line);
    std::string keyword;
    words >> keyword;
    if (keyword == "starttls") caps.starttls = true;
    if (keyword == "auth") {
      caps.auth = true;
      for (std::string m; words >> m;) caps.auth_mechanisms.push_back(m);
    }
  }
  return caps;
}

std::string toUpperCopy(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

bool offers(const Capabilities& caps, const std::string& mechanism) {
  for (const auto& m : caps.auth_mechanisms)
    if (m == mechanism) return true;
  return false;
}

Delivery temporary(std::string reply) { return {false, false, std::move(reply)}; }
Delivery permanentFailure(std::string reply) { return {false, true, std::move(reply)}; }

std::string describe(const Poco::Exception& e) {
  if (dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&e)) return "Connection refused";
  if (dynamic_cast<const Poco::TimeoutException*>(&e)) return "no answer (timed out)";
  if (dynamic_cast<const Poco::Net::HostNotFoundException*>(&e) ||
      dynamic_cast<const Poco::Net::NoAddressFoundException*>(&e))
    return "host not found";
  return outsideText(e.displayText());
}

std::string tlsSetupFailed(const std::string& ca_file, const std::string& why) {
  return "TLS setup failed" + (ca_file.empty() ? "" : " (ca_file " + ca_file + ")") + ": " + why;
}

}  // namespace

struct SmtpTransport::Tls {
  Poco::Net::Context::Ptr context;
  std::string error;  // why there is no context
};

SmtpTransport::SmtpTransport(SmtpSettings settings)
    : settings_(std::move(settings)), tls_(std::make_unique<Tls>()) {
  // Found by redactSecrets plain and encoded, also inside AUTH PLAIN's base64.
  registerSecret(settings_.password);
  if (settings_.tls == SmtpTls::kNone) return;
  try {
    Poco::Net::Context::Params params;
    params.loadDefaultCAs = true;           // the system store (ca-certificates)
    params.caLocation = settings_.ca_file;  // plus a private CA, when given
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    tls_->context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    tls_->context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // OpenSSL checks the chain and the host name during the handshake and fails it on any
    // error. Our callback replaces Poco's, which would ask SSLManager's process-wide
    // InvalidCertificateHandler (possibly an accepting one) whether to go on anyway; Poco's
    // own host name check after the handshake is off because OpenSSL's already ran.
    tls_->context->enableExtendedCertificateVerification(false);
    SSL_CTX* ctx = tls_->context->sslContext();
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, recordVerifyError);
    X509_VERIFY_PARAM* verify = SSL_CTX_get0_param(ctx);
    Poco::Net::IPAddress ip;
    int ok = Poco::Net::IPAddress::tryParse(settings_.host, ip)
                 ? X509_VERIFY_PARAM_set1_ip_asc(verify, settings_.host.c_str())
                 : X509_VERIFY_PARAM_set1_host(verify, settings_.host.c_str(), 0);
    X509_VERIFY_PARAM_set_hostflags(verify, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (ok != 1) {
      tls_->context = nullptr;
      tls_->error = "cannot check certificates for host '" + settings_.host + "'";
    }
  } catch (const Poco::Exception& e) {
    tls_->context = nullptr;
    tls_->error = tlsSetupFailed(settings_.ca_file, e.displayText());
  } catch (const std::exception& e) {
    tls_->context = nullptr;
    tls_->error = tlsSetupFailed(settings_.ca_file, e.what());
  }
}

SmtpTransport::~SmtpTransport() = default;

Delivery SmtpTransport::deliver(const OutgoingMessage& message) {
  Delivery d;
  try {
    d = converse(message);
  } catch (const std::exception& e) {
    d = temporary("SMTP delivery failed: " + outsideText(e.what()));
  } catch (...) {
    d = temporary("SMTP delivery failed: unknown error");
  }
  // No server should echo credentials, and nothing of ours includes them; this makes sure,
  // in every form (the password plain, URL-encoded, in base64 at any offset: inside AUTH
  // PLAIN's "\0user\0password" whatever the user name's length).
  d.reply = redactSecrets(d.reply);
  return d;
}

Delivery SmtpTransport::converse(const OutgoingMessage& message) {
  const SmtpSettings& s = settings_;
  const std::string where = s.host + ":" + std::to_string(s.port);

  // Checks that need no connection. Bad settings are temporary (the operator fixes them and
  // the queued message goes out); a bad recipient is permanent.
  if (s.host.empty()) return temporary("no SMTP host configured");
  if (s.port <= 0 || s.port > 65535)
    return temporary("invalid SMTP port " + std::to_string(s.port));
  if (!sendableAddress(s.envelope_from))
    return temporary("invalid envelope sender '" + s.envelope_from + "'");
  const std::string helo = s.helo_name.empty() ? Poco::Environment::nodeName() : s.helo_name;
  for (char c : helo)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return temporary("invalid EHLO name '" + helo + "'");
  std::vector<std::string> recipients;
  for (const auto& part : split(message.recipients, ',')) {
    std::string r(trim(part));
    if (r.empty()) continue;
    if (!sendableAddress(r)) return permanentFailure("invalid recipient address '" + r + "'");
    recipients.push_back(r);
  }
  if (recipients.empty()) return permanentFailure("the message has no recipients");
  const bool auth = !s.username.empty();
  if (auth && s.tls == SmtpTls::kNone && !isLoopbackHost(s.host))
    return temporary("refusing to send the SMTP password unencrypted to " + s.host +
                     ": use tls starttls or implicit");
  if (s.tls != SmtpTls::kNone && !tls_->context) return temporary(tls_->error);

  ScopedSigpipeBlock no_sigpipe;
  // At least a second: Poco reads a zero receive timeout as "wait forever".
  const Poco::Timespan timeout(std::max<long>(1, static_cast<long>(s.timeout.count())), 0);
  std::string stage = "connect to " + where;
  std::unique_ptr<Connection> conn;
  try {
    Poco::Net::StreamSocket socket;
    // "localhost" is the loopback address by definition (RFC 6761); resolving it through
    // /etc/hosts fails on minimal systems that have none, so it is not looked up.
    const std::string address = toLowerAscii(s.host) == "localhost" ? "127.0.0.1" : s.host;
    socket.connect(Poco::Net::SocketAddress(address, static_cast<Poco::UInt16>(s.port)), timeout);
    socket.setReceiveTimeout(timeout);
    socket.setSendTimeout(timeout);
    socket.setNoDelay(true);
    if (s.tls == SmtpTls::kImplicit) {
      stage = "TLS handshake with " + where;
      tls_verify_error.clear();
      Poco::Net::SecureStreamSocket secure =
          Poco::Net::SecureStreamSocket::attach(socket, s.host, tls_->context);
      secure.setReceiveTimeout(timeout);
      secure.setSendTimeout(timeout);
      socket = secure;
    }
    conn = std::make_unique<Connection>(socket);
    stage = "SMTP with " + where;

    // Every failure from here on says QUIT first.
    auto fail = [&](Delivery d) {
      conn->quit();
      return d;
    };

    Reply r = conn->read();  // the greeting
    if (r.kind() != 2) return fail(temporary(r.str()));
    r = conn->command("EHLO " + helo);
    if (r.kind() == 5) r = conn->command("HELO " + helo);  // a server from before ESMTP
    if (r.kind() != 2) return fail(temporary(r.str()));
    Capabilities caps = capabilitiesOf(conn->lines());

    if (s.tls == SmtpTls::kStartTls) {
      if (!caps.starttls)
        return fail(temporary(where + " does not offer STARTTLS; refusing to continue "
                                      "unencrypted (tls is starttls)"));
      r = conn->command("STARTTLS");
      if (r.kind() != 2) return fail(temporary(r.str()));
      stage = "TLS handshake with " + where;
      tls_verify_error.clear();
      conn->startTls(s.host, tls_->context, timeout);
      stage = "SMTP with " + where;
      // RFC 3207: forget what the server said before TLS and ask again.
      r = conn->command("EHLO " + helo);
      if (r.kind() != 2) return fail(temporary(r.str()));
      caps = capabilitiesOf(conn->lines());
    }

    if (auth) {
      if (!caps.auth) return fail(temporary(where + " does not offer AUTH"));
      if (offers(caps, "plain")) {
        // RFC 4616: authzid (empty), authcid, password, NUL-separated, in one argument.
        r = conn->command("AUTH PLAIN " +
                          base64(std::string(1, '\0') + s.username + '\0' + s.password));
      } else if (offers(caps, "login")) {
        // Whatever the prompts say, LOGIN asks for the user name first, then the password.
        r = conn->command("AUTH LOGIN");
        if (r.code == 334) r = conn->command(base64(s.username));
        if (r.code == 334) r = conn->command(base64(s.password));
      } else {
        std::string offered;
        for (const auto& m : caps.auth_mechanisms)
          offered += (offered.empty() ? "" : " ") + toUpperCopy(m);
        return fail(temporary(where +
                              " offers no AUTH mechanism we support (PLAIN, LOGIN); it "
                              "offers: " +
                              offered));
      }
      if (r.kind() != 2) return fail(temporary(r.str()));
    }

    r = conn->command("MAIL FROM:<" + s.envelope_from + ">");
    if (r.kind() == 5) return fail(permanentFailure(r.str()));
    if (r.kind() != 2) return fail(temporary(r.str()));

    std::vector<std::string> refused;  // "address (reply)"
    Reply last_refusal;
    bool all_refusals_permanent = true;
    size_t accepted = 0;
    for (const auto& rcpt : recipients) {
      r = conn->command("RCPT TO:<" + rcpt + ">");
      if (r.kind() == 2) {
        ++accepted;
        continue;
      }
      refused.push_back(rcpt + " (" + r.str() + ")");
      last_refusal = r;
      if (r.kind() != 5) all_refusals_permanent = false;
    }
    auto refusedList = [&] {
      std::string list;
      for (const auto& x : refused) list += (list.empty() ? "" : ", ") + x;
      return list;
    };
    if (accepted == 0) {
      std::string reply = recipients.size() == 1
                              ? last_refusal.str()
                              : last_refusal.str() + "; every recipient refused: " + refusedList();
      return fail(all_refusals_permanent ? permanentFailure(reply) : temporary(reply));
    }

    r = conn->command("DATA");
    if (r.kind() == 5) return fail(permanentFailure(r.str()));
    if (r.code != 354) return fail(temporary(r.str()));
    r = conn->sendData(withCrlf(message.body));
    if (r.kind() == 5) return fail(permanentFailure(r.str()));
    if (r.kind() != 2) return fail(temporary(r.str()));
    conn->quit();
    return {true, false, refused.empty() ? r.str() : r.str() + "; refused: " + refusedList()};
  } catch (const Poco::Net::SSLException& e) {
    // Certificate problems come from OpenSSL as a failed handshake; the callback kept why.
    const std::string why =
        !tls_verify_error.empty() ? "certificate refused: " + tls_verify_error : e.displayText();
    if (conn) conn->close();
    return temporary(stage + " failed: " + why);
  } catch (const Poco::Exception& e) {
    if (conn) conn->close();
    return temporary(stage + " failed: " + describe(e));
  } catch (const ProtocolError& e) {
    if (conn) conn->close();
    return temporary(stage + " failed: " + outsideText(e.what()));
  }
}

}  // namespace cspwatch::alerts
