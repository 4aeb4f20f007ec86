// SPDX-License-Identifier: Apache-2.0
// RefreshTokenStore: grants present only the token the file holds; answers that arrive together
// are written once (group commit); an answer to a grant that presented an older token is
// dropped; a failed write is the caller's ioError; a new sign-in's token replaces the chain.
#include "msapi/refresh_token_store.h"

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/file_util.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::msapi;
using cspwatch::testing::readFile;
using cspwatch::testing::TempDir;

namespace {

// A writer that writes for real, counts its calls, can be made to fail, and holds its first
// call until released (a write under way, seen from outside).
struct GatedWriter {
  std::promise<void> started;  // the first write began
  std::promise<void> release;  // lets the first write go on
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};
  bool gate = false;
  RefreshTokenStore::Writer writer() {
    return [this](const std::string& path, const std::string& token) -> Status {
      if (calls++ == 0 && gate) {
        started.set_value();
        released.wait();
      }
      if (fail) return Status::ioError("no space left on device");
      return writeFileAtomically(path, token + "\n", 0600);
    };
  }
};

std::string stored(const std::string& file) {
  std::string text = readFile(file);
  REQUIRE(text.size() > 1);
  REQUIRE(text.back() == '\n');
  text.pop_back();
  return text;
}

}  // namespace

TEST_CASE(
    "refresh token store: the file's token is presented, and an answer is in the file first") {
  TempDir dir;
  const std::string file = dir.write("rt", "rt-0\n");
  REQUIRE(::chmod(file.c_str(), 0600) == 0);
  RefreshTokenStore store(file);
  auto first = store.presented();
  REQUIRE(first);
  CHECK(first->token == "rt-0");
  CHECK(first->generation == 0);
  REQUIRE(store.settle("rt-1", first->generation));
  CHECK(stored(file) == "rt-1");
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto next = store.presented();
  REQUIRE(next);
  CHECK(next->token == "rt-1");
  CHECK(next->generation == 1);
  CHECK(store.writes() == 1);
}

TEST_CASE("refresh token store: an answer not yet written is never presented") {
  TempDir dir;
  const std::string file = dir.write("rt", "rt-0\n");
  REQUIRE(::chmod(file.c_str(), 0600) == 0);
  GatedWriter w;
  w.gate = true;
  RefreshTokenStore store(file, w.writer());
  REQUIRE(store.presented());
  auto settled = std::async(std::launch::async, [&] { return store.settle("rt-1", 0); });
  w.started.get_future().wait();  // rt-1's write is under way
  auto during = store.presented();
  REQUIRE(during);
  CHECK(during->token == "rt-0");  // a kill now leaves rt-0 in the file: rt-1 was never sent
  CHECK(during->generation == 0);
  w.release.set_value();
  REQUIRE(settled.get());
  CHECK(store.presented()->token == "rt-1");
}

TEST_CASE(
    "refresh token store: answers that arrive together cost one write, and an answer to an "
    "older token is dropped") {
  TempDir dir;
  const std::string file = dir.write("rt", "rt-0\n");
  REQUIRE(::chmod(file.c_str(), 0600) == 0);
  GatedWriter w;
  w.gate = true;
  RefreshTokenStore store(file, w.writer());
  REQUIRE(store.presented());
  // Eight grants presented rt-0 at once; their answers arrive while the first one is written.
  std::vector<std::future<Status>> answers;
  answers.push_back(std::async(std::launch::async, [&] { return store.settle("rt-a0", 0); }));
  w.started.get_future().wait();
  for (int i = 1; i < 8; ++i)
    answers.push_back(std::async(std::launch::async,
                                 [&, i] { return store.settle("rt-a" + std::to_string(i), 0); }));
  w.release.set_value();
  for (auto& a : answers) CHECK(a.get());
  // One write: the others are siblings of the token written (each answers rt-0), and the file
  // holds a successor of what each of them presented.
  CHECK(w.calls == 1);
  CHECK(store.writes() == 1);
  const std::string first = stored(file);
  CHECK(first.rfind("rt-a", 0) == 0);
  auto now = store.presented();
  REQUIRE(now);
  CHECK(now->generation == 1);
  // Late: another answer to rt-0 is dropped, an answer to the file's token is written.
  REQUIRE(store.settle("rt-late", 0));
  CHECK(stored(file) == first);
  CHECK(w.calls == 1);
  REQUIRE(store.settle("rt-b", now->generation));
  CHECK(stored(file) == "rt-b");
  CHECK(w.calls == 2);
}

TEST_CASE("refresh token store: a failed write is an ioError, and the file's token stays in use") {
  TempDir dir;
  const std::string file = dir.write("rt", "rt-0\n");
  REQUIRE(::chmod(file.c_str(), 0600) == 0);
  GatedWriter w;
  RefreshTokenStore store(file, w.writer());
  REQUIRE(store.presented());
  w.fail = true;
  const Status s = store.settle("rt-1", 0);
  CHECK(s.code() == Status::Code::kIoError);
  CHECK(s.message() == "cannot store the refresh token: no space left on device");
  auto still = store.presented();
  REQUIRE(still);
  CHECK(still->token == "rt-0");
  CHECK(still->generation == 0);
  CHECK(stored(file) == "rt-0");
  // The disk recovers: the next answer to rt-0 is written.
  w.fail = false;
  REQUIRE(store.settle("rt-2", 0));
  CHECK(stored(file) == "rt-2");
  CHECK(store.presented()->generation == 1);
}

TEST_CASE(
    "refresh token store: no file is auth login's to fix, and a new sign-in's token replaces") {
  TempDir dir;
  const std::string file = dir.file("rt");
  RefreshTokenStore store(file);
  auto none = store.presented();
  REQUIRE_FALSE(none);
  CHECK(none.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(none.status().message(), Catch::Contains("run 'cspwatch auth login'"));
  REQUIRE(store.replace("rt-signed-in"));
  CHECK(stored(file) == "rt-signed-in");
  auto now = store.presented();
  REQUIRE(now);
  CHECK(now->token == "rt-signed-in");
  // An empty file is the same advice.
  TempDir other;
  const std::string empty = other.write("rt", "");
  REQUIRE(::chmod(empty.c_str(), 0600) == 0);
  RefreshTokenStore blank(empty);
  auto nothing = blank.presented();
  REQUIRE_FALSE(nothing);
  CHECK_THAT(nothing.status().message(), Catch::Contains("empty"));
}
