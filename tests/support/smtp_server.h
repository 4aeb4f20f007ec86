// SPDX-License-Identifier: Apache-2.0
// A real SMTP server for tests: tests/support/smtp_server.py (Debian's aiosmtpd, run with
// /usr/bin/python3) as a child process listening on 127.0.0.1, writing every message it accepts
// to a maildir. Plain, STARTTLS or implicit TLS, optional AUTH, refused recipients, temporary
// failures and other faults (replies, cut connections, silence at any stage) on demand; plus a
// throwaway CA and server certificate made with openssl.
//
// Failures to start or stop throw std::runtime_error (a failed test, with the script's stderr,
// which goes to <maildir>.stderr.log).
// Not thread-safe; one object per server. The child gets SIGTERM when the object goes away and
// also stops by itself when this process dies (it watches its stdin).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

namespace cspwatch::testing {

class TempDir;

enum class SmtpServerTls { kNone, kStartTls, kImplicit };

// The server misbehaving at one stage of the conversation (smtp_server.py --fault): the first
// `times` times a connection reaches `stage` (0: every time), it does `action` instead.
//   stage:  "connect" (before the greeting), "ehlo", "auth", "mail", "rcpt" (each recipient),
//           "data" (the DATA command, before 354), "mid-data" (after 354, once the message's
//           header block arrived: before the final dot), "message" (after the final dot,
//           instead of storing), "stored" (after storing the message, instead of its 250)
//   action: "cut" (close the connection at once, unanswered), "hang" (answer nothing more,
//           keep the connection open) or a reply such as "451 4.3.0 Try again later" (at
//           connect: the greeting, then the server hangs up; mid-data takes cut or hang only)
// Faults for the same stage apply in the order given, each until its `times` are used up.
struct SmtpFault {
  std::string stage;
  int times = 1;
  std::string action;
};

struct SmtpServerOptions {
  SmtpServerTls tls = SmtpServerTls::kNone;
  std::string cert_file;  // PEM; required unless tls is kNone
  std::string key_file;
  std::string auth;       // "user:password": AUTH required (after STARTTLS in kStartTls)
  std::string auth_only;  // "PLAIN" or "LOGIN": offer only that mechanism; empty = both
  std::vector<std::string> reject_rcpt;  // answered 550 at RCPT TO
  int tempfail = 0;                      // the first N messages get 451 after their data
  int port = 0;                          // 0 = a free port
  std::string maildir;                   // empty = a temp dir owned by the server object
  // Misbehaviour on demand, counted from each start (restart() begins again); at "message",
  // tempfail's 451s come first.
  std::vector<SmtpFault> faults;
};

// One accepted message, as the server received it.
struct ReceivedMessage {
  std::string data;  // the message exactly as received, dot-stuffing reversed
  std::string mail_from;
  std::vector<std::string> rcpt_tos;
  std::string auth_user;  // empty without AUTH
};

class SmtpServer {
 public:
  // Starts the server and waits (up to 20 s) for its "listening on" line.
  explicit SmtpServer(SmtpServerOptions options = {});
  ~SmtpServer();
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  int port() const { return port_; }
  const std::string& maildir() const { return options_.maildir; }
  bool running() const { return pid_ > 0; }

  // The accepted messages in the order the server accepted them (also those accepted before a
  // restart). The server writes a message before it answers 250, so a client that has its
  // answer finds it here without waiting.
  std::vector<ReceivedMessage> messages() const;

  // What happened, in order, across restarts: "connect" for every connection, "fault STAGE
  // ACTION" for every fault that fired ("fault mid-data cut after 812 bytes"), "stored N" for
  // every message accepted. Each is written before the client can see its effect, so a client
  // that is done (its process exited) finds its events here.
  std::vector<std::string> events() const;

  // SIGTERM, then waits for the child (SIGKILL after 10 s). Idempotent.
  void stop();
  // Starts it again on the same port with the same maildir and options (after stop()).
  void restart();
  // The faults from the next start on (restart() applies them; a server that recovers gets
  // none).
  void setFaults(std::vector<SmtpFault> faults) { options_.faults = std::move(faults); }

 private:
  void start();

  SmtpServerOptions options_;
  std::unique_ptr<TempDir> own_maildir_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;  // our end of the child's stdin; closing it also stops the child
  int port_ = 0;
};

// A throwaway CA and a server certificate signed by it (EC P-256, valid for two days), made
// with the openssl command in `dir`. `subject_alt_names` are openssl's form, e.g.
// {"IP:127.0.0.1", "DNS:localhost"}. Throws std::runtime_error with openssl's stderr.
struct TestCertificates {
  std::string ca_file;    // the CA certificate (PEM): what a client trusts
  std::string cert_file;  // the server certificate (PEM)
  std::string key_file;   // its private key (PEM, unencrypted)
};
TestCertificates makeTestCertificates(const std::string& dir,
                                      const std::vector<std::string>& subject_alt_names = {
                                          "IP:127.0.0.1", "DNS:localhost"});

}  // namespace cspwatch::testing
