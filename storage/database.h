// SPDX-License-Identifier: Apache-2.0
// The store's connection to its database, over either backend (docs/storage.md):
//   - SQLite (the default): a file, through SQLite's C API (storage/sqlite_backend.cpp);
//   - PostgreSQL 15: a server shared by several instances, through libpq
//     (storage/postgres_backend.cpp), each partner account's tables in a schema of its own.
// A Database, its Statements and Transactions behave the same on both. The SQL is one text for
// both, written in what both understand (docs/development.md#sql-for-both-backends): numbered
// parameters `?1` (PostgreSQL's `$1` is written for it), `INSERT ... ON CONFLICT`, `RETURNING`,
// no SQLite-only functions. What differs is in the backends: migrations (storage/schema.cpp,
// storage/schema_postgres.cpp), locking (Transaction), how errors are worded.
//
// Errors are Status values; nothing here throws. A Database is used by one thread at a time;
// open one per thread that needs it. Statements must not outlive their Database.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"

namespace cspwatch::storage {

enum class Dialect { kSqlite, kPostgres };

// Where the store is: a SQLite file, or a PostgreSQL server, database and schema.
struct StoreLocation {
  StoreLocation() = default;
  StoreLocation(std::string sqlite_path) : path(std::move(sqlite_path)) {}  // NOLINT: implicit
  StoreLocation(const char* sqlite_path) : path(sqlite_path) {}             // NOLINT: implicit

  std::string path;      // the SQLite file (when url is empty)
  std::string url;       // postgresql://[user@]host[:port]/database[?param=value...]
  std::string schema;    // the PostgreSQL schema holding the tables (created if absent)
  std::string password;  // from storage.password_file; never logged or shown
  bool postgres() const { return !url.empty(); }
  // For messages: the file, or the URL without any password and the schema.
  std::string describe() const;
};

// The password a postgresql:// URL holds (user:PASSWORD@, or ?password=), "" if none.
std::string passwordInUrl(const std::string& url);

namespace detail {
class Connection;
class Cursor;
}  // namespace detail

class Statement {
 public:
  Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binding is 1-based, to the SQL's ?N. Strings are copied. A NULL bound through an optional
  // keeps its type (PostgreSQL must know what `?1 IS NULL` compares).
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

  // Integers read as integers on both backends (a PostgreSQL boolean reads 1 or 0).
  int64_t getInt(int column) const;
  std::string getText(int column) const;
  bool isNull(int column) const;
  std::optional<std::string> getOptText(int column) const;
  std::optional<int64_t> getOptInt(int column) const;

  const Status& status() const { return status_; }
  bool valid() const { return cursor_ != nullptr; }

 private:
  friend class Database;
  explicit Statement(std::unique_ptr<detail::Cursor> cursor);
  std::unique_ptr<detail::Cursor> cursor_;
  Status status_;
  bool done_ = false;
};

class Database {
 public:
  Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // SQLite: opens (creating with mode 0600 if absent) the database at `path`, with WAL,
  // synchronous FULL, foreign keys and a busy timeout; `read_only` opens without creating or
  // writing. PostgreSQL: connects, and works in the location's schema (a writer creates it);
  // `read_only` makes every transaction read-only.
  static Result<Database> open(const StoreLocation& where, bool read_only = false);

  Status exec(const std::string& sql);  // one or more statements, no results
  Result<Statement> prepare(const std::string& sql);
  // Rows the last INSERT, UPDATE or DELETE changed.
  int changes() const;
  // Whether a transaction is open (BEGIN without COMMIT or ROLLBACK yet).
  bool inTransaction() const;
  Dialect dialect() const;
  // For messages: the file, or the server and database (never the password).
  const std::string& path() const;
  // The PostgreSQL schema in use ("" on SQLite).
  const std::string& schema() const;
  // Goes up each time a lost connection to the server is made again (always 0 on SQLite): what
  // was private to the old one (temporary tables) is gone.
  int generation() const;

 private:
  friend class Transaction;
  explicit Database(std::unique_ptr<detail::Connection> connection);
  std::unique_ptr<detail::Connection> connection_;
};

// Begins a writing transaction on construction: SQLite's BEGIN IMMEDIATE, PostgreSQL's BEGIN with
// the schema's writer lock (an advisory lock: one writer at a time, as SQLite has), each waiting
// up to 5 s for another writer. Rolls back on destruction unless commit() succeeded.
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
