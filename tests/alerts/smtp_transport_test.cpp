// SPDX-License-Identifier: Apache-2.0
// SmtpTransport against a real SMTP server (aiosmtpd, tests/support/smtp_server.h) on
// 127.0.0.1: TLS both ways, AUTH, refusals and temporary failures as the server really sends
// them.
#include "alerts/smtp_transport.h"

#include <thread>

#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <catch2/catch.hpp>

#include "alerts/mail_message.h"
#include "common/text.h"
#include "tests/support/smtp_server.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::alerts;
using namespace cspwatch::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const std::string kUser = "cspwatch@northwind-it.com.au";
const std::string kPassword = "correct horse battery staple 4e1b9c";

// One throwaway CA and server certificate (for 127.0.0.1 and localhost) per test run.
const TestCertificates& certs() {
  static TempDir dir;
  static TestCertificates c = makeTestCertificates(dir.path());
  return c;
}

SmtpServerOptions tlsServer(SmtpServerTls tls) {
  SmtpServerOptions o;
  o.tls = tls;
  o.cert_file = certs().cert_file;
  o.key_file = certs().key_file;
  return o;
}

SmtpSettings settingsFor(const SmtpServer& server, SmtpTls tls) {
  SmtpSettings s;
  s.host = "127.0.0.1";
  s.port = server.port();
  s.tls = tls;
  s.envelope_from = "cspwatch-bounces@northwind-it.com.au";
  s.helo_name = "cspwatch.test";
  s.ca_file = tls == SmtpTls::kNone ? "" : certs().ca_file;
  s.timeout = std::chrono::seconds(10);
  return s;
}

OutgoingMessage digest(const std::string& recipients) {
  MailMessage m;
  m.from = "cspwatch <cspwatch@northwind-it.com.au>";
  for (const auto& r : split(recipients, ',')) m.to.emplace_back(trim(r));
  m.subject = "[cspwatch] 2 new: partner not listed on Contoso Ltd, stale GDAP on Fabrikam";
  m.text = "Contoso Ltd does not list us as its partner.\nFix: send the reseller invitation.\n";
  m.html = "<p>Contoso Ltd does not list us as its partner.</p>";
  m.message_id = stableMessageId("digest|2026-11-25|" + recipients, "northwind-it.com.au");
  m.date = *parseTimestamp("2026-11-25T06:00:00Z");
  Result<std::string> body = renderMessage(m);
  REQUIRE(body);
  return {m.message_id, recipients, *body};
}

// A message whose lines start with dots, one of them a lone "." that would end the DATA
// transfer early if it were not stuffed.
OutgoingMessage dotty(const std::string& recipients) {
  std::string body = "From: cspwatch@northwind-it.com.au\r\nTo: " + recipients + "\r\n";
  body += "Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nafter a lone dot\r\n";
  return {"<dots@northwind-it.com.au>", recipients, body};
}

// SSLManager's process-wide handler for client certificates that fail verification.
void installClientCertificateHandler(Poco::Net::InvalidCertificateHandler* handler) {
  Poco::Net::SSLManager::instance().initializeClient(
      nullptr, handler,
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, Poco::Net::Context::Params()));
}

}  // namespace

TEST_CASE("smtp: STARTTLS with AUTH delivers the message as rendered, to the envelope recipients",
          "[smtp]") {
  SmtpServerOptions o = tlsServer(SmtpServerTls::kStartTls);
  o.auth = kUser + ":" + kPassword;
  SECTION("AUTH PLAIN") { o.auth_only = "PLAIN"; }
  SECTION("AUTH LOGIN") { o.auth_only = "LOGIN"; }
  SmtpServer server(o);
  SmtpSettings s = settingsFor(server, SmtpTls::kStartTls);
  s.username = kUser;
  s.password = kPassword;
  OutgoingMessage msg = digest("admins@northwind-it.com.au, oncall@northwind-it.com.au");

  Delivery d = SmtpTransport(s).deliver(msg);

  CHECK(d.delivered);
  CHECK_FALSE(d.permanent);
  CHECK_THAT(d.reply, StartsWith("250 2.0.0 Ok: queued as 1"));
  auto got = server.messages();
  REQUIRE(got.size() == 1);
  CHECK(got[0].data == msg.body);
  CHECK(got[0].mail_from == "cspwatch-bounces@northwind-it.com.au");
  CHECK(got[0].rcpt_tos ==
        std::vector<std::string>{"admins@northwind-it.com.au", "oncall@northwind-it.com.au"});
  CHECK(got[0].auth_user == kUser);
}

TEST_CASE("smtp: implicit TLS (port 465 style) delivers, by IP address or by name", "[smtp]") {
  // The certificate names both (IP:127.0.0.1, DNS:localhost); each is checked its own way.
  const std::string host = GENERATE(as<std::string>(), "127.0.0.1", "localhost");
  CAPTURE(host);
  SmtpServerOptions o = tlsServer(SmtpServerTls::kImplicit);
  o.auth = kUser + ":" + kPassword;
  SmtpServer server(o);
  SmtpSettings s = settingsFor(server, SmtpTls::kImplicit);
  s.host = host;
  s.username = kUser;
  s.password = kPassword;
  OutgoingMessage msg = digest("admins@northwind-it.com.au");

  Delivery d = SmtpTransport(s).deliver(msg);

  CHECK(d.delivered);
  CHECK_THAT(d.reply, StartsWith("250 "));
  auto got = server.messages();
  REQUIRE(got.size() == 1);
  CHECK(got[0].data == msg.body);
  CHECK(got[0].auth_user == kUser);
}

TEST_CASE(
    "smtp: plain SMTP to a loopback relay delivers, but a password never goes out unencrypted "
    "to another host",
    "[smtp]") {
  SECTION("no AUTH") {
    SmtpServer server;
    Delivery d = SmtpTransport(settingsFor(server, SmtpTls::kNone))
                     .deliver(digest("admins@northwind-it.com.au"));
    CHECK(d.delivered);
    REQUIRE(server.messages().size() == 1);
    CHECK(server.messages()[0].auth_user.empty());
  }
  SECTION("AUTH to loopback is allowed") {
    SmtpServerOptions o;
    o.auth = kUser + ":" + kPassword;
    SmtpServer server(o);
    SmtpSettings s = settingsFor(server, SmtpTls::kNone);
    s.username = kUser;
    s.password = kPassword;
    Delivery d = SmtpTransport(s).deliver(digest("admins@northwind-it.com.au"));
    CHECK(d.delivered);
    REQUIRE(server.messages().size() == 1);
    CHECK(server.messages()[0].auth_user == kUser);
  }
  SECTION("AUTH to any other host is refused before connecting") {
    SmtpSettings s;
    s.host = "smtp.northwind-it.com.au";
    s.port = 25;
    s.tls = SmtpTls::kNone;
    s.username = kUser;
    s.password = kPassword;
    s.envelope_from = "cspwatch-bounces@northwind-it.com.au";
    Delivery d = SmtpTransport(s).deliver(digest("admins@northwind-it.com.au"));
    CHECK_FALSE(d.delivered);
    CHECK_FALSE(d.permanent);
    CHECK_THAT(d.reply, Contains("refusing to send the SMTP password unencrypted"));
  }
}

TEST_CASE(
    "smtp: a wrong password is temporary, says 535 and never shows the password, and once fixed "
    "the next attempt delivers",
    "[smtp]") {
  SmtpServerOptions o = tlsServer(SmtpServerTls::kStartTls);
  o.auth = kUser + ":" + kPassword;
  SmtpServer server(o);
  SmtpSettings s = settingsFor(server, SmtpTls::kStartTls);
  s.username = kUser;
  s.password = "fake-wrong-password-for-tests";
  OutgoingMessage msg = digest("admins@northwind-it.com.au");

  Delivery d = SmtpTransport(s).deliver(msg);
  CHECK_FALSE(d.delivered);
  CHECK_FALSE(d.permanent);
  CHECK_THAT(d.reply, StartsWith("535 "));
  CHECK_THAT(d.reply, !Contains("fake-wrong-password-for-tests"));
  CHECK(server.messages().empty());

  s.password = kPassword;
  CHECK(SmtpTransport(s).deliver(msg).delivered);
  CHECK(server.messages().size() == 1);
}

TEST_CASE("smtp: a certificate we do not trust, or for another name, is refused", "[smtp]") {
  const bool implicit = GENERATE(false, true);
  const bool wrong_name = GENERATE(false, true);
  CAPTURE(implicit, wrong_name);
  SmtpServerOptions o = tlsServer(implicit ? SmtpServerTls::kImplicit : SmtpServerTls::kStartTls);
  o.auth = kUser + ":" + kPassword;
  TempDir other;
  if (wrong_name) {
    // Signed by a CA the client trusts, but not for 127.0.0.1.
    TestCertificates elsewhere = makeTestCertificates(other.path(), {"DNS:smtp.elsewhere.example"});
    o.cert_file = elsewhere.cert_file;
    o.key_file = elsewhere.key_file;
  }
  SmtpServer server(o);
  SmtpSettings s = settingsFor(server, implicit ? SmtpTls::kImplicit : SmtpTls::kStartTls);
  s.username = kUser;
  s.password = kPassword;
  // Untrusted: no ca_file, and the throwaway CA is in no system store.
  s.ca_file = wrong_name ? other.path() + "/ca.pem" : "";

  Delivery d = SmtpTransport(s).deliver(digest("admins@northwind-it.com.au"));

  CHECK_FALSE(d.delivered);
  CHECK_FALSE(d.permanent);
  CHECK_THAT(d.reply, StartsWith("TLS handshake with 127.0.0.1:" + std::to_string(server.port()) +
                                 " failed: certificate refused: "));
  if (wrong_name) CHECK_THAT(d.reply, Contains("the certificate is for another name"));
  CHECK(server.messages().empty());
}

TEST_CASE("smtp: a process-wide accept-all certificate handler does not make us accept", "[smtp]") {
  // Poco calls SSLManager's InvalidCertificateHandler for a certificate that fails; one that
  // accepts (installed by any code in the process, as SSLManager's documentation shows) must
  // not decide for this transport.
  installClientCertificateHandler(new Poco::Net::AcceptCertificateHandler(false));
  // Afterwards what the rest of this process's tests expect: certificates that fail are refused.
  struct Restore {
    ~Restore() { installClientCertificateHandler(new Poco::Net::RejectCertificateHandler(false)); }
  } restore;
  SmtpServer server(tlsServer(SmtpServerTls::kImplicit));
  SmtpSettings s = settingsFor(server, SmtpTls::kImplicit);
  s.ca_file.clear();

  Delivery d = SmtpTransport(s).deliver(digest("admins@northwind-it.com.au"));

  CHECK_FALSE(d.delivered);
  CHECK_THAT(d.reply, Contains("certificate refused"));
  CHECK(server.messages().empty());
}

TEST_CASE("smtp: STARTTLS required but the server does not offer it: nothing is sent", "[smtp]") {
  SmtpServer server;  // plain SMTP only
  SmtpSettings s = settingsFor(server, SmtpTls::kStartTls);
  s.username = kUser;
  s.password = kPassword;

  Delivery d = SmtpTransport(s).deliver(digest("admins@northwind-it.com.au"));

  CHECK_FALSE(d.delivered);
  CHECK_FALSE(d.permanent);
  CHECK_THAT(d.reply, Contains("does not offer STARTTLS"));
  CHECK(server.messages().empty());
}

TEST_CASE("smtp: a refused recipient is permanent alone, and noted when others get the message",
          "[smtp]") {
  SmtpServerOptions o;
  o.reject_rcpt = {"gone@northwind-it.com.au"};
  SmtpServer server(o);
  SmtpTransport transport(settingsFor(server, SmtpTls::kNone));

  SECTION("the only recipient") {
    Delivery d = transport.deliver(digest("gone@northwind-it.com.au"));
    CHECK_FALSE(d.delivered);
    CHECK(d.permanent);
    CHECK_THAT(d.reply, StartsWith("550 5.1.1 <gone@northwind-it.com.au>"));
    CHECK(server.messages().empty());
  }
  SECTION("one of two") {
    OutgoingMessage msg = digest("gone@northwind-it.com.au,admins@northwind-it.com.au");
    Delivery d = transport.deliver(msg);
    CHECK(d.delivered);
    CHECK_FALSE(d.permanent);
    CHECK_THAT(d.reply, StartsWith("250 "));
    CHECK_THAT(d.reply, Contains("refused: gone@northwind-it.com.au (550 "));
    auto got = server.messages();
    REQUIRE(got.size() == 1);
    CHECK(got[0].rcpt_tos == std::vector<std::string>{"admins@northwind-it.com.au"});
    CHECK(got[0].data == msg.body);
  }
  SECTION("an address that cannot be sent is permanent, and never reaches the server") {
    Delivery d = transport.deliver(digest("admins@northwind-it.com.au"));
    REQUIRE(d.delivered);
    d = transport.deliver({"<x@y>", "a@northwind-it.com.au>\r\nRCPT TO:<b@evil.example", "x"});
    CHECK_FALSE(d.delivered);
    CHECK(d.permanent);
    CHECK_THAT(d.reply, StartsWith("invalid recipient address"));
    CHECK(server.messages().size() == 1);
  }
}

TEST_CASE("smtp: 451 after the data is temporary, and the retry delivers", "[smtp]") {
  SmtpServerOptions o;
  o.tempfail = 1;
  SmtpServer server(o);
  SmtpTransport transport(settingsFor(server, SmtpTls::kNone));
  OutgoingMessage msg = digest("admins@northwind-it.com.au");

  Delivery d = transport.deliver(msg);
  CHECK_FALSE(d.delivered);
  CHECK_FALSE(d.permanent);
  CHECK_THAT(d.reply, StartsWith("451 4.3.0"));
  CHECK(server.messages().empty());

  CHECK(transport.deliver(msg).delivered);
  CHECK(server.messages().size() == 1);
}

TEST_CASE("smtp: server down is temporary, and back on the same port it gets the message",
          "[smtp]") {
  SmtpServer server;
  SmtpTransport transport(settingsFor(server, SmtpTls::kNone));
  OutgoingMessage msg = digest("admins@northwind-it.com.au");
  server.stop();

  Delivery d = transport.deliver(msg);
  CHECK_FALSE(d.delivered);
  CHECK_FALSE(d.permanent);
  CHECK(d.reply ==
        "connect to 127.0.0.1:" + std::to_string(server.port()) + " failed: Connection refused");

  server.restart();
  CHECK(transport.deliver(msg).delivered);
  CHECK(server.messages().size() == 1);
}

TEST_CASE("smtp: lines starting with '.' arrive intact (dot-stuffing)", "[smtp]") {
  SmtpServerOptions o = tlsServer(SmtpServerTls::kStartTls);
  SmtpServer server(o);
  OutgoingMessage msg = dotty("admins@northwind-it.com.au");

  Delivery d = SmtpTransport(settingsFor(server, SmtpTls::kStartTls)).deliver(msg);

  CHECK(d.delivered);
  auto got = server.messages();
  REQUIRE(got.size() == 1);
  CHECK(got[0].data == msg.body);
}

TEST_CASE("smtp: a server that accepts the connection but never answers times out", "[smtp]") {
  // Listening, never accepting: the kernel completes the connection, no greeting ever comes.
  Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
  SmtpSettings s;
  s.host = "127.0.0.1";
  s.port = silent.address().port();
  s.tls = SmtpTls::kNone;
  s.envelope_from = "cspwatch-bounces@northwind-it.com.au";
  s.timeout = std::chrono::seconds(1);

  Delivery d = SmtpTransport(s).deliver(digest("admins@northwind-it.com.au"));

  CHECK_FALSE(d.delivered);
  CHECK_FALSE(d.permanent);
  CHECK_THAT(d.reply, Contains("timed out"));
}

TEST_CASE("smtp: an unreadable ca_file is reported by deliver, as temporary", "[smtp]") {
  SmtpSettings s;
  s.host = "127.0.0.1";
  s.port = 1;
  s.envelope_from = "cspwatch-bounces@northwind-it.com.au";
  s.ca_file = "/nonexistent/private-ca.pem";

  Delivery d = SmtpTransport(s).deliver(digest("admins@northwind-it.com.au"));

  CHECK_FALSE(d.delivered);
  CHECK_FALSE(d.permanent);
  CHECK_THAT(d.reply, Contains("/nonexistent/private-ca.pem"));
}

TEST_CASE("smtp: a server that hangs up in the middle of a reply is a temporary failure",
          "[smtp]") {
  // Poco 1.11's own reply reader spins forever here; ours must return.
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::thread server([&] {
    Poco::Net::StreamSocket c = listener.acceptConnection();
    const std::string half = "220-smtp.test.invalid first line of two\r\n";
    c.sendBytes(half.data(), static_cast<int>(half.size()));
    c.close();
  });
  SmtpSettings s;
  s.host = "127.0.0.1";
  s.port = listener.address().port();
  s.tls = SmtpTls::kNone;
  s.envelope_from = "cspwatch-bounces@northwind-it.com.au";
  s.timeout = std::chrono::seconds(10);

  Delivery d = SmtpTransport(s).deliver(digest("admins@northwind-it.com.au"));
  server.join();

  CHECK_FALSE(d.delivered);
  CHECK_FALSE(d.permanent);
  CHECK_THAT(d.reply, Contains("closed the connection mid-reply"));
}
