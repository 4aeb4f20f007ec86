// SPDX-License-Identifier: Apache-2.0
// SMTP faults end to end: a real scan of the simulator queues alerts, the real cspwatch binary
// delivers them (`scan --once`, then `alerts send`, each its own process) to a real SMTP server
// (aiosmtpd, tests/support/smtp_server.h) that misbehaves: down, AUTH refused, 4xx and 5xx
// replies, the connection cut before and after the final dot, silence. Then it recovers. At the
// end every queued message arrived exactly once (counted by Message-ID at the server) or is
// `failed` in the outbox with the server's answer; the one exception is a message the server
// stored but whose 250 never reached us, which may arrive twice, always with the same
// Message-ID and the same bytes. The outbox is in the run's store (tests/support/test_store.h).
//
// Time moves with `--now` (the outbox's retry times are absolute), never by sleeping; the only
// waits are the transport's own timeout (1 s, from the config) where the server stays silent.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/text.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/login.h"
#include "sim/server.h"
#include "tests/faults/fault_checks.h"
#include "tests/faults/sim_config.h"
#include "tests/support/process.h"
#include "tests/support/smtp_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using Catch::contains;
using cspwatch::testing::ProcessResult;
using cspwatch::testing::SmtpFault;
using cspwatch::testing::SmtpServerOptions;
using cspwatch::testing::TempDir;

namespace {

using cspwatch::testing::kSimClient;
using cspwatch::testing::messageIdOf;

constexpr size_t kTenants = 6;  // seed 2: two critical messages and two digests
const std::string kPassword = "fake-smtp-password-for-fault-tests";

struct OutboxEntry {
  std::string message_id, kind, to, status, last_error;
  int attempts = 0;
};

// How cspwatch reaches the server: plain SMTP to the loopback relay, or like a submission
// server, STARTTLS (a throwaway CA) and AUTH as user "cspwatch" with kPassword.
enum class Link { kPlain, kSubmission };

// One world: the simulator (the partner's tenants), an SMTP server with `smtp` options and a
// cspwatch config that sends alerts there over `link`, with a 1 s timeout, retries after 1 min
// (doubling up to 10 min) and giving up after 1 h.
class World {
 public:
  explicit World(SmtpServerOptions smtp, Link link = Link::kPlain)
      : now_(fromUnixSeconds(toUnixSeconds(SystemClock().now()))),
        world_(sim::generateWorld(kTenants, 2, now_)),
        login_(sim::LoginOptions{kSimClient, "s3cret", Seconds(3600), Seconds(60), "", true}, 17),
        api_(world_, login_, clock_),
        server_(api_),
        certs_(link == Link::kSubmission ? testing::makeTestCertificates(dir_.file("certs"))
                                         : testing::TestCertificates{}),
        smtp_(serverOptions(std::move(smtp), link, certs_)) {
    const std::string base = "http://127.0.0.1:" + std::to_string(server_.start(0, 4));
    testing::writeSimFiles(dir_, login_, world_, now_);
    setPassword(kPassword);
    const std::string domain = world_.partner.email_domains[0];
    const std::string security =
        link == Link::kSubmission
            ? "    tls: starttls\n    ca_file: " + certs_.ca_file +
                  "\n    username: cspwatch\n    password_file: smtp_password\n"
            : "    tls: none\n";
    config_ = dir_.write(
        "cspwatch.yaml",
        testing::simConfigYaml(
            world_.partner, base, 4,
            "alerts:\n  transport: smtp\n  from: cspwatch@" + domain +
                "\n  templates_dir: " + testing::sourcePath("etc/templates") +
                "\n  could_not_check_after_scans: 1\n  immediate_severities: [critical, high]\n"
                "  retry_first: 1m\n  retry_max: 10m\n  give_up_after: 1h\n"
                "  smtp:\n    host: 127.0.0.1\n    port: " +
                std::to_string(smtp_.port()) + "\n    timeout: 1s\n" + security +
                "  routes:\n    - to: [ops@" + domain + "]\n      default: true\n    - to: [gdap@" +
                domain + "]\n      match: {rule_tags: [gdap]}\n",
            testing::storageYaml(testing::testStore(dir_, "cspwatch.db"))));
  }

  testing::SmtpServer& smtp() { return smtp_; }
  void setPassword(const std::string& p) {
    REQUIRE(writeFileAtomically(dir_.file("smtp_password"), p + "\n", 0600));
  }

  // `cspwatch scan --once` at the world's time: queues the scan's alerts, sends what it can.
  ProcessResult scan() { return cspwatch({"scan", "--once", "--now", at(Seconds(0))}); }
  // `cspwatch alerts send` `later` after the scan.
  ProcessResult send(Seconds later) { return cspwatch({"alerts", "send", "--now", at(later)}); }
  ProcessResult outboxTable() { return cspwatch({"alerts", "outbox"}); }
  // `cspwatch alerts outbox --all --format json`: every message, oldest first.
  std::vector<OutboxEntry> outbox() {
    ProcessResult r = cspwatch({"alerts", "outbox", "--all", "--format", "json"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
    auto list = doc->getArray("messages");
    std::vector<OutboxEntry> out;
    for (size_t i = list->size(); i-- > 0;) {
      auto m = list->getObject(static_cast<unsigned>(i));
      OutboxEntry e;
      e.message_id = m->getValue<std::string>("message_id");
      e.kind = m->getValue<std::string>("kind");
      e.to = m->getValue<std::string>("to");
      e.status = m->getValue<std::string>("status");
      e.attempts = m->getValue<int>("attempts");
      if (!m->isNull("last_error")) e.last_error = m->getValue<std::string>("last_error");
      out.push_back(std::move(e));
    }
    return out;
  }
  // Copies the server stored, by Message-ID.
  std::map<std::string, int> received() const {
    std::map<std::string, int> out;
    for (const auto& m : smtp_.messages()) ++out[messageIdOf(m.data)];
    return out;
  }
  // How many events the server logged that start with `prefix` ("connect", "fault rcpt").
  int events(const std::string& prefix) const {
    int n = 0;
    for (const auto& e : smtp_.events()) n += startsWith(e, prefix);
    return n;
  }

 private:
  std::string at(Seconds later) const { return formatTimestamp(now_ + later); }
  ProcessResult cspwatch(std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", config_});
    return testing::runBinary("cspwatch", args);
  }

  static SmtpServerOptions serverOptions(SmtpServerOptions o, Link link,
                                         const testing::TestCertificates& certs) {
    if (link == Link::kSubmission) {
      o.tls = testing::SmtpServerTls::kStartTls;
      o.cert_file = certs.cert_file;
      o.key_file = certs.key_file;
      o.auth = "cspwatch:" + kPassword;
    }
    return o;
  }

  TempDir dir_;
  SystemClock clock_;
  Timestamp now_;
  sim::World world_;
  sim::LoginService login_;
  sim::SimApi api_;
  sim::SimServer server_;
  testing::TestCertificates certs_;
  testing::SmtpServer smtp_;
  std::string config_;
};

// "alerts: 3 delivered, 1 waiting to retry, 0 failed" from cspwatch's output.
struct Counts {
  int delivered = -1, retrying = -1, failed = -1;
};
Counts countsOf(const std::string& out) {
  Counts c;
  const size_t at = out.find("alerts: ");
  if (at != std::string::npos)
    std::sscanf(out.c_str() + at, "alerts: %d delivered, %d waiting to retry, %d failed",
                &c.delivered, &c.retrying, &c.failed);
  return c;
}

// The suite's promise, checked at the end of every scenario: each message the outbox queued
// is either sent and at the server exactly once, or failed with a reason and not at the
// server; nothing is left queued and nothing arrived that was not queued. Messages in
// `may_repeat` (the server stored them but its 250 was lost) may be there twice. Returns the
// outbox.
std::vector<OutboxEntry> checkEachOnceOrFailed(World& w,
                                               const std::set<std::string>& may_repeat = {}) {
  const std::vector<OutboxEntry> outbox = w.outbox();
  const std::map<std::string, int> received = w.received();
  REQUIRE_FALSE(outbox.empty());
  std::set<std::string> queued;
  for (const auto& m : outbox) {
    INFO(m.kind << " " << m.message_id << " to " << m.to << ": " << m.status << " after "
                << m.attempts << " attempt(s); " << m.last_error);
    queued.insert(m.message_id);
    auto it = received.find(m.message_id);
    const int copies = it == received.end() ? 0 : it->second;
    if (m.status == "sent") {
      if (may_repeat.count(m.message_id))
        CHECK((copies == 1 || copies == 2));
      else
        CHECK(copies == 1);
    } else {
      CHECK(m.status == "failed");
      CHECK(copies == 0);
      CHECK_FALSE(m.last_error.empty());
    }
  }
  for (const auto& [id, copies] : received) {
    INFO(id);
    CHECK(queued.count(id) == 1);
  }
  return outbox;
}

int countStatus(const std::vector<OutboxEntry>& outbox, const std::string& status) {
  int n = 0;
  for (const auto& m : outbox) n += m.status == status;
  return n;
}

// The outbox's messages with `status`, in queue order.
std::vector<OutboxEntry> withStatus(const std::vector<OutboxEntry>& outbox,
                                    const std::string& status) {
  std::vector<OutboxEntry> out;
  for (const auto& m : outbox)
    if (m.status == status) out.push_back(m);
  return out;
}

// The number in "fault mid-data cut after 812 bytes".
long bytesIn(const std::string& event) {
  const size_t at = event.find(" after ");
  return at == std::string::npos ? -1 : std::atol(event.c_str() + at + 7);
}

SmtpServerOptions faulty(std::vector<SmtpFault> faults) {
  SmtpServerOptions o;
  o.faults = std::move(faults);
  return o;
}

}  // namespace

TEST_CASE("smtp faults: server down (connection refused), then up: each message arrives once",
          "[faults][smtp-faults]") {
  World w{SmtpServerOptions{}};
  w.smtp().stop();

  ProcessResult scan = w.scan();
  INFO(scan.out << scan.err);
  REQUIRE(scan.exit_code == 0);  // the scan is recorded; its mail waits
  const Counts first = countsOf(scan.out);
  REQUIRE(first.retrying >= 2);  // several messages, so "each once" means something
  CHECK(first.delivered == 0);
  CHECK(first.failed == 0);
  const std::string table = w.outboxTable().out;
  CHECK(contains(table, "queued"));
  CHECK(contains(table, "connect to 127.0.0.1"));
  for (const auto& m : w.outbox())
    CHECK(contains(m.last_error, "connect to 127.0.0.1:" + std::to_string(w.smtp().port()) +
                                     " failed: Connection refused"));

  w.smtp().restart();
  // Before the retry time nothing is tried.
  ProcessResult early = w.send(Seconds(30));
  CHECK(countsOf(early.out).delivered == 0);
  CHECK(w.events("connect") == 0);
  ProcessResult send = w.send(Seconds(61));
  INFO(send.out << send.err);
  CHECK(send.exit_code == 0);
  CHECK(countsOf(send.out).delivered == first.retrying);
  CHECK(w.events("connect") == first.retrying);  // one connection per message, no more
  // Later runs find nothing to send.
  CHECK(countsOf(w.send(Seconds(3600)).out).delivered == 0);
  CHECK(w.events("connect") == first.retrying);
  auto outbox = checkEachOnceOrFailed(w);
  CHECK(countStatus(outbox, "sent") == first.retrying);
  CHECK(contains(w.outboxTable().out, "nothing queued or failed"));
}

TEST_CASE(
    "smtp faults: AUTH refused (535) is retried, never sent while refused, failed past "
    "give_up_after or delivered once after the fix",
    "[faults][smtp-faults]") {
  World w(SmtpServerOptions{}, Link::kSubmission);
  w.setPassword("a-wrong-password-for-fault-tests");

  ProcessResult scan = w.scan();
  INFO(scan.out << scan.err);
  REQUIRE(scan.exit_code == 0);
  const Counts first = countsOf(scan.out);
  REQUIRE(first.retrying >= 2);
  CHECK(first.delivered == 0);
  // Authentication refused is temporary (docs/alerts.md): the operator fixes the password and
  // the queued messages go out.
  CHECK(first.failed == 0);
  const std::string table = w.outboxTable().out;
  CHECK(contains(table, "535 5.7.8"));
  CHECK_FALSE(contains(table, "a-wrong-password"));
  CHECK_FALSE(contains(scan.out + scan.err, "a-wrong-password"));
  CHECK(w.smtp().messages().empty());

  SECTION("the password fixed: each message arrives once") {
    w.setPassword(kPassword);
    ProcessResult send = w.send(Seconds(61));
    INFO(send.out << send.err);
    CHECK(send.exit_code == 0);
    CHECK(countsOf(send.out).delivered == first.retrying);
    for (const auto& m : w.smtp().messages()) CHECK(m.auth_user == "cspwatch");
    auto outbox = checkEachOnceOrFailed(w);
    CHECK(countStatus(outbox, "sent") == first.retrying);
  }
  SECTION("never fixed: failed after give_up_after with the server's answer, then left alone") {
    CHECK(countsOf(w.send(Seconds(61)).out).retrying == first.retrying);
    // The next attempt would come after the 1 h give_up_after: given up, reported.
    ProcessResult last = w.send(Seconds(3600));
    INFO(last.out << last.err);
    CHECK(last.exit_code == 1);
    CHECK(countsOf(last.out).failed == first.retrying);
    CHECK(contains(last.err, "giving up"));
    const int tries = w.events("connect");
    CHECK(tries == 3 * first.retrying);
    // The password fixed too late: nothing is sent again by itself.
    w.setPassword(kPassword);
    ProcessResult later = w.send(Seconds(7200));
    CHECK(countsOf(later.out).delivered == 0);
    CHECK(w.events("connect") == tries);
    auto outbox = checkEachOnceOrFailed(w);
    CHECK(countStatus(outbox, "failed") == first.retrying);
    for (const auto& m : outbox)
      CHECK(contains(m.last_error, "535 5.7.8 Authentication credentials invalid"));
    const std::string failed = w.outboxTable().out;
    CHECK(contains(failed, "failed"));
    CHECK(contains(failed, "535 5.7.8"));
  }
}

TEST_CASE("smtp faults: AUTH refused temporarily (454), then accepted: each message arrives once",
          "[faults][smtp-faults]") {
  World w(faulty({{"auth", 0, "454 4.7.0 Temporary authentication failure"}}), Link::kSubmission);

  ProcessResult scan = w.scan();
  INFO(scan.out << scan.err);
  REQUIRE(scan.exit_code == 0);
  const Counts first = countsOf(scan.out);
  REQUIRE(first.retrying >= 2);
  CHECK(first.delivered == 0);
  CHECK(first.failed == 0);
  CHECK(w.events("fault auth 454") == first.retrying);
  CHECK(contains(w.outboxTable().out, "454 4.7.0"));
  for (const auto& m : w.outbox())
    CHECK(m.last_error == "454 4.7.0 Temporary authentication failure");

  w.smtp().setFaults({});
  w.smtp().restart();
  ProcessResult send = w.send(Seconds(61));
  INFO(send.out << send.err);
  CHECK(send.exit_code == 0);
  CHECK(countsOf(send.out).delivered == first.retrying);
  for (const auto& m : w.smtp().messages()) CHECK(m.auth_user == "cspwatch");
  auto outbox = checkEachOnceOrFailed(w);
  CHECK(countStatus(outbox, "sent") == first.retrying);
}

TEST_CASE(
    "smtp faults: 4xx at the greeting, MAIL FROM, RCPT TO, DATA and after the data: retried "
    "with back-off, then each message arrives once",
    "[faults][smtp-faults]") {
  // One fault per connection, in this order: the scan's messages meet the first ones, the
  // first retry the last.
  const std::vector<SmtpFault> faults = {{"connect", 1, "421 4.3.2 Service not available"},
                                         {"mail", 1, "451 4.3.0 Mail server busy, try later"},
                                         {"rcpt", 1, "450 4.2.1 Mailbox busy, try later"},
                                         {"data", 1, "451 4.3.0 Not now, try later"},
                                         {"message", 1, "452 4.3.1 Insufficient system storage"}};
  World w(faulty(faults));

  ProcessResult scan = w.scan();
  INFO(scan.out << scan.err);
  REQUIRE(scan.exit_code == 0);
  const Counts first = countsOf(scan.out);
  REQUIRE(first.retrying == 4);  // the world's four messages (kTenants)
  CHECK(first.delivered == 0);
  CHECK(first.failed == 0);
  std::vector<OutboxEntry> outbox = w.outbox();
  REQUIRE(outbox.size() == 4);
  for (const auto& m : outbox) CHECK(m.status == "queued");
  // Each of the first four faults met one message, and that message kept the server's answer.
  for (size_t i = 0; i < 4; ++i) {
    CAPTURE(faults[i].stage);
    CHECK(w.events("fault " + faults[i].stage + " " + faults[i].action) == 1);
    int kept = 0;
    for (const auto& m : outbox) kept += m.last_error == faults[i].action;
    CHECK(kept == 1);
  }

  // The first retry: the message that meets the 452 waits twice as long (2 min) now.
  ProcessResult again = w.send(Seconds(61));
  INFO(again.out << again.err);
  CHECK(again.exit_code == 1);
  CHECK(countsOf(again.out).delivered == 3);
  CHECK(countsOf(again.out).retrying == 1);
  CHECK(w.events("fault message 452") == 1);
  const int tries = w.events("connect");
  CHECK(tries == 8);
  CHECK(countsOf(w.send(Seconds(61 + 119)).out).delivered == 0);  // not due yet
  CHECK(w.events("connect") == tries);

  ProcessResult send = w.send(Seconds(61 + 120));
  INFO(send.out << send.err);
  CHECK(send.exit_code == 0);
  CHECK(countsOf(send.out).delivered == 1);
  outbox = checkEachOnceOrFailed(w);
  CHECK(countStatus(outbox, "sent") == 4);
  // A sent message keeps the answer of its last failed attempt.
  for (const auto& m : outbox) CHECK(m.attempts == (m.last_error == faults[4].action ? 3 : 2));
}

TEST_CASE(
    "smtp faults: 5xx to DATA or to the message is permanent: failed at once, reported, never "
    "retried",
    "[faults][smtp-faults]") {
  World w(faulty({{"data", 1, "554 5.7.1 Delivery not authorized, message refused"},
                  {"message", 0, "550 5.7.1 Message content rejected"}}));

  ProcessResult scan = w.scan();
  INFO(scan.out << scan.err);
  REQUIRE(scan.exit_code == 0);
  const Counts first = countsOf(scan.out);
  REQUIRE(first.failed >= 2);
  CHECK(first.delivered == 0);
  CHECK(first.retrying == 0);
  CHECK(contains(scan.err, "giving up: reported as failed"));
  CHECK(w.events("fault data 554") == 1);
  CHECK(w.events("fault message 550") == first.failed - 1);
  const std::string table = w.outboxTable().out;
  CHECK(contains(table, "failed"));
  CHECK(contains(table, "554 5.7.1"));
  CHECK(contains(table, "550 5.7.1"));

  // The server is fixed; the failed messages stay failed (reported, for an operator to act on)
  // and are not tried again, however late.
  w.smtp().setFaults({});
  w.smtp().restart();
  const int tries = w.events("connect");
  CHECK(tries == first.failed);
  for (Seconds later : {Seconds(61), Seconds(3600), Seconds(48 * 3600)}) {
    ProcessResult send = w.send(later);
    CHECK(send.exit_code == 0);
    CHECK(countsOf(send.out).delivered == 0);
  }
  CHECK(w.events("connect") == tries);
  auto outbox = checkEachOnceOrFailed(w);
  CHECK(countStatus(outbox, "failed") == first.failed);
  for (const auto& m : outbox) {
    CHECK(m.attempts == 1);
    CHECK((m.last_error == "554 5.7.1 Delivery not authorized, message refused" ||
           m.last_error == "550 5.7.1 Message content rejected"));
  }
  CHECK(w.smtp().messages().empty());
}

TEST_CASE(
    "smtp faults: the connection cut, or the server silent, in the middle of DATA (before the "
    "final dot): retried, and each message arrives exactly once",
    "[faults][smtp-faults]") {
  const Link link = GENERATE(Link::kPlain, Link::kSubmission);
  CAPTURE(link == Link::kSubmission);
  // The first message is cut off, the second meets a server that stops reading (the 1 s
  // timeout), the others go through.
  World w(faulty({{"mid-data", 1, "cut"}, {"mid-data", 1, "hang"}}), link);

  ProcessResult scan = w.scan();
  INFO(scan.out << scan.err);
  REQUIRE(scan.exit_code == 0);
  const Counts first = countsOf(scan.out);
  CHECK(first.retrying == 2);
  CHECK(first.failed == 0);
  REQUIRE(first.delivered >= 1);
  CHECK(w.smtp().messages().size() == static_cast<size_t>(first.delivered));
  // The faults really came in the middle: after the header block, before the end.
  std::vector<long> cut_at;
  for (const auto& e : w.smtp().events())
    if (startsWith(e, "fault mid-data ")) cut_at.push_back(bytesIn(e));
  REQUIRE(cut_at.size() == 2);
  const auto waiting = withStatus(w.outbox(), "queued");
  REQUIRE(waiting.size() == 2);
  for (const auto& m : waiting) {
    CHECK(w.received().count(m.message_id) == 0);
    CHECK(contains(m.last_error,
                   "SMTP with 127.0.0.1:" + std::to_string(w.smtp().port()) + " failed: "));
  }
  bool timed_out = false;
  for (const auto& m : waiting) timed_out = timed_out || contains(m.last_error, "timed out");
  CHECK(timed_out);

  ProcessResult send = w.send(Seconds(61));
  INFO(send.out << send.err);
  CHECK(send.exit_code == 0);
  CHECK(countsOf(send.out).delivered == 2);
  auto outbox = checkEachOnceOrFailed(w);
  CHECK(countStatus(outbox, "sent") == first.delivered + 2);
  // The cut came before the message's end: its header block is shorter than the message.
  for (long at : cut_at) {
    CHECK(at > 0);
    bool shorter = false;
    for (const auto& m : w.smtp().messages())
      shorter = shorter || at < static_cast<long>(m.data.size());
    CHECK(shorter);
  }
}

TEST_CASE(
    "smtp faults: the message stored but its 250 lost (connection cut, or silence): the retry "
    "repeats it with the same Message-ID and bytes, and it is marked sent once",
    "[faults][smtp-faults]") {
  const Link link = GENERATE(Link::kPlain, Link::kSubmission);
  CAPTURE(link == Link::kSubmission);
  World w(faulty({{"stored", 1, "cut"}, {"stored", 1, "hang"}}), link);

  ProcessResult scan = w.scan();
  INFO(scan.out << scan.err);
  REQUIRE(scan.exit_code == 0);
  const Counts first = countsOf(scan.out);
  CHECK(first.retrying == 2);
  REQUIRE(first.delivered >= 1);
  CHECK(w.events("fault stored cut") == 1);
  CHECK(w.events("fault stored hang") == 1);
  // The server has every message already, the two unconfirmed ones included.
  const size_t total = static_cast<size_t>(first.delivered + 2);
  REQUIRE(w.smtp().messages().size() == total);
  const auto before = w.smtp().messages();

  ProcessResult send = w.send(Seconds(61));
  INFO(send.out << send.err);
  CHECK(send.exit_code == 0);
  CHECK(countsOf(send.out).delivered == 2);
  const auto got = w.smtp().messages();
  REQUIRE(got.size() == total + 2);
  // The repeats are the two unconfirmed messages (stored first and second), unchanged: same
  // Message-ID, same bytes, same envelope.
  std::set<std::string> repeated;
  for (size_t i = 0; i < 2; ++i) {
    const auto& original = before[i];
    const auto& repeat = got[total + i];
    const std::string id = messageIdOf(original.data);
    REQUIRE_FALSE(id.empty());
    CHECK(messageIdOf(repeat.data) == id);
    CHECK(repeat.data == original.data);
    CHECK(repeat.rcpt_tos == original.rcpt_tos);
    CHECK(w.received().at(id) == 2);
    repeated.insert(id);
  }
  CHECK(repeated.size() == 2);
  auto outbox = checkEachOnceOrFailed(w, repeated);
  CHECK(countStatus(outbox, "sent") == static_cast<int>(total));
  for (const auto& m : outbox) CHECK(m.attempts == (repeated.count(m.message_id) ? 2 : 1));
}

TEST_CASE(
    "smtp faults: a server that accepts the connection, or the data, and never answers: the "
    "transport's timeout fires, the message is retried and arrives once",
    "[faults][smtp-faults]") {
  World w(faulty({{"connect", 1, "hang"}, {"message", 1, "hang"}}));

  const auto start = std::chrono::steady_clock::now();
  ProcessResult scan = w.scan();
  const auto took = std::chrono::steady_clock::now() - start;
  INFO(scan.out << scan.err);
  REQUIRE(scan.exit_code == 0);
  // Two waits of the configured 1 s timeout, not forever. A hang guard only, far above the few
  // seconds the scan takes; yet the 30 s default would not pass it: its two waits alone are 60 s.
  CHECK(took < std::chrono::seconds(60));
  const Counts first = countsOf(scan.out);
  CHECK(first.retrying == 2);
  REQUIRE(first.delivered >= 1);
  CHECK(w.events("fault connect hang") == 1);
  CHECK(w.events("fault message hang") == 1);
  CHECK(w.smtp().messages().size() == static_cast<size_t>(first.delivered));
  for (const auto& m : withStatus(w.outbox(), "queued"))
    CHECK(m.last_error == "SMTP with 127.0.0.1:" + std::to_string(w.smtp().port()) +
                              " failed: no answer (timed out)");

  ProcessResult send = w.send(Seconds(61));
  INFO(send.out << send.err);
  CHECK(send.exit_code == 0);
  CHECK(countsOf(send.out).delivered == 2);
  auto outbox = checkEachOnceOrFailed(w);
  CHECK(countStatus(outbox, "sent") == first.delivered + 2);
}
