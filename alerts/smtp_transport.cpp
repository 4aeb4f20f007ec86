// SPDX-License-Identifier: Apache-2.0
#include "alerts/smtp_transport.h"

#include <algorithm>
#include <csignal>
#include <ctime>
#include <optional>
#include <vector>

#include <Poco/Environment.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <pthread.h>

#include "alerts/smtp_connection.h"
#include "alerts/text_util.h"
#include "common/net_util.h"
#include "common/redact.h"
#include "common/text.h"

// Why the conversation is driven here and in alerts/smtp_connection.cpp, on Poco's
// DialogSocket, rather than through Poco::Net::SMTPClientSession (Poco 1.11, as Debian 12 ships
// it):
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

std::string toUpperCopy(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

Delivery temporary(std::string reply) { return {false, false, std::move(reply)}; }
Delivery permanentFailure(std::string reply) { return {false, true, std::move(reply)}; }

std::string describeNetworkError(const Poco::Exception& e) {
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

// A reply that must be 2xx for the dialogue to go on: nullopt when it is, else a temporary
// failure quoting it.
std::optional<Delivery> unlessPositive(const smtp::Reply& r) {
  if (r.kind() != 2) return temporary(r.str());
  return std::nullopt;
}

// The same for a reply whose 5xx refuses the message itself (MAIL FROM, DATA, the data's end):
// a 5xx is a permanent failure, another non-2xx a temporary one.
std::optional<Delivery> unlessAccepted(const smtp::Reply& r) {
  if (r.kind() == 5) return permanentFailure(r.str());
  return unlessPositive(r);
}

// What a message goes out with, checked before any connection.
struct Envelope {
  std::string helo;                     // our EHLO name
  std::vector<std::string> recipients;  // RCPT TO, in the message's order
};

// Fills `envelope` for `message`, or returns the failure known without a connection. Bad
// settings are temporary (the operator fixes them and the queued message goes out); a bad
// recipient is permanent.
std::optional<Delivery> checkBeforeConnecting(const SmtpSettings& s, const OutgoingMessage& message,
                                              Envelope& envelope) {
  if (s.host.empty()) return temporary("no SMTP host configured");
  if (s.port <= 0 || s.port > 65535)
    return temporary("invalid SMTP port " + std::to_string(s.port));
  if (!sendableAddress(s.envelope_from))
    return temporary("invalid envelope sender '" + s.envelope_from + "'");
  envelope.helo = s.helo_name.empty() ? Poco::Environment::nodeName() : s.helo_name;
  for (char c : envelope.helo)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return temporary("invalid EHLO name '" + envelope.helo + "'");
  for (const auto& part : split(message.recipients, ',')) {
    std::string r(trim(part));
    if (r.empty()) continue;
    if (!sendableAddress(r)) return permanentFailure("invalid recipient address '" + r + "'");
    envelope.recipients.push_back(r);
  }
  if (envelope.recipients.empty()) return permanentFailure("the message has no recipients");
  if (!s.username.empty() && s.tls == SmtpTls::kNone && !isLoopbackHost(s.host))
    return temporary("refusing to send the SMTP password unencrypted to " + s.host +
                     ": use tls starttls or implicit");
  return std::nullopt;
}

// One delivery's conversation with the server, a step for each part of the dialogue: connect
// (with implicit TLS), greeting and EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO, DATA. A step
// returns nullopt to go on, or how the delivery ended. Failures of the connection, TLS or the
// protocol are exceptions (Poco's, smtp::ProtocolError); `stage()` then says what was under way.
class Dialogue {
 public:
  Dialogue(const SmtpSettings& settings, Poco::Net::Context::Ptr context, Envelope envelope)
      : s_(settings),
        context_(std::move(context)),
        envelope_(std::move(envelope)),
        where_(s_.host + ":" + std::to_string(s_.port)),
        // At least a second: Poco reads a zero receive timeout as "wait forever".
        timeout_(std::max<long>(1, static_cast<long>(s_.timeout.count())), 0),
        stage_("connect to " + where_) {}

  // The whole dialogue. Once connected, every ending the server hears of says QUIT first;
  // after an exception the caller closes the connection.
  Delivery run(const std::string& body) {
    connect();
    std::optional<Delivery> ended = greet();
    if (!ended && s_.tls == SmtpTls::kStartTls) ended = startTls();
    if (!ended && !s_.username.empty()) ended = authenticate();
    if (!ended) ended = mailFrom();
    if (!ended) ended = rcptTo();
    const Delivery delivery = ended ? *ended : sendMessage(body);
    conn_->quit();
    return delivery;
  }

  const std::string& stage() const { return stage_; }

  void close() noexcept {
    if (conn_) conn_->close();
  }

 private:
  void connect() {
    Poco::Net::StreamSocket socket;
    // "localhost" is the loopback address by definition (RFC 6761); resolving it through
    // /etc/hosts fails on minimal systems that have none, so it is not looked up.
    const std::string address = toLowerAscii(s_.host) == "localhost" ? "127.0.0.1" : s_.host;
    socket.connect(Poco::Net::SocketAddress(address, static_cast<Poco::UInt16>(s_.port)), timeout_);
    socket.setReceiveTimeout(timeout_);
    socket.setSendTimeout(timeout_);
    socket.setNoDelay(true);
    if (s_.tls == SmtpTls::kImplicit) {
      stage_ = "TLS handshake with " + where_;
      tls_verify_error.clear();
      Poco::Net::SecureStreamSocket secure =
          Poco::Net::SecureStreamSocket::attach(socket, s_.host, context_);
      secure.setReceiveTimeout(timeout_);
      secure.setSendTimeout(timeout_);
      socket = secure;
    }
    conn_ = std::make_unique<smtp::Connection>(socket);
    stage_ = "SMTP with " + where_;
  }

  // The server's greeting, then EHLO (HELO for a server from before ESMTP).
  std::optional<Delivery> greet() {
    if (auto ended = unlessPositive(conn_->read())) return ended;
    smtp::Reply r = conn_->command("EHLO " + envelope_.helo);
    if (r.kind() == 5) r = conn_->command("HELO " + envelope_.helo);
    if (auto ended = unlessPositive(r)) return ended;
    caps_ = smtp::capabilitiesOf(conn_->lines());
    return std::nullopt;
  }

  std::optional<Delivery> startTls() {
    if (!caps_.starttls)
      return temporary(where_ +
                       " does not offer STARTTLS; refusing to continue unencrypted (tls is "
                       "starttls)");
    if (auto ended = unlessPositive(conn_->command("STARTTLS"))) return ended;
    stage_ = "TLS handshake with " + where_;
    tls_verify_error.clear();
    conn_->startTls(s_.host, context_, timeout_);
    stage_ = "SMTP with " + where_;
    // RFC 3207: forget what the server said before TLS and ask again.
    if (auto ended = unlessPositive(conn_->command("EHLO " + envelope_.helo))) return ended;
    caps_ = smtp::capabilitiesOf(conn_->lines());
    return std::nullopt;
  }

  // AUTH PLAIN, else AUTH LOGIN: the two every server we meet offers.
  std::optional<Delivery> authenticate() {
    if (!caps_.auth) return temporary(where_ + " does not offer AUTH");
    smtp::Reply r;
    if (caps_.offers("plain")) {
      // RFC 4616: authzid (empty), authcid, password, NUL-separated, in one argument.
      r = conn_->command("AUTH PLAIN " +
                         base64(std::string(1, '\0') + s_.username + '\0' + s_.password));
    } else if (caps_.offers("login")) {
      // Whatever the prompts say, LOGIN asks for the user name first, then the password.
      r = conn_->command("AUTH LOGIN");
      if (r.code == 334) r = conn_->command(base64(s_.username));
      if (r.code == 334) r = conn_->command(base64(s_.password));
    } else {
      std::string offered;
      for (const auto& m : caps_.auth_mechanisms)
        offered += (offered.empty() ? "" : " ") + toUpperCopy(m);
      return temporary(
          where_ + " offers no AUTH mechanism we support (PLAIN, LOGIN); it offers: " + offered);
    }
    return unlessPositive(r);
  }

  std::optional<Delivery> mailFrom() {
    return unlessAccepted(conn_->command("MAIL FROM:<" + s_.envelope_from + ">"));
  }

  // Each recipient in turn. The message goes on if any is accepted; when none is, the failure
  // is permanent only if every refusal was.
  std::optional<Delivery> rcptTo() {
    smtp::Reply last_refusal;
    bool all_refusals_permanent = true;
    size_t accepted = 0;
    for (const auto& rcpt : envelope_.recipients) {
      const smtp::Reply r = conn_->command("RCPT TO:<" + rcpt + ">");
      if (r.kind() == 2) {
        ++accepted;
        continue;
      }
      refused_.push_back(rcpt + " (" + r.str() + ")");
      last_refusal = r;
      if (r.kind() != 5) all_refusals_permanent = false;
    }
    if (accepted > 0) return std::nullopt;
    const std::string reply =
        envelope_.recipients.size() == 1
            ? last_refusal.str()
            : last_refusal.str() + "; every recipient refused: " + refusedList();
    return all_refusals_permanent ? permanentFailure(reply) : temporary(reply);
  }

  // DATA, the message, and the server's verdict on it.
  Delivery sendMessage(const std::string& body) {
    const smtp::Reply go_ahead = conn_->command("DATA");
    if (go_ahead.kind() == 5) return permanentFailure(go_ahead.str());
    if (go_ahead.code != 354) return temporary(go_ahead.str());
    const smtp::Reply r = conn_->sendData(withCrlf(body));
    if (auto ended = unlessAccepted(r)) return *ended;
    return {true, false, refused_.empty() ? r.str() : r.str() + "; refused: " + refusedList()};
  }

  // The refused recipients, "address (reply), ...".
  std::string refusedList() const {
    std::string list;
    for (const auto& x : refused_) list += (list.empty() ? "" : ", ") + x;
    return list;
  }

  const SmtpSettings& s_;
  const Poco::Net::Context::Ptr context_;
  const Envelope envelope_;
  const std::string where_;  // host:port
  const Poco::Timespan timeout_;
  std::string stage_;  // what is under way, for a failure
  std::unique_ptr<smtp::Connection> conn_;
  smtp::Capabilities caps_;
  std::vector<std::string> refused_;  // "address (reply)"
};

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
  Envelope envelope;
  if (auto refused = checkBeforeConnecting(settings_, message, envelope)) return *refused;
  if (settings_.tls != SmtpTls::kNone && !tls_->context) return temporary(tls_->error);

  ScopedSigpipeBlock no_sigpipe;
  Dialogue dialogue(settings_, tls_->context, std::move(envelope));
  try {
    return dialogue.run(message.body);
  } catch (const Poco::Net::SSLException& e) {
    // Certificate problems come from OpenSSL as a failed handshake; the callback kept why.
    const std::string why =
        !tls_verify_error.empty() ? "certificate refused: " + tls_verify_error : e.displayText();
    dialogue.close();
    return temporary(dialogue.stage() + " failed: " + why);
  } catch (const Poco::Exception& e) {
    dialogue.close();
    return temporary(dialogue.stage() + " failed: " + describeNetworkError(e));
  } catch (const smtp::ProtocolError& e) {
    dialogue.close();
    return temporary(dialogue.stage() + " failed: " + outsideText(e.what()));
  }
}

}  // namespace cspwatch::alerts
