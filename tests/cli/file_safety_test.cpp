// SPDX-License-Identifier: Apache-2.0
// Files that cannot be redirected (issue 15): the rule of common/file_safety.h, and the commands
// that apply it. Secret files, the database's directory and the mail directory that someone
// else could change are refused with a message that names the path, its owner and mode, and
// the fix; links an unprivileged user (nobody) planted where a root-run command writes lead
// nowhere; `config check` warns about secrets others can read.
#include "common/file_safety.h"

#include <algorithm>
#include <cstdlib>
#include <functional>

#include <catch2/catch.hpp>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/as_nobody.h"
#include "tests/support/cli_runner.h"
#include "tests/support/demo_partner.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::Contains;
using testing::asNobody;
using testing::cliRun;
using testing::kNobody;
using testing::listDirectory;
using testing::plantLinksAsNobody;
using testing::readFile;
using testing::sourcePath;
using testing::TempDir;

namespace {

const std::string kT0 = "2026-11-25T00:00:00Z";

bool isRoot() {
  if (::geteuid() == 0) return true;
  WARN(
      "skipped: acting as nobody (uid 65534) and owning files as root needs root; CI runs the "
      "tests as root");
  return false;
}

mode_t modeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// `path` made with `mode` (exactly: chmod after the umask) and, for a directory, created.
std::string withMode(const std::string& path, mode_t mode, bool directory = false) {
  if (directory) REQUIRE(::mkdir(path.c_str(), 0700) == 0);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
  return path;
}

void giveToNobody(const std::string& path) {
  REQUIRE(::chown(path.c_str(), kNobody, kNobody) == 0);
}

// Links at each of `names` (all in one directory) to `to`, made by nobody.
void plantAsNobody(const std::vector<std::string>& names, const std::string& to) {
  REQUIRE_FALSE(names.empty());
  const std::string dir = names[0].substr(0, names[0].rfind('/'));
  std::vector<std::string> plain;
  for (const auto& n : names) {
    REQUIRE(n.rfind(dir + "/", 0) == 0);
    plain.push_back(n.substr(dir.size() + 1));
  }
  REQUIRE(plantLinksAsNobody(dir, plain, to));
}

// A configuration over the demo inventory in `dir`, its database at `db`, with `extra` appended
// (top-level YAML).
std::string demoConfig(const TempDir& dir, const std::string& extra,
                       const std::string& db = "cspwatch.db") {
  dir.write("inventory.json", readFile(sourcePath("etc/demo/inventory.json")));
  return dir.write("cspwatch.yaml", testing::kDemoPartnerYaml +
                                        "sources:\n"
                                        "  inventory:\n"
                                        "    path: inventory.json\n"
                                        "storage:\n"
                                        "  path: " +
                                        db +
                                        "\n"
                                        "rules:\n"
                                        "  paths: [" +
                                        sourcePath("etc/rules.d") + "]\n" + extra);
}

// The alerts section writing .eml files to `mail_dir`.
std::string fileAlerts(const std::string& mail_dir) {
  return "alerts:\n"
         "  from: \"cspwatch <cspwatch@northwind-it.com.au>\"\n"
         "  templates_dir: " +
         sourcePath("etc/templates") +
         "\n"
         "  routes:\n"
         "    - to: [ops@northwind-it.com.au]\n"
         "      default: true\n"
         "  transport: file\n"
         "  file:\n"
         "    dir: " +
         mail_dir + "\n";
}

// A Partner Center source whose files are in `dir` and whose endpoints nothing answers: a
// command that got as far as signing in would fail with a connection error instead.
std::string liveConfig(const TempDir& dir, const std::string& pc_extra) {
  dir.write("inventory.json", readFile(sourcePath("etc/demo/inventory.json")));
  return dir.write("cspwatch.yaml", testing::kDemoPartnerYaml +
                                        "sources:\n"
                                        "  partner_center:\n"
                                        "    login_url: http://127.0.0.1:9/login\n"
                                        "    partner_center_url: http://127.0.0.1:9/pc\n"
                                        "    graph_url: http://127.0.0.1:9/graph\n"
                                        "    client_id: 11111111-2222-3333-4444-555555555555\n" +
                                        pc_extra + "rules:\n  paths: [" +
                                        sourcePath("etc/rules.d") +
                                        "]\n"
                                        // a free port: config check warns about one in use
                                        "http:\n  listen: 127.0.0.1:" +
                                        std::to_string(testing::freePort()) + "\n");
}

}  // namespace

TEST_CASE("file safety: a secret file others can write or another user owns is refused") {
  if (!isRoot()) return;
  TempDir dir;
  const std::string ok = withMode(dir.write("ok", "s"), 0600);
  CHECK(checkSecretFile(ok, "the client secret file"));
  CHECK(checkSecretFile(dir.file("missing"), "the client secret file"));  // the read tells

  const std::string group = withMode(dir.write("group", "s"), 0660);
  Status g = checkSecretFile(group, "the SMTP password file");
  REQUIRE_FALSE(g);
  CHECK_THAT(g.message(), Contains("refusing the SMTP password file " + group + ": its group "));
  CHECK_THAT(g.message(), Contains("(owner root, group root, mode 0660)"));
  CHECK_THAT(g.message(), Contains("fix: chmod go-w " + group));

  Status w = checkSecretFile(withMode(dir.write("world", "s"), 0602), "the HTTP token file");
  REQUIRE_FALSE(w);
  CHECK_THAT(w.message(), Contains("all users can write it"));

  const std::string theirs = withMode(dir.write("theirs", "s"), 0600);
  giveToNobody(theirs);
  Status o = checkSecretFile(theirs, "the client key file");
  REQUIRE_FALSE(o);
  CHECK_THAT(o.message(), Contains("it belongs to nobody (owner nobody, group nogroup"));
  CHECK_THAT(o.message(), Contains("not to root, who runs this command"));
  CHECK_THAT(o.message(), Contains("runuser -u nobody -- cspwatch"));
  CHECK_THAT(o.message(), Contains("chown root " + theirs));
  // An owner the system does not name is named by number.
  const std::string unnamed = withMode(dir.write("unnamed", "s"), 0600);
  REQUIRE(::chown(unnamed.c_str(), 4242, 4242) == 0);
  Status u = checkSecretFile(unnamed, "the client key file");
  REQUIRE_FALSE(u);
  CHECK_THAT(u.message(), Contains("it belongs to uid 4242 (owner uid 4242, group gid 4242"));
  CHECK_THAT(u.message(), Contains("fix: run the command as uid 4242, or make root its owner"));
  // config check run by root judges only who else can write.
  CHECK(checkSecretFile(theirs, "the client key file", FileCheckOptions{false}));

  // Another user trusts root's files, and its own.
  const std::string roots = withMode(dir.write("roots", "s"), 0644);
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  const auto inDir = [&](const std::string& path) {
    REQUIRE(path.rfind(dir.path() + "/", 0) == 0);
    return path.substr(dir.path().size() + 1);
  };
  const std::string r = inDir(roots), t = inDir(theirs), gr = inDir(group);
  CHECK(asNobody(dir.path(), [&] {
    return checkSecretFile(r, "x").isOk() && checkSecretFile(t, "x").isOk() &&
           !checkSecretFile(gr, "x").isOk();
  }));
}

TEST_CASE("file safety: a directory others can write in is refused unless it is sticky") {
  if (!isRoot()) return;
  TempDir dir;
  CHECK(checkPrivateDirectory(dir.path(), "the database's directory"));
  const std::string shared = withMode(dir.file("shared"), 0770, true);
  Status s = checkPrivateDirectory(shared, "the mail directory");
  REQUIRE_FALSE(s);
  CHECK_THAT(s.message(), Contains("refusing the mail directory " + shared));
  CHECK_THAT(s.message(), Contains("can write in it (owner root, group root, mode 0770)"));
  CHECK_THAT(s.message(), Contains("plant a symbolic link there"));
  CHECK_THAT(s.message(), Contains("fix: chmod go-w " + shared));
  // Like /tmp: others may add files but not rename or remove root's.
  CHECK(checkPrivateDirectory(withMode(dir.file("tmp"), 01777, true), "the database's directory"));
  const std::string theirs = withMode(dir.file("theirs"), 0750, true);
  giveToNobody(theirs);
  Status o = checkPrivateDirectory(theirs, "the database's directory");
  REQUIRE_FALSE(o);
  CHECK_THAT(o.message(), Contains("nobody could plant a symbolic link there for root to follow"));
  CHECK_THAT(o.message(), Contains("runuser -u nobody -- cspwatch ..."));
  // Not root taking the directory over: its owner (the service) would be locked out.
  CHECK(o.message().find("chown") == std::string::npos);
}

TEST_CASE("file safety: a secret file or directory someone else can change stops a scan") {
  if (!isRoot()) return;
  TempDir dir;
  withMode(dir.write("client_secret", "s3cret\n"), 0660);
  const std::string cfg = liveConfig(dir, "    client_secret_file: client_secret\n");
  auto scan = cliRun({"-c", cfg, "scan", "--once", "--dry-run", "--now", kT0});
  INFO(scan.out << scan.err);
  CHECK(scan.code == 1);
  CHECK_THAT(scan.err, Contains("refusing the client secret file (client_secret_file) " +
                                dir.file("client_secret") + ": its group root can write it"));
  CHECK_THAT(scan.err, Contains("chmod go-w " + dir.file("client_secret")));
  CHECK(scan.err.find("s3cret") == std::string::npos);

  // The refresh token is rewritten in its directory: one nobody owns is refused.
  TempDir other;
  withMode(other.write("client_secret", "s3cret\n"), 0600);
  const std::string state = withMode(other.file("state"), 0700, true);
  giveToNobody(state);
  const std::string cfg2 = liveConfig(other,
                                      "    client_secret_file: client_secret\n"
                                      "    refresh_token_file: state/refresh_token\n");
  auto auth = cliRun({"-c", cfg2, "auth", "status"});
  INFO(auth.out << auth.err);
  CHECK(auth.code == 1);
  CHECK_THAT(auth.err, Contains("refusing the refresh token's directory " + state +
                                ": it belongs to nobody"));
}

TEST_CASE("file safety: a database directory someone else can change is refused, links unused") {
  if (!isRoot()) return;
  TempDir outside;
  const std::string victim = withMode(outside.write("victim", "root's own file\n"), 0644);
  TempDir dir;
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  const std::string state = withMode(dir.file("state"), 0750, true);
  giveToNobody(state);
  const std::string db = state + "/cspwatch.db";
  plantAsNobody({db, db + "-wal", db + "-shm", db + "-journal"}, victim);
  const std::string cfg = demoConfig(dir, "", db);

  auto scan = cliRun({"-c", cfg, "scan", "--once", "--now", kT0});
  INFO(scan.out << scan.err);
  CHECK(scan.code == 1);
  CHECK_THAT(scan.err, Contains("refusing the database's directory " + state +
                                ": it belongs to nobody (owner nobody, group nogroup, mode 0750)"));
  CHECK_THAT(scan.err, Contains("runuser -u nobody -- cspwatch -c " + cfg + " scan --once --now " +
                                kT0 + ")"));
  auto list = cliRun({"-c", cfg, "findings", "list"});
  CHECK(list.code == 1);
  CHECK_THAT(list.err, Contains("refusing the database's directory " + state));
  CHECK(readFile(victim) == "root's own file\n");
  CHECK(modeOf(victim) == 0644);

  // Group-writable, root's: refused too, with the chmod that fixes it.
  const std::string shared = withMode(dir.file("shared"), 0770, true);
  const std::string cfg2 = demoConfig(dir, "", shared + "/cspwatch.db");
  auto list2 = cliRun({"-c", cfg2, "findings", "list"});
  CHECK(list2.code == 1);
  CHECK_THAT(list2.err, Contains("its group root can write in it"));
  CHECK_THAT(list2.err, Contains("fix: chmod go-w " + shared));
  CHECK(listDirectory(shared).empty());
}

TEST_CASE("file safety: a mail directory someone else can change is refused, links unused") {
  if (!isRoot()) return;
  // A first scan, in a directory of root's, shows which file the digest goes to: the message id
  // depends only on the scan (the first), its time and the recipient.
  TempDir rehearsal;
  const std::string mail0 = withMode(rehearsal.file("mail"), 0750, true);
  auto first =
      cliRun({"-c", demoConfig(rehearsal, fileAlerts(mail0)), "scan", "--once", "--now", kT0});
  INFO(first.out << first.err);
  REQUIRE(first.code == 0);
  const auto names = listDirectory(mail0);
  REQUIRE(names.size() == 1);

  // The same scan with the mail directory nobody's, and links at that name, at the names a
  // writer might use for its temporary file, all to root's file.
  TempDir outside;
  const std::string victim = withMode(outside.write("victim", "root's own file\n"), 0644);
  TempDir dir;
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  const std::string mail = withMode(dir.file("mail"), 0750, true);
  giveToNobody(mail);
  std::vector<std::string> planted;
  for (const char* suffix : {"", ".tmp", ".new", "~"}) {
    planted.push_back(mail + "/" + names[0] + suffix);
    planted.push_back(mail + "/." + names[0] + suffix);
  }
  plantAsNobody(planted, victim);
  auto scan = cliRun({"-c", demoConfig(dir, fileAlerts(mail)), "scan", "--once", "--now", kT0});
  INFO(scan.out << scan.err);
  CHECK_THAT(scan.out + scan.err, Contains("refusing the mail directory (alerts.file.dir) " + mail +
                                           ": it belongs to nobody"));
  CHECK(readFile(victim) == "root's own file\n");
  CHECK(modeOf(victim) == 0644);

  // Group-writable, root's: `alerts test` refuses it.
  TempDir shared_dir;
  const std::string shared = withMode(shared_dir.file("mail"), 0770, true);
  auto test = cliRun({"-c", demoConfig(shared_dir, fileAlerts(shared)), "alerts", "test", "--to",
                      "ops@northwind-it.com.au"});
  INFO(test.out << test.err);
  CHECK(test.code != 0);
  CHECK_THAT(test.err, Contains("refusing the mail directory (alerts.file.dir) " + shared +
                                ": its group root can write in it"));
  CHECK(listDirectory(shared).empty());
}

TEST_CASE("file safety: config check warns about a secret others can read, at its key") {
  TempDir dir;
  withMode(dir.write("client_secret", "s3cret\n"), 0644);
  const std::string state = withMode(dir.file("state"), 0700, true);
  withMode(dir.write("state/refresh_token", "r\n"), 0600);
  const std::string cfg = liveConfig(dir,
                                     "    client_secret_file: client_secret\n"
                                     "    refresh_token_file: state/refresh_token\n");
  auto check = cliRun({"-c", cfg, "config", "check"});
  INFO(check.out << check.err);
  CHECK(check.code == 0);  // a warning: nothing refuses the file
  // The key is on line 14 (after the 7 lines of the partner section and 6 of sources).
  // Whoever runs the tests owns the files (root in CI).
  struct stat st {};
  REQUIRE(::stat(dir.file("client_secret").c_str(), &st) == 0);
  const std::string user = ::getpwuid(st.st_uid)->pw_name;
  const std::string group = ::getgrgid(st.st_gid)->gr_name;
  CHECK_THAT(check.err,
             Contains(cfg + ":14:25: warning: the client secret file " + dir.file("client_secret") +
                      " can be read by its group " + group + " and all users (owner " + user +
                      ", group " + group + ", mode 0644) [config.secret-readable]"));
  CHECK_THAT(check.err, Contains("hint: chmod go-rwx " + dir.file("client_secret")));
  CHECK(check.err.find("refresh_token") == std::string::npos);
  CHECK_THAT(check.out, Contains(": OK, with 1 warning(s)"));

  // A secret or a directory others can write: what commands refuse, so the configuration
  // cannot be used here (exit 1). Each at its own key.
  withMode(dir.file("client_secret"), 0664);
  withMode(state, 0770);
  auto unsafe = cliRun({"-c", cfg, "config", "check"});
  INFO(unsafe.out << unsafe.err);
  CHECK(unsafe.code == 1);
  CHECK_THAT(unsafe.err, Contains(cfg + ":14:25: error: refusing the client secret file"));
  CHECK_THAT(unsafe.err, Contains(cfg + ":15:25: error: refusing the refresh token's directory " +
                                  state + ": its group " + group + " can write in it"));
  CHECK_THAT(unsafe.err, Contains("[config.unsafe-file]"));
  CHECK_THAT(unsafe.err, Contains("valid, but 2 problem(s) would stop the next scan"));

  withMode(dir.file("client_secret"), 0600);
  withMode(state, 0700);
  auto clean = cliRun({"-c", cfg, "config", "check"});
  INFO(clean.out << clean.err);
  CHECK(clean.code == 0);
  CHECK(clean.err.empty());
  CHECK_THAT(clean.out, Contains(": OK\n"));
}

TEST_CASE("file safety: secrets in systemd's credentials directory pass") {
  // $CREDENTIALS_DIRECTORY: root's directory, files 0400, or 0440 where an ACL lets the
  // service's user read them (the group bits then show the ACL's mask).
  TempDir creds;
  withMode(creds.write("cspwatch_client_secret", "s3cret\n"), 0440);
  TempDir dir;
  ::setenv("CREDENTIALS_DIRECTORY", creds.path().c_str(), 1);
  const std::string cfg =
      liveConfig(dir, "    client_secret_file: /etc/cspwatch/credentials/client_secret\n");
  auto check = cliRun({"-c", cfg, "config", "check"});
  ::unsetenv("CREDENTIALS_DIRECTORY");
  INFO(check.out << check.err);
  CHECK(check.code == 0);
  CHECK(check.err.empty());
  CHECK(checkSecretFile(creds.file("cspwatch_client_secret"), "the client secret file"));
}
