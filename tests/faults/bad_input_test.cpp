// SPDX-License-Identifier: Apache-2.0
// Bad input (issue "Bad input"): the corpus in tests/faults/bad_input/ (README.md there says how
// a case is written). Each case runs the real cspwatch binary as a child with an address-space
// limit of 1 GiB, a file-size limit and a time limit, and must end with an exit status (never a
// signal: no crash, no memory blow-up, no flood of output) within the limit, with a clear error
// on stderr that names the file (and for YAML and CSV the line and column). The scan cases start
// from a database that holds a good scan's findings and must leave them as they were: nothing
// resolved, nothing new; a tenant whose API answer was bad is reported as could-not-check.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <Poco/DeflatingStream.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/text.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/login.h"
#include "sim/server.h"
#include "sim/truth.h"
#include "tenants/tenant_json.h"
#include "tests/faults/sim_config.h"
#include "tests/support/cli_runner.h"
#include "tests/support/sanitizers.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using cspwatch::testing::TempDir;

namespace {

constexpr const char* kCorpus = "tests/faults/bad_input";
constexpr rlim_t kMemoryLimit = rlim_t{1} << 30;   // address space of each child
constexpr rlim_t kOutputLimit = rlim_t{64} << 20;  // any file it writes, stdout included
constexpr bool kSanitized = testing::kAddressSanitizer;
// Seconds of CPU per run (user and system, every thread): the work a bad input may cost, bounded
// by RLIMIT_CPU in the child so that the kernel stops a runaway whatever else the machine runs.
// A wall-clock bound measured the machine's load instead: on two shared cores the same input took
// 7 s quietly and over 10 s beside other tests. Under AddressSanitizer the allocation-heavy inputs
// (a million CSV rows, 200,000 records) cost about ten times as much, so they get three times as
// long, still far below a runaway.
constexpr rlim_t kCpuLimit = kSanitized ? 30 : 10;
// Seconds, wall clock: a child that is still there this long after it started is waiting on
// something that will not come (it uses no CPU, so RLIMIT_CPU never fires) and is killed.
constexpr int kHangLimit = 120;
const std::string kNow = "2026-03-02T00:00:00Z";    // the good scan
const std::string kLater = "2026-03-02T01:00:00Z";  // the scan with the bad input

// ---------------------------------------------------------------------------------------------
// Running a child within limits.

struct Run {
  int exit_code = -1;      // when it exited
  int signal = 0;          // when a signal ended it
  bool timed_out = false;  // a runaway (its CPU limit) or a hang (the wall-clock one)
  double seconds = 0;      // wall clock, for the log
  double cpu_seconds = 0;  // user and system time of the child
  std::string out, err;
  std::string describe() const {
    std::ostringstream s;
    if (timed_out && cpu_seconds >= static_cast<double>(kCpuLimit))
      s << "stopped after its " << kCpuLimit << " s of CPU (runaway)";
    else if (timed_out)
      s << "killed after " << kHangLimit << " s without exiting (hung)";
    else if (signal != 0)
      s << "ended by signal " << signal << " (" << strsignal(signal) << ")";
    else
      s << "exit " << exit_code;
    s << " in " << seconds << " s (" << cpu_seconds
      << " s of CPU)\n--- stderr (first 3000 bytes) ---\n"
      << err.substr(0, 3000) << "\n--- stdout (first 1000 bytes) ---\n"
      << out.substr(0, 1000);
    return s.str();
  }
};

std::string readPrefix(const std::string& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  std::string s(max, '\0');
  in.read(s.data(), static_cast<std::streamsize>(max));
  s.resize(static_cast<size_t>(in.gcount()));
  return s;
}

// Runs build/bin/cspwatch with `args`; stdout and stderr go to files in `scratch`.
Run runCspwatch(const std::vector<std::string>& args, const std::string& scratch) {
  const std::string program = std::string(CSPWATCH_BIN_DIR) + "/cspwatch";
  const std::string out_path = scratch + "/.stdout", err_path = scratch + "/.stderr";
  std::vector<std::string> all = {program};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment, built before fork. Under AddressSanitizer an address-space limit cannot
  // work (ASan reserves terabytes of shadow address space at start), so the child gets ASan's
  // own bound on its resident memory instead, at the same figure.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::string(*e).rfind("ASAN_OPTIONS=", 0) != 0) env_strings.emplace_back(*e);
  if (kSanitized)
    env_strings.push_back("ASAN_OPTIONS=hard_rss_limit_mb=" + std::to_string(kMemoryLimit >> 20) +
                          ":allocator_may_return_null=1");
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const auto started = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec: the test process has threads.
    const struct rlimit memory = {kMemoryLimit, kMemoryLimit};
    const struct rlimit output = {kOutputLimit, kOutputLimit};
    const struct rlimit core = {0, 0};
    const struct rlimit cpu = {kCpuLimit, kCpuLimit + 1};  // SIGXCPU, then SIGKILL
    if (!kSanitized) ::setrlimit(RLIMIT_AS, &memory);
    ::setrlimit(RLIMIT_CPU, &cpu);
    ::setrlimit(RLIMIT_FSIZE, &output);
    ::setrlimit(RLIMIT_CORE, &core);
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  REQUIRE(pid > 0);
  Run r;
  int status = 0;
  // Wait for the exit as an event: a pidfd becomes readable when the child ends.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  REQUIRE(pidfd >= 0);
  pollfd exited{pidfd, POLLIN, 0};
  if (::poll(&exited, 1, kHangLimit * 1000) != 1) {
    r.timed_out = true;
    ::kill(pid, SIGKILL);
  }
  ::close(pidfd);
  struct rusage usage {};
  REQUIRE(::wait4(pid, &status, 0, &usage) == pid);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto secondsOf = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  r.cpu_seconds = secondsOf(usage.ru_utime) + secondsOf(usage.ru_stime);
  // The CPU limit's signals: SIGXCPU at the soft limit, SIGKILL at the hard one.
  if (WIFSIGNALED(status) &&
      (WTERMSIG(status) == SIGXCPU ||
       (WTERMSIG(status) == SIGKILL && r.cpu_seconds >= static_cast<double>(kCpuLimit))))
    r.timed_out = true;
  if (!r.timed_out) {
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  }
  r.out = readPrefix(out_path, 1 << 20);
  r.err = readPrefix(err_path, 1 << 20);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Corpus cases.

struct Case {
  std::string kind;  // config, rules, inventory, api
  std::string name;  // file name in the corpus
  std::vector<std::string> expects;
  std::optional<int> exit;
  bool position = true;                                      // stderr must name FILE:LINE:COLUMN
  bool directory = false;                                    // make a directory where the file goes
  bool empty = false;                                        // write an empty file
  std::string route;                                         // api: which answer is replaced
  int status = 200;                                          // api
  std::vector<std::pair<std::string, std::string>> headers;  // api
  bool gzip = false;                                         // api: served gzip-encoded
  std::string text;       // the case, directives expanded, header removed unless YAML
  std::string line_ends;  // "crlf", "cr" or "" (as written: LF)
  std::string bom;        // "utf8", "utf16le" or ""
  std::string extension() const { return name.substr(name.rfind('.') + 1); }

  // What is written or served: `vars` (@@name@@) filled in, then line ends and BOM applied.
  std::string content(const std::map<std::string, std::string>& vars = {}) const {
    if (empty) return {};
    std::string out = text;
    for (const auto& [name, value] : vars) out = replaceAll(out, "@@" + name + "@@", value);
    if (line_ends == "crlf") out = replaceAll(out, "\n", "\r\n");
    if (line_ends == "cr") out = replaceAll(out, "\n", "\r");
    if (bom == "utf8") out = "\xEF\xBB\xBF" + out;
    if (bom == "utf16le") {
      std::string wide = "\xFF\xFE";
      for (char ch : out) wide += std::string(1, ch) + '\0';
      out = wide;
    }
    return out;
  }
};

// "\n", "\r", "\t", "\0"... and "\xHH" in a @@"..."@@ text.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char e = s[++i];
    if (e == 'n')
      out += '\n';
    else if (e == 'r')
      out += '\r';
    else if (e == 't')
      out += '\t';
    else if (e == '0')
      out += '\0';
    else if (e == 'x' && i + 2 < s.size() + 1) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += e;
    }
  }
  return out;
}

// Expands @@repeat N "TEXT"@@ and @@"TEXT"@@ (escapes as above); @@self@@ is left for the
// server to fill in.
std::string expand(const std::string& text) {
  static const std::regex kDirective(R"re(@@(?:repeat ([0-9]+) )?"((?:[^"\\]|\\.)*)"@@)re");
  std::string out;
  auto begin = text.cbegin();
  std::smatch m;
  while (std::regex_search(begin, text.cend(), m, kDirective)) {
    out.append(begin, m[0].first);
    const size_t count = m[1].matched ? std::stoul(m[1].str()) : 1;
    const std::string unit = unescape(m[2].str());
    out.reserve(out.size() + unit.size() * count);
    for (size_t i = 0; i < count; ++i) out += unit;
    begin = m[0].second;
  }
  out.append(begin, text.cend());
  return out;
}

Case loadCase(const std::string& kind, const std::string& name) {
  Case c;
  c.kind = kind;
  c.name = name;
  const std::string text = testing::readFile(std::string(kCorpus) + "/" + kind + "/" + name);
  // The header: the leading "# key: value" lines with a known key.
  static const std::set<std::string> kKeys = {"expect", "exit",     "position", "line-ends",
                                              "bom",    "make",     "route",    "status",
                                              "header", "encoding", "why"};
  size_t pos = 0;
  while (pos < text.size() && text.compare(pos, 2, "# ") == 0) {
    const size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos + 2, end == std::string::npos ? end : end - pos - 2);
    const size_t colon = line.find(": ");
    if (colon == std::string::npos || !kKeys.count(line.substr(0, colon))) break;
    const std::string key = line.substr(0, colon), value = line.substr(colon + 2);
    if (key == "expect") c.expects.push_back(unescape(value));
    if (key == "exit") c.exit = std::stoi(value);
    if (key == "position") c.position = value != "none";
    if (key == "line-ends") c.line_ends = value;
    if (key == "bom") c.bom = value;
    if (key == "make") c.directory = value == "directory", c.empty = value == "empty";
    if (key == "route") c.route = value;
    if (key == "status") c.status = std::stoi(value);
    if (key == "header")
      c.headers.push_back({value.substr(0, value.find(": ")), value.substr(value.find(": ") + 2)});
    if (key == "encoding") c.gzip = value == "gzip";
    pos = end == std::string::npos ? text.size() : end + 1;
  }
  // YAML keeps the header (it is a comment there, and positions stay those of the file as
  // checked in); CSV, JSON and API bodies lose it.
  c.text = expand(c.extension() == "yaml" ? text : text.substr(pos));
  return c;
}

std::vector<Case> loadCases(const std::string& kind) {
  std::vector<Case> cases;
  for (const auto& name : testing::listDirectory(std::string(kCorpus) + "/" + kind)) {
    if (name == "README.md") continue;
    cases.push_back(loadCase(kind, name));
    INFO(kind << "/" << name);
    CHECK((!cases.back().expects.empty() || cases.back().exit));  // a case states what it wants
  }
  REQUIRE(!cases.empty());
  return cases;
}

// Writes the case's content (or a directory) at `path`.
void place(const Case& c, const std::string& path,
           const std::map<std::string, std::string>& vars = {}) {
  if (Poco::File(path).exists()) Poco::File(path).remove(true);
  if (c.directory) {
    REQUIRE(makeDirectories(path, 0755));
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << c.content(vars);
  REQUIRE(out.good());
}

// What every case asks of a run: ended by itself, in time, with the expected messages.
// CSPWATCH_BAD_INPUT_SHOW=1 prints what each case printed, to review the messages.
void checkRun(const Case& c, const Run& r, const std::string& path, std::set<int> allowed) {
  if (std::getenv("CSPWATCH_BAD_INPUT_SHOW") != nullptr)
    std::cout << "=== " << c.kind << "/" << c.name << ": " << r.describe() << "\n";
  INFO(c.kind << "/" << c.name << ": " << r.describe());
  CHECK_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  if (c.exit) allowed = {*c.exit};
  CHECK(allowed.count(r.exit_code) == 1);
  if (c.kind != "api") {
    CHECK(r.err.find(path) != std::string::npos);  // names the file
    if (c.position)                                // FILE:LINE:COLUMN
      CHECK(std::regex_search(
          r.err,
          std::regex(std::regex_replace(path, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                     ":[0-9]+:[0-9]+: ")));
    for (const auto& e : c.expects) {
      INFO("expected on stderr: " << e);
      CHECK(r.err.find(e) != std::string::npos);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The world the scans read, its simulator, and a good scan's database.

std::string csvInventory(const sim::World& world) {
  std::string csv = "tenant_id,name,domain,admin_email,onboarded_at,tags\n";
  for (const auto& t : world.tenants) {
    if (std::find(t.sources.begin(), t.sources.end(), "inventory") == t.sources.end()) continue;
    std::string admin;
    for (const auto& ct : t.contacts.value_or(std::vector<tenants::ContactEmail>{}))
      if (ct.source == "inventory" && ct.purpose == "admin_credentials") admin = ct.address;
    csv += t.id + ",\"" + replaceAll(t.name, "\"", "\"\"") + "\"," + t.default_domain + "," +
           admin + "," + (t.onboarded_at ? formatTimestamp(*t.onboarded_at) : "") + "," +
           join(t.tags, ";") + "\n";
  }
  return csv;
}

// A rule of the test's own, beside the shipped ones: it reads every part of a tenant, so that a
// part that could not be read shows as could-not-check with its reason, whichever part it is
// (no shipped rule reads indirect_relationships, for one).
const char* const kEveryPartRule = R"(rules:
  - id: reads-every-part
    title: Reads every part of a tenant
    severity: info
    description: Passes whenever every part of the tenant could be read.
    when: >-
      size(tenant.verified_domains) + size(tenant.partners) + size(tenant.indirect_relationships)
      + size(tenant.admin_relationships) + size(tenant.contacts) < 0
      || (tenant.dap_enabled && !tenant.dap_enabled)
      || (tenant.in_customer_list && !tenant.in_customer_list)
    message: "{{ tenant.name }}"
    remediation: Nothing to do.
)";

// Open and resolved findings, without the times a later scan moves on.
std::set<std::string> storedFindings(const std::string& config) {
  auto r =
      testing::cliRun({"-c", config, "findings", "list", "--state", "all", "--format", "json"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto doc = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  auto list = doc->getArray("findings");
  std::set<std::string> out;
  for (size_t i = 0; i < list->size(); ++i) {
    auto f = list->getObject(static_cast<unsigned>(i));
    out.insert(f->getValue<std::string>("rule") + " " + f->getValue<std::string>("tenant_id") +
               " " + f->getValue<std::string>("subject") + " " + f->getValue<std::string>("state") +
               " " + f->optValue<std::string>("resolved_reason", ""));
  }
  return out;
}

// A generated world in which one customer, the target, has every part readable and a finding
// that depends on each of them: DAP left on (customer details), an incumbent listed as service
// provider (partners, admin relationships), an admin email on a free-mail domain (inventory
// contacts, organization). A part read as empty or false would resolve one of them.
sim::World makeWorld(Timestamp now, std::string& target) {
  sim::World world = sim::generateWorld(10, 7, now);
  for (auto& t : world.tenants) {
    if (!t.in_customer_list.value_or(false) || !t.verified_domains || !t.partners ||
        !t.dap_enabled || !t.indirect_relationships || !t.admin_relationships || !t.contacts)
      continue;
    target = t.id;
    t.dap_enabled = true;
    t.partners->push_back(
        {"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", std::string("Incumbent IT"), std::nullopt, true});
    t.contacts->push_back({"owner." + t.id.substr(0, 8) + "@gmail.com",
                           tenants::kPurposeAdminCredentials, tenants::kSourceInventory});
    t.addSource(tenants::kSourceInventory);
    break;
  }
  return world;
}

class World {
 public:
  World()
      : now_(*parseTimestamp(kNow)),
        world_(makeWorld(now_, target_)),
        login_(sim::LoginOptions{testing::kSimClient, "s3cret", Seconds(86400), Seconds(86400), "",
                                 true},
               5),
        api_(world_, login_, clock_, nullptr),
        server_(api_) {
    base_ = "http://127.0.0.1:" + std::to_string(server_.start(0, 8));
    REQUIRE(!target_.empty());
    std::set<std::string> rules;
    for (const auto& e : sim::computeTruth(world_, now_))
      if (e.outcome == "fail" && e.tenant_id == target_) rules.insert(e.rule);
    INFO("the target's findings: " << join({rules.begin(), rules.end()}, ", "));
    REQUIRE(rules.size() >= 3);
  }

  const std::string& target() const { return target_; }
  sim::SimApi& api() { return api_; }

  // @@good-rows@@ (CSV data rows) and @@good-tenants@@ (JSON records): the good inventory, for
  // cases that add bad rows to it, so that its tenants are all still there.
  std::map<std::string, std::string> inventoryVars() const {
    std::string csv = csvInventory(world_);
    std::string rows = csv.substr(csv.find('\n') + 1);
    if (!rows.empty()) rows.pop_back();  // the case's own line end follows
    auto doc =
        Poco::JSON::Parser().parse(sim::inventoryJson(world_)).extract<Poco::JSON::Object::Ptr>();
    auto list = doc->getArray("tenants");
    std::vector<std::string> records;
    for (size_t i = 0; i < list->size(); ++i)
      records.push_back(tenants::jsonText(list->get(static_cast<unsigned>(i)), false));
    return {{"good-rows", rows}, {"good-tenants", join(records, ",\n")}};
  }

  // A directory ready to scan: config, secrets, the inventory (`inventory_name` in it, good
  // content unless replaced later), `rules` as rules.paths.
  std::string prepare(const std::string& dir, const std::string& inventory_name,
                      const std::string& rules = testing::sourcePath("etc/rules.d")) {
    REQUIRE(makeDirectories(dir, 0700));
    std::string cfg = testing::simConfigYaml(world_.partner, base_, 4);
    cfg = replaceAll(cfg, "path: inventory.json", "path: " + inventory_name);
    cfg = replaceAll(cfg, "storage:\n  path: cspwatch.db\n",
                     "storage:\n  path: cspwatch.db\n  tenant_gone_after_scans: 1\n");
    REQUIRE(writeFileAtomically(dir + "/every-part.yaml", kEveryPartRule, 0644));
    cfg = replaceAll(cfg, testing::sourcePath("etc/rules.d"),
                     rules + ", " + dir + "/every-part.yaml");
    REQUIRE(writeFileAtomically(dir + "/cspwatch.yaml", cfg, 0600));
    REQUIRE(writeFileAtomically(dir + "/client_secret", "s3cret\n", 0600));
    REQUIRE(
        writeFileAtomically(dir + "/refresh_token", login_.issueRefreshToken(now_) + "\n", 0600));
    REQUIRE(writeFileAtomically(
        dir + "/" + inventory_name,
        endsWith(inventory_name, ".csv") ? csvInventory(world_) : sim::inventoryJson(world_),
        0644));
    return dir + "/cspwatch.yaml";
  }

  // The database of a good scan with an inventory of this extension, made once.
  struct Baseline {
    std::string db;
    std::set<std::string> findings;
  };
  const Baseline& baseline(const std::string& extension, const TempDir& tmp) {
    auto it = baselines_.find(extension);
    if (it != baselines_.end()) return it->second;
    const std::string dir = tmp.file("baseline-" + extension);
    const std::string cfg = prepare(dir, "inventory." + extension);
    Run r = runCspwatch({"-c", cfg, "scan", "--once", "--format", "json", "--now", kNow}, dir);
    INFO("the good scan: " << r.describe());
    REQUIRE(r.exit_code == 0);
    Baseline b{dir + "/cspwatch.db", storedFindings(cfg)};
    REQUIRE(!b.findings.empty());
    return baselines_[extension] = b;
  }

  // Copies a baseline's database into `dir`.
  static void restore(const Baseline& b, const std::string& dir) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      auto text = readWholeFile(b.db + suffix);
      if (!text) continue;
      REQUIRE(writeFileAtomically(dir + "/cspwatch.db" + suffix, *text, 0600));
    }
  }

 private:
  SystemClock clock_;
  Timestamp now_;
  std::string target_;  // set while world_ is made
  sim::World world_;
  sim::LoginService login_;
  sim::SimApi api_;
  sim::SimServer server_;
  std::string base_;
  std::map<std::string, Baseline> baselines_;
};

// Summary for the log: the costliest run of a kind.
void report(const std::string& kind, size_t cases, double slowest, const std::string& which) {
  WARN(cases << " " << kind << " case(s); the costliest run took " << slowest << " s of CPU ("
             << which << ")");
}

std::string gzip(const std::string& plain) {
  std::ostringstream out;
  Poco::DeflatingOutputStream z(out, Poco::DeflatingStreamBuf::STREAM_GZIP, 1);
  z << plain;
  z.close();
  return out.str();
}

}  // namespace

TEST_CASE("bad input: a malformed config is a clear error in bounded time", "[faults][bad-input]") {
  TempDir tmp;
  double slowest = 0;
  std::string which;
  const auto cases = loadCases("config");
  for (const auto& c : cases) {
    const std::string path = tmp.file(c.name);
    place(c, path);
    Run r = runCspwatch({"-c", path, "config", "check"}, tmp.path());
    checkRun(c, r, path, {2});
    if (r.cpu_seconds > slowest) slowest = r.cpu_seconds, which = c.name;
  }
  report("config", cases.size(), slowest, which);
}

TEST_CASE("bad input: a malformed rule file is a clear error and changes nothing stored",
          "[faults][bad-input]") {
  TempDir tmp;
  World world;
  const auto& good = world.baseline("json", tmp);
  double slowest = 0;
  std::string which;
  const auto cases = loadCases("rules");
  for (const auto& c : cases) {
    // In a rules directory of its own, as /etc/cspwatch/rules.d would hold it.
    const std::string dir = tmp.file("rules-" + c.name);
    const std::string rules_dir = dir + "/rules.d";
    REQUIRE(makeDirectories(rules_dir, 0755));
    const std::string path = rules_dir + "/" + c.name;
    place(c, path);
    Run r = runCspwatch({"rules", "check", rules_dir}, dir);
    checkRun(c, r, path, {1});
    if (r.cpu_seconds > slowest) slowest = r.cpu_seconds, which = c.name;
    if (r.exit_code != 1) continue;  // a rule set that loads (an empty file: a warning)
    // A scan with this rule set refuses to start and leaves the database as it was.
    const std::string cfg = world.prepare(dir, "inventory.json", rules_dir);
    World::restore(good, dir);
    Run scan = runCspwatch({"-c", cfg, "scan", "--once", "--now", kLater}, dir);
    INFO(c.name << ": the scan: " << scan.describe());
    CHECK(scan.exit_code == 2);
    CHECK(storedFindings(cfg) == good.findings);
  }
  report("rules", cases.size(), slowest, which);
}

TEST_CASE("bad input: a malformed inventory is a clear error and resolves nothing",
          "[faults][bad-input]") {
  TempDir tmp;
  World world;
  double slowest = 0;
  std::string which;
  const auto cases = loadCases("inventory");
  for (const auto& c : cases) {
    const auto& good = world.baseline(c.extension() == "csv" ? "csv" : "json", tmp);
    const std::string dir = tmp.file("inventory-" + c.name);
    const std::string name = "inventory." + std::string(c.extension() == "csv" ? "csv" : "json");
    const std::string cfg = world.prepare(dir, name);
    World::restore(good, dir);
    const std::string path = dir + "/" + name;
    place(c, path, world.inventoryVars());
    Run r = runCspwatch({"-c", cfg, "scan", "--once", "--format", "json", "--now", kLater}, dir);
    checkRun(c, r, path, {0, 1});
    if (r.cpu_seconds > slowest) slowest = r.cpu_seconds, which = c.name;
    INFO(c.name << ": " << r.describe());
    // Rows that could not be read count nothing towards tenant-gone (tenant_gone_after_scans
    // is 1 here): the stored findings are those of the good scan.
    CHECK(storedFindings(cfg) == good.findings);
    if (r.exit_code == 0) {
      auto doc = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
      CHECK(doc->getValue<std::string>("status") == "partial");
      CHECK(doc->getObject("findings")->getValue<int>("resolved") == 0);
    }
  }
  report("inventory", cases.size(), slowest, which);
}

TEST_CASE(
    "bad input: a malformed API answer leaves its tenant could-not-check and resolves nothing",
    "[faults][bad-input]") {
  TempDir tmp;
  World world;
  const auto& good = world.baseline("json", tmp);
  const std::string target = world.target();
  double slowest = 0;
  std::string which;
  const auto cases = loadCases("api");
  for (const auto& c : cases) {
    const std::string dir = tmp.file("api-" + c.name);
    const std::string cfg = world.prepare(dir, "inventory.json");
    World::restore(good, dir);
    // Which requests get the bad answer: one of the target tenant's, or a whole list's.
    const std::map<std::string, std::string> routes = {
        {"customer", "/pc/v1/customers/" + target},
        {"relationships", "/pc/v1/customers/" + target + "/relationships"},
        {"organization", "/graph/v1.0/organization"},
        {"partners", "/graph/v1.0/policies/crossTenantAccessPolicy/partners"},
        {"customers", "/pc/v1/customers"},
        {"admin-relationships", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships"}};
    INFO(c.name);
    REQUIRE(routes.count(c.route) == 1);
    const std::string route_path = routes.at(c.route);
    const bool customer_side = c.route == "organization" || c.route == "partners";
    const bool whole_list = c.route == "customers" || c.route == "admin-relationships";
    const std::string body = c.gzip ? gzip(c.content()) : c.content();
    world.api().setOverride(
        [&](const sim::Request& req, const std::string& tenant) -> std::optional<sim::Response> {
          if (req.path != route_path || (customer_side && tenant != target)) return std::nullopt;
          sim::Response resp;
          resp.status = c.status;
          std::string self = req.base_url + req.path;
          for (const auto& [k, v] : req.query)
            self += (self.find('?') == std::string::npos ? "?" : "&") + k + "=" + v;
          resp.body = replaceAll(body, "@@self@@", self);
          resp.headers = c.headers;
          if (c.gzip) resp.headers.push_back({"Content-Encoding", "gzip"});
          return resp;
        });
    Run r = runCspwatch({"-c", cfg, "scan", "--once", "--format", "json", "--now", kLater}, dir);
    world.api().setOverride(nullptr);
    checkRun(c, r, "", {0});
    if (r.cpu_seconds > slowest) slowest = r.cpu_seconds, which = c.name;
    INFO(r.describe());
    if (r.exit_code != 0) continue;
    // Nothing stored changed: the bad answer neither resolved nor added a finding.
    CHECK(storedFindings(cfg) == good.findings);
    // And the tenant (for a list: every tenant) is reported could-not-check, saying why.
    auto diff = testing::cliRun({"-c", cfg, "scans", "diff", "1", "2", "--format", "json"});
    REQUIRE(diff.code == 0);
    auto doc = Poco::JSON::Parser().parse(diff.out).extract<Poco::JSON::Object::Ptr>();
    CHECK(doc->getArray("resolved")->size() == 0);
    CHECK(doc->getArray("new")->size() == 0);
    auto unknown = doc->getArray("became_unknown");
    std::string reasons;
    for (size_t i = 0; i < unknown->size(); ++i) {
      auto u = unknown->getObject(static_cast<unsigned>(i));
      if (whole_list || u->getValue<std::string>("tenant_id") == target)
        reasons += u->getValue<std::string>("reason") + "\n";
    }
    INFO("could-not-check reasons of " << target << ":\n" << reasons);
    CHECK(!reasons.empty());
    for (const auto& e : c.expects) {
      INFO("expected in the reason: " << e);
      CHECK(reasons.find(e) != std::string::npos);
    }
  }
  report("api", cases.size(), slowest, which);
}

TEST_CASE("bad input: valid answers of unusual shape are read, not refused as malformed",
          "[faults][bad-input]") {
  // Found by review of the strict readers: Partner Center answers "items": null (or leaves it
  // out) for a customer without indirect resellers, and an open GDAP invitation names a
  // customer whose tenantId is still null or empty. Neither is malformed: refusing them made
  // every such customer could-not-check.
  TempDir tmp;
  World world;
  const auto& good = world.baseline("json", tmp);
  const std::string target = world.target();
  const std::vector<std::pair<std::string, std::string>> answers = {
      {"/pc/v1/customers/" + target + "/relationships",
       R"({"totalCount":0,"items":null,"attributes":{"objectType":"Collection"}})"},
      {"/pc/v1/customers/" + target + "/relationships",
       R"({"totalCount":0,"attributes":{"objectType":"Collection"}})"},
      {"/graph/v1.0/tenantRelationships/delegatedAdminRelationships",
       R"({"value":[{"id":"inv-1","displayName":"open invitation","status":"created",)"
       R"("customer":{"tenantId":null,"displayName":null}},{"id":"inv-2","status":"created",)"
       R"("customer":{"tenantId":"","displayName":""}}]})"}};
  int n = 0;
  for (const auto& answer : answers) {
    const std::string& path = answer.first;  // not a structured binding: lambdas capture it
    const std::string& body = answer.second;
    const std::string dir = tmp.file("valid-" + std::to_string(++n));
    const std::string cfg = world.prepare(dir, "inventory.json");
    World::restore(good, dir);
    world.api().setOverride(
        [&](const sim::Request& req, const std::string&) -> std::optional<sim::Response> {
          if (req.path != path) return std::nullopt;
          sim::Response resp;
          resp.status = 200;
          resp.body = body;
          return resp;
        });
    Run r = runCspwatch({"-c", cfg, "scan", "--once", "--format", "json", "--now", kLater}, dir);
    world.api().setOverride(nullptr);
    INFO(path << " answered " << body << "\n" << r.describe());
    REQUIRE(r.exit_code == 0);
    auto diff = testing::cliRun({"-c", cfg, "scans", "diff", "1", "2", "--format", "json"});
    REQUIRE(diff.code == 0);
    auto doc = Poco::JSON::Parser().parse(diff.out).extract<Poco::JSON::Object::Ptr>();
    auto unknown = doc->getArray("became_unknown");
    for (size_t i = 0; i < unknown->size(); ++i) {
      const std::string reason =
          unknown->getObject(static_cast<unsigned>(i))->getValue<std::string>("reason");
      INFO(reason);
      CHECK(reason.find("malformed") == std::string::npos);
    }
  }
}
