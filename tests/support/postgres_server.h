// SPDX-License-Identifier: Apache-2.0
// A PostgreSQL server of a test's own (tests/support/postgres_server.sh), for a test that takes
// its server away: restarts it, or pauses it so that connections are refused on its port. The
// server the ctest fixture `postgres` starts is shared by every test running in parallel, so a
// test must never do that to it. The constructor starts the server (about 4 s: initdb) with its
// state in a directory of `dir`; the destructor stops it and removes its data. The REQUIREs fail
// the test that asked. Used by one thread at a time.
#pragma once

#include <string>

#include "storage/database.h"
#include "tests/support/temp_dir.h"

namespace cspwatch::testing {

class PostgresServer {
 public:
  explicit PostgresServer(const TempDir& dir);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // pg_ctl restart -m fast: every connection is cut; back on the same port when it returns.
  void restart();
  // Stopped, its data kept: connecting to its port is refused until resume().
  void pause();
  void resume();
  // The shell command that does `action` (restart, pause, resume) to this server, for another
  // process to run (cspwatch-faulty's CSPWATCH_TEST_COMMAND).
  std::string command(const std::string& action) const;

  // "127.0.0.1:PORT", as messages about the server name it.
  std::string address() const;
  // The test role's password (what no message may show).
  std::string password() const;
  // A store on this server in `schema`.
  storage::StoreLocation store(const std::string& schema) const;
  // The configuration's storage keys for that store (url, schema, password_file), each on its
  // own line indented by two spaces.
  std::string storageYaml(const std::string& schema) const;

 private:
  void run(const std::string& action) const;
  std::string state_;
  bool started_ = false;
};

}  // namespace cspwatch::testing
