// SPDX-License-Identifier: Apache-2.0
// writeFileAtomically against someone who can write the directory (issue 15): links planted by
// an unprivileged user (nobody) at the target and at every temporary name a writer might use,
// then the write made as root. What the links lead to must stay as it was.
#include "common/file_util.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/as_nobody.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using testing::kNobody;
using testing::listDirectory;
using testing::plantLinksAsNobody;
using testing::readFile;
using testing::TempDir;

namespace {

bool isRoot() {
  if (::geteuid() == 0) return true;
  WARN("skipped: acting as nobody (uid 65534) needs root; CI runs the tests as root");
  return false;
}

mode_t modeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

bool isLink(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// A directory `state` inside a TempDir that nobody owns and may write (as the service account
// owns /var/lib/cspwatch), and, elsewhere, root's file that must not change.
struct Scene {
  TempDir outside;  // root's, 0700: nobody cannot even look in
  TempDir work;
  std::string victim = outside.write("victim", "root's own file\n");
  std::string state = work.file("state");
  std::string target = state + "/refresh_token";

  Scene() {
    REQUIRE(::chmod(victim.c_str(), 0644) == 0);
    REQUIRE(::chmod(work.path().c_str(), 0755) == 0);
    REQUIRE(::mkdir(state.c_str(), 0755) == 0);
    REQUIRE(::chown(state.c_str(), kNobody, kNobody) == 0);
  }
  // Every name a writer of `target` might use for its temporary file, and the target itself.
  std::vector<std::string> plausibleNames() const {
    std::vector<std::string> names;
    for (const char* suffix : {"", ".tmp", "~", ".new", ".swp", ".bak", ".tmp.0", ".part"})
      names.push_back(target + suffix);
    for (const char* hidden : {"/.refresh_token.tmp", "/.refresh_token.swp",
                               "/.refresh_token.tmp.000000000000", "/.#refresh_token"})
      names.push_back(state + hidden);
    return names;
  }
  // Links at each of `names` (all in `state`) to `to`, made by nobody.
  void plant(const std::vector<std::string>& names, const std::string& to) const {
    std::vector<std::string> plain;
    for (const auto& n : names) {
      REQUIRE(n.rfind(state + "/", 0) == 0);
      plain.push_back(n.substr(state.size() + 1));
    }
    REQUIRE(plantLinksAsNobody(state, plain, to));
    for (const auto& n : names) REQUIRE(isLink(n));
  }
};

}  // namespace

TEST_CASE("file_util: an atomic write as root follows none of the links nobody planted") {
  if (!isRoot()) return;
  Scene s;
  const auto planted = s.plausibleNames();
  s.plant(planted, s.victim);

  REQUIRE(writeFileAtomically(s.target, "new token\n", 0600));

  // Root's file is as it was, content and mode.
  CHECK(readFile(s.victim) == "root's own file\n");
  CHECK(modeOf(s.victim) == 0644);
  // The link at the target was replaced by the new file, root's, with the mode asked for.
  CHECK_FALSE(isLink(s.target));
  CHECK(readFile(s.target) == "new token\n");
  CHECK(modeOf(s.target) == 0600);
  // The other links are still there, untouched, and no temporary file is left.
  std::vector<std::string> expected;
  for (const auto& p : planted) {
    expected.push_back(p.substr(s.state.size() + 1));
    if (p != s.target) CHECK(isLink(p));
  }
  std::sort(expected.begin(), expected.end());
  CHECK(listDirectory(s.state) == expected);
}

TEST_CASE("file_util: an atomic write creates no file where a dangling planted link points") {
  if (!isRoot()) return;
  Scene s;
  // Links to a file that does not exist yet, in a directory only root can write: a writer that
  // followed one would create it there, as root.
  const std::string absent = s.outside.file("created-by-root");
  s.plant(s.plausibleNames(), absent);

  REQUIRE(writeFileAtomically(s.target, "new token\n", 0600));

  CHECK(::access(absent.c_str(), F_OK) != 0);
  CHECK(listDirectory(s.outside.path()) == std::vector<std::string>{"victim"});
  CHECK(readFile(s.target) == "new token\n");
}

TEST_CASE("file_util: two writers of one file at once each replace it whole") {
  TempDir dir;
  const std::string path = dir.file("digest.eml");
  const std::string a(64 * 1024, 'a'), b(64 * 1024, 'b');
  std::atomic<int> failures{0};
  auto writer = [&](const std::string& content) {
    for (int i = 0; i < 200; ++i)
      if (!writeFileAtomically(path, content, 0640)) ++failures;
  };
  std::thread one(writer, a), two(writer, b);
  one.join();
  two.join();
  // With one shared temporary name, a writer renames the other's half-written file away, or
  // finds none left to rename.
  CHECK(failures == 0);
  const std::string last = readFile(path);
  CHECK((last == a || last == b));
  CHECK(listDirectory(dir.path()) == std::vector<std::string>{"digest.eml"});
}

TEST_CASE("file_util: a failed atomic write leaves the old file and no temporary file") {
  TempDir dir;
  // The target is a directory: the rename fails after the temporary file was written.
  REQUIRE(::mkdir(dir.file("busy").c_str(), 0700) == 0);
  Status s = writeFileAtomically(dir.file("busy"), "x", 0600);
  REQUIRE_FALSE(s);
  CHECK_THAT(s.message(), Catch::Contains(dir.file("busy")));
  CHECK(listDirectory(dir.path()) == std::vector<std::string>{"busy"});

  Status missing = writeFileAtomically(dir.file("no/such/dir/file"), "x", 0600);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.message(), Catch::Contains("No such file or directory"));

  // The mode is the one asked for whatever the umask.
  const mode_t old = ::umask(0);
  REQUIRE(writeFileAtomically(dir.file("secret"), "s", 0600));
  REQUIRE(writeFileAtomically(dir.file("shared"), "s", 0644));
  ::umask(077);
  REQUIRE(writeFileAtomically(dir.file("mail"), "s", 0640));
  ::umask(old);
  CHECK(modeOf(dir.file("secret")) == 0600);
  CHECK(modeOf(dir.file("shared")) == 0644);
  CHECK(modeOf(dir.file("mail")) == 0640);
}
