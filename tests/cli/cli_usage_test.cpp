// SPDX-License-Identifier: Apache-2.0
// The command line that helps (issue 19): did-you-mean at every level, options with a few
// choices shown and refused by name, tables that fit the terminal or are never cut, read-only
// commands that create nothing, and log lines with their time when not under journald.
#include <cstdlib>
#include <regex>
#include <sstream>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/store_options.h"
#include "cli/table.h"
#include "common/logging.h"
#include "common/text.h"
#include "storage/schema.h"
#include "tests/support/cli_runner.h"
#include "tests/support/demo_partner.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::Contains;
using cspwatch::testing::cliRun;
using cspwatch::testing::listDirectory;
using cspwatch::testing::runBinary;
using cspwatch::testing::runCommand;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

// The demo inventory and the default rules, the database at `db`.
std::string demoConfig(const TempDir& dir, const std::string& db) {
  return dir.write("cspwatch.yaml",
                   testing::kDemoPartnerYaml + "sources:\n  inventory:\n    path: " +
                       sourcePath("etc/demo/inventory.json") + "\nstorage:\n  path: " + db +
                       "\nrules:\n  paths: [" + sourcePath("etc/rules.d") + "]\n");
}

size_t longestLine(const std::string& text) {
  size_t longest = 0;
  for (const auto& line : split(text, '\n')) longest = std::max(longest, cli::displayWidth(line));
  return longest;
}

}  // namespace

TEST_CASE("usage: an unknown command or option names the nearest one, at every level") {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"findigns", "list"}, "unknown command 'findigns'; did you mean 'findings'?"},
           {{"findings", "lsit"}, "unknown command 'lsit'; did you mean 'list'?"},
           {{"findings", "list", "--formt", "json"},
            "unknown option '--formt'; did you mean '--format'?"},
           {{"--confg", "x.yaml", "scans", "list"},
            "unknown option '--confg'; did you mean '--config'?"},
           {{"alerts", "outbox", "--al"}, "unknown option '--al'; did you mean '--all'?"},
           {{"frobnicate"},
            "unknown command 'frobnicate'; the commands of 'cspwatch' are config, "},
           {{"findings"}, "'cspwatch findings' needs a command: list, show"},
       }) {
    INFO(join(c.args, " "));
    auto r = cliRun(c.args);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Contains("cspwatch: " + c.message));
    CHECK_THAT(r.err, !Contains("A subcommand is required"));
  }
}

TEST_CASE("usage: options with a few choices show them and refuse anything else by name") {
  auto help = cliRun({"findings", "list", "--help"});
  REQUIRE(help.code == 0);
  CHECK_THAT(help.out, Contains("--format table|json|csv"));
  CHECK_THAT(help.out, Contains("--state open|resolved|retired|suppressed|all"));
  CHECK_THAT(help.out, Contains("--severity critical|high|medium|low|info"));
  CHECK_THAT(help.out, !Contains("ENUM") && !Contains("->") && !Contains("OR {"));
  CHECK_THAT(cliRun({"--help"}).out, Contains("--log-level trace|debug|info|warn|error"));
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"tenants", "list", "--format", "1"}, "--format must be one of table, json; found '1'"},
           {{"findings", "list", "--format", "0"},
            "--format must be one of table, json, csv; found '0'"},
           {{"findings", "list", "--state", "opne"},
            "--state must be one of open, resolved, retired, suppressed, all; found 'opne'; did "
            "you "
            "mean 'open'?"},
           {{"findings", "list", "--severity", "hgih"},
            "--severity must be one of critical, high, medium, low, info; found 'hgih'; did you "
            "mean 'high'?"},
           {{"--log-level", "loud", "scans", "list"},
            "--log-level must be one of trace, debug, info, warn, error; found 'loud'"},
           {{"alerts", "preview", "--format", "pdf"}, "--format must be one of text, html, eml"},
       }) {
    INFO(join(c.args, " "));
    auto r = cliRun(c.args);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains("cspwatch: " + c.message));
  }
}

TEST_CASE("tables: the width runCli chose, or every cell whole when there is none") {
  cli::Table t({{"ID", false, 2}, {"NAME", true, 4}});
  t.addRow({"1", "A very long tenant name that does not fit in thirty columns"});
  std::ostringstream cut, whole;
  cli::setTableWidth(30);
  t.print(cut);
  cli::setTableWidth(cli::kNoWidthLimit);
  t.print(whole);
  CHECK(longestLine(cut.str()) == 30);
  CHECK_THAT(cut.str(), Contains("..."));
  CHECK_THAT(whole.str(), Contains("does not fit in thirty columns"));

  ::setenv("COLUMNS", "57", 1);
  CHECK(cli::outputWidth() == 57);
  ::setenv("COLUMNS", "wide", 1);  // not a number: as if unset
  if (::isatty(STDOUT_FILENO) == 0) CHECK(cli::outputWidth() == cli::kNoWidthLimit);
  ::unsetenv("COLUMNS");
  if (::isatty(STDOUT_FILENO) == 0) CHECK(cli::outputWidth() == cli::kNoWidthLimit);
}

TEST_CASE("tables: COLUMNS fits them, a pipe gets every cell whole, --wide too") {
  TempDir dir;
  const std::string config = demoConfig(dir, dir.file("cspwatch.db"));
  REQUIRE(runBinary("cspwatch", {"-c", config, "scan", "--once", "--now", "2026-11-25T00:00:00Z"})
              .exit_code == 0);
  // 90: the narrowest this table gets is about 83 (rule ids stay whole; tenant and subject
  // shrink to their minimum), so a narrower terminal would test the floor, not the fit.
  auto narrow = runBinary("cspwatch", {"-c", config, "findings", "list"}, {{"COLUMNS", "90"}});
  auto piped = runBinary("cspwatch", {"-c", config, "findings", "list"}, {{"COLUMNS", ""}});
  auto wide =
      runBinary("cspwatch", {"-c", config, "--wide", "findings", "list"}, {{"COLUMNS", "90"}});
  REQUIRE(narrow.exit_code == 0);
  REQUIRE(piped.exit_code == 0);
  REQUIRE(wide.exit_code == 0);
  CHECK(longestLine(narrow.out) <= 90);
  CHECK_THAT(narrow.out, Contains("..."));
  CHECK(longestLine(piped.out) > 100);  // the old fixed width cut at 100
  CHECK_THAT(piped.out, !Contains("..."));
  CHECK(wide.out == piped.out);
  // The dry run's streamed table too: cut to COLUMNS, whole in a pipe.
  auto dry_narrow =
      runBinary("cspwatch", {"-c", config, "scan", "--once", "--dry-run"}, {{"COLUMNS", "100"}});
  auto dry_piped =
      runBinary("cspwatch", {"-c", config, "scan", "--once", "--dry-run"}, {{"COLUMNS", ""}});
  CHECK(longestLine(dry_narrow.out) <= 100);
  CHECK(longestLine(dry_piped.out) > 100);
  CHECK_THAT(dry_piped.out, !Contains("..."));
}

TEST_CASE("read-only commands create no database and no state directory, and say no scan yet") {
  TempDir dir;
  const std::string state = dir.file("state");
  const std::string config = demoConfig(dir, state + "/cspwatch.db");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"findings", "list"},
                                             {"findings", "list", "--format", "JSON"},
                                             {"findings", "show", "1"},
                                             {"scans", "list"},
                                             {"scans", "diff", "1", "2"},
                                             {"suppress", "list"},
                                             {"alerts", "outbox"},
                                             {"alerts", "preview"}}) {
    std::vector<std::string> line = {"-c", config};
    line.insert(line.end(), args.begin(), args.end());
    INFO(join(line, " "));
    auto r = cliRun(line);
    CHECK(r.code == 0);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Contains(cli::kNoScanYet));
    struct stat st {};
    CHECK(::stat(state.c_str(), &st) != 0);  // not even the directory
    ::mkdir(state.c_str(), 0700);
    r = cliRun(line);
    CHECK(r.code == 0);
    CHECK_THAT(r.err, Contains(cli::kNoScanYet));
    CHECK(listDirectory(state).empty());
    ::rmdir(state.c_str());
  }
}

TEST_CASE("read-only commands: an empty database says no scan yet, an older one is not migrated") {
  TempDir dir;
  const std::string db = dir.file("cspwatch.db");
  const std::string config = demoConfig(dir, db);
  REQUIRE(storage::FindingStore::open(db));
  auto empty = cliRun({"-c", config, "findings", "list"});
  CHECK(empty.code == 0);
  CHECK_THAT(empty.err, Contains(cli::kNoScanYet));
  CHECK_THAT(empty.out, Contains("0 finding(s)") || Contains("ID"));

  const std::string old_db = dir.file("old.db");
  {
    auto raw = storage::Database::open(old_db);
    REQUIRE(raw);
    REQUIRE(storage::migrate(*raw, storage::latestSchemaVersion() - 1));
  }
  const std::string old_config = demoConfig(dir, old_db);
  auto old = cliRun({"-c", old_config, "scans", "list"});
  CHECK(old.code == 1);
  CHECK_THAT(old.err, Contains("older schema") && Contains("cspwatch scan --once"));
  auto raw = storage::Database::open(old_db, true);
  REQUIRE(raw);
  CHECK(*storage::schemaVersion(*raw) == storage::latestSchemaVersion() - 1);  // untouched
}

TEST_CASE("logging: a time on each line, except under journald (JOURNAL_STREAM is stderr)") {
  TempDir dir;
  const std::string path = dir.file("stderr.log");
  const int saved = ::dup(2);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  ::dup2(fd, 2);
  struct stat st {};
  ::fstat(fd, &st);
  const std::string names = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  CHECK(isJournalStream(names.c_str(), 2));
  CHECK_FALSE(isJournalStream("8:12345", 2));  // a parent's journal, not this stderr
  CHECK_FALSE(isJournalStream(nullptr, 2));
  CHECK_FALSE(isJournalStream((names + "x").c_str(), 2));
  ::unsetenv("JOURNAL_STREAM");
  setupLogging({spdlog::level::warn, false});
  log().warn("plain line");
  log().flush();
  ::setenv("JOURNAL_STREAM", names.c_str(), 1);
  setupLogging({spdlog::level::warn, false});
  log().warn("journal line");
  log().flush();
  ::unsetenv("JOURNAL_STREAM");
  setupLogging({spdlog::level::warn, false});
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  const auto lines = split(testing::readFile(path), '\n');
  REQUIRE(lines.size() >= 2);
  INFO(lines[0] << "\n" << lines[1]);
  CHECK(std::regex_match(
      lines[0],
      std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d warning: plain line)")));
  CHECK(lines[1] == "<4>journal line");
}

TEST_CASE("usage: output that cannot be written (a full disk) fails the command, said once") {
  TempDir dir;
  const std::string config = demoConfig(dir, dir.file("cspwatch.db"));
  const std::string bin = std::string(CSPWATCH_BIN_DIR) + "/cspwatch";
  for (const std::string command : {"tenants list", "rules list --format json",
                                    "scan --once --dry-run --now 2026-11-25T00:00:00Z"}) {
    INFO(command);
    auto ok = runCommand("/bin/sh", {"-c", bin + " -c " + config + " " + command + " >/dev/null"});
    CHECK(ok.exit_code == 0);
    auto full =
        runCommand("/bin/sh", {"-c", bin + " -c " + config + " " + command + " >/dev/full"});
    CHECK(full.exit_code == 1);
    CHECK_THAT(full.err, Contains("could not write the output: No space left on device"));
  }
}

TEST_CASE("usage: CLI11's other refusals are said in plain words") {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"findings", "show", "abc"}, "ID must be a number, found 'abc'"},
           {{"scans", "diff", "1"}, "missing B"},
           {{"findings", "list", "--rule"}, "--rule needs a value"},
           {{"findings", "list", "extra"}, "unexpected 'extra' (this command takes no more"},
       }) {
    INFO(join(c.args, " "));
    auto r = cliRun(c.args);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains("cspwatch: " + c.message));
  }
}
