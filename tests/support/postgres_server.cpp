// SPDX-License-Identifier: Apache-2.0
#include "tests/support/postgres_server.h"

#include <catch2/catch.hpp>

#include "common/text.h"
#include "tests/support/process.h"

namespace cspwatch::testing {

namespace {

ProcessResult serverScript(const std::string& action, const std::string& state) {
  return runCommand("/bin/bash", {sourcePath("tests/support/postgres_server.sh"), action, state});
}

}  // namespace

PostgresServer::PostgresServer(const TempDir& dir) : state_(dir.file("postgres-server")) {
  run("start");
  started_ = true;
}

PostgresServer::~PostgresServer() {
  if (started_) (void)serverScript("stop", state_);  // best effort: a destructor cannot fail
}

void PostgresServer::run(const std::string& action) const {
  const ProcessResult r = serverScript(action, state_);
  INFO("postgres_server.sh " << action << " " << state_ << ":\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

std::string PostgresServer::command(const std::string& action) const {
  // Paths from mkdtemp and the source tree: no single quote in them.
  return "bash '" + sourcePath("tests/support/postgres_server.sh") + "' " + action + " '" + state_ +
         "' >/dev/null";
}

void PostgresServer::restart() { run("restart"); }
void PostgresServer::pause() { run("pause"); }
void PostgresServer::resume() { run("resume"); }

std::string PostgresServer::address() const {
  return "127.0.0.1:" + std::string(trim(readFile(state_ + "/port")));
}

std::string PostgresServer::password() const {
  return std::string(trim(readFile(state_ + "/password")));
}

storage::StoreLocation PostgresServer::store(const std::string& schema) const {
  storage::StoreLocation where;
  where.url = std::string(trim(readFile(state_ + "/url")));
  where.schema = schema;
  where.password = password();
  return where;
}

std::string PostgresServer::storageYaml(const std::string& schema) const {
  return "  url: " + std::string(trim(readFile(state_ + "/url"))) + "\n  schema: " + schema +
         "\n  password_file: " + state_ + "/password\n";
}

}  // namespace cspwatch::testing
