// SPDX-License-Identifier: Apache-2.0
// A thin RAII layer over SQLite's C API: a connection, prepared statements and transactions.
// We use the C API (not Poco::Data) because the store needs exact control of pragmas, of
// BEGIN IMMEDIATE and of when statements are reset, and the C API is SQLite's documented,
// stable interface. Errors are Status values; nothing here throws.
//
// A Database is used by one thread at a time (SQLite's "multi-thread" mode); open one per
// thread that needs it. Statements must not outlive their Database.
#pragma once

#include <optional>
#include <string>

#include <sqlite3.h>

#include "common/status.h"

namespace cspwatch::storage {

class Database;

class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binding is 1-based as in SQLite. Strings are copied.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, const char* value) { return bind(index, std::string(value)); }
  Statement& bindNull(int index);
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind(int index, const std::optional<int64_t>& value);

  // One step: true when a row is available, false when done; errors go to status().
  bool step();
  // Runs to completion (for INSERT/UPDATE/DELETE); returns the status.
  Status run();
  void reset();  // keeps bindings; ready to step again

  int64_t getInt(int column) const;
  std::string getText(int column) const;
  bool isNull(int column) const;
  std::optional<std::string> getOptText(int column) const;
  std::optional<int64_t> getOptInt(int column) const;

  const Status& status() const { return status_; }
  bool valid() const { return stmt_ != nullptr; }

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  Status status_;
  bool done_ = false;
};

class Database {
 public:
  Database() = default;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Opens (creating with mode 0600 if absent) the database at `path`, with WAL, synchronous
  // FULL, foreign keys and a busy timeout. `read_only` opens without creating or writing.
  static Result<Database> open(const std::string& path, bool read_only = false);

  Status exec(const std::string& sql);  // one or more statements, no results
  Result<Statement> prepare(const std::string& sql);
  int64_t lastInsertId() const;
  int changes() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

  // The error text of the connection's last failure, with the path for context.
  Status error(const std::string& what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE on construction; rolls back on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  const Status& status() const { return begin_; }  // whether BEGIN worked
  Status commit();

 private:
  Database& db_;
  Status begin_;
  bool open_ = false;
};

}  // namespace cspwatch::storage
