// SPDX-License-Identifier: Apache-2.0
// Root and the service's files (issue 19, item 6): a command run as root against a state
// directory that belongs to another user (the service's /var/lib/cspwatch) is refused with the
// runuser line to use, before it opens or creates anything there, so no root-owned file ever
// appears in it. Needs root (the tests run as root; skipped otherwise).
#include <filesystem>

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/finding_store.h"
#include "tests/support/as_nobody.h"
#include "tests/support/cli_runner.h"
#include "tests/support/demo_partner.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::Contains;
using cspwatch::testing::cliRun;
using cspwatch::testing::kNobody;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

// Every path under `dir` (the directory itself included) with its owner.
std::vector<std::pair<std::string, uid_t>> owners(const std::string& dir) {
  std::vector<std::pair<std::string, uid_t>> out;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) out.emplace_back(dir, st.st_uid);
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (::lstat(e.path().c_str(), &st) == 0) out.emplace_back(e.path().string(), st.st_uid);
  return out;
}

}  // namespace

TEST_CASE("root: commands that write the service's state directory refuse, creating nothing") {
  if (::geteuid() != 0) return;
  TempDir dir;
  const std::string state = dir.file("state");
  REQUIRE(::mkdir(state.c_str(), 0750) == 0);
  const std::string db = state + "/cspwatch.db";
  REQUIRE(storage::FindingStore::open(db));  // a database the service made
  for (const auto& [path, uid] : owners(state))
    REQUIRE(::lchown(path.c_str(), kNobody, kNobody) == 0);
  const auto before = owners(state);
  const std::string config = dir.write(
      "cspwatch.yaml", testing::kDemoPartnerYaml + "sources:\n  inventory:\n    path: " +
                           sourcePath("etc/demo/inventory.json") + "\nstorage:\n  path: " + db +
                           "\nrules:\n  paths: [" + sourcePath("etc/rules.d") + "]\n");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"scan", "--once", "--now", "2026-11-25T00:00:00Z"},
                                             {"suppress", "add", "--rule", "dap-enabled",
                                              "--reason", "r", "--owner", "o", "--expires", "30d"},
                                             {"suppress", "remove", "1"},
                                             {"alerts", "send"},
                                             {"findings", "list"},
                                             {"scans", "list"}}) {
    std::vector<std::string> line = {"-c", config};
    line.insert(line.end(), args.begin(), args.end());
    auto r = cliRun(line);
    INFO(args[0] << " " << args[1] << ": " << r.err);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Contains("refusing the database's directory " + state));
    // The line to copy: the command as typed, run as the directory's owner.
    CHECK_THAT(r.err, Contains("runuser -u nobody -- cspwatch -c " + config + " " + args[0] + " " +
                               args[1]));
    CHECK(owners(state) == before);  // nothing new, nothing root's
  }
}
