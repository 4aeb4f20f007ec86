// SPDX-License-Identifier: Apache-2.0
// Internal to storage/: what each backend (sqlite_backend.cpp, postgres_backend.cpp) implements
// behind Database and Statement (storage/database.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "storage/database.h"

namespace cspwatch::storage::detail {

// The type a NULL is bound as, for a backend that types its parameters.
enum class NullType { kUnknown, kInt, kText };

// One prepared statement and its current result.
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual void bindInt(int index, int64_t value) = 0;
  virtual void bindText(int index, const std::string& value) = 0;
  virtual void bindNull(int index, NullType type) = 0;
  // True when a row is available; false when done, or on an error (then in *error).
  virtual bool step(Status* error) = 0;
  virtual void reset() = 0;  // keeps bindings
  virtual int64_t getInt(int column) const = 0;
  virtual std::string getText(int column) const = 0;
  virtual bool isNull(int column) const = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Status exec(const std::string& sql) = 0;
  virtual Result<std::unique_ptr<Cursor>> prepare(const std::string& sql) = 0;
  virtual int changes() const = 0;
  virtual bool inTransaction() const = 0;
  // Begins a writing transaction, waiting for another writer up to the backend's limit; on
  // failure no transaction is left open.
  virtual Status beginWrite() = 0;
  virtual Dialect dialect() const = 0;
  virtual const std::string& name() const = 0;
  virtual const std::string& schema() const = 0;
  virtual int generation() const { return 0; }
};

Result<std::unique_ptr<Connection>> openSqlite(const std::string& path, bool read_only);
Result<std::unique_ptr<Connection>> openPostgres(const StoreLocation& where, bool read_only);

}  // namespace cspwatch::storage::detail
