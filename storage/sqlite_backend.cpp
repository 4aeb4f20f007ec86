// SPDX-License-Identifier: Apache-2.0
// The SQLite backend (storage/backend.h): a thin layer over SQLite's C API. We use the C API (not
// Poco::Data) because the store needs exact control of pragmas, of BEGIN IMMEDIATE and of when
// statements are reset, and the C API is SQLite's documented, stable interface. A connection is
// used by one thread at a time (SQLite's "multi-thread" mode).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/file_safety.h"
#include "common/file_util.h"
#include "storage/backend.h"

namespace cspwatch::storage::detail {

namespace {

// "64 KiB", "1.5 GiB", "512 bytes".
std::string bytes(uint64_t n) {
  if (n < 10 * 1024) return std::to_string(n) + " bytes";
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n) / 1024.0;
  int unit = 0;
  while (v >= 1024.0 && unit < 3) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf,
                v == static_cast<double>(static_cast<uint64_t>(v)) ? "%.0f %s" : "%.1f %s", v,
                kUnits[unit]);
  return buf;
}

std::string directoryOf(const std::string& file) {
  const size_t slash = file.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
}

// What may have refused a write to `file`: the free space on its file system, and a file size
// limit on this process (systemd's LimitFSIZE=, ulimit -f). SQLite reports a write refused for
// lack of space as "database or disk is full", but one refused for a quota (EDQUOT) or a file
// size limit (EFBIG) only as "disk I/O error", and without the system's reason.
std::vector<std::string> writeLimits(const std::string& file) {
  std::vector<std::string> out;
  struct statvfs fs {};
  if (::statvfs(directoryOf(file).c_str(), &fs) == 0)
    out.push_back(bytes(static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize) +
                  " free on its file system");
  rlimit limit{};
  if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    out.push_back("files limited to " + bytes(limit.rlim_cur) + " (RLIMIT_FSIZE)");
  return out;
}

// Which of the files SQLite writes for `file` this process may not write: SQLite says only
// "attempt to write a readonly database", also when the file is writable but its directory
// (where the -wal and -shm files are created) or a leftover -shm file is not.
std::vector<std::string> notWritable(const std::string& file) {
  std::vector<std::string> out;
  const std::string dir = directoryOf(file);
  for (const std::string& f : {dir, file, file + "-wal", file + "-shm"}) {
    if (::access(f.c_str(), F_OK) != 0) continue;  // absent: created in the directory
    if (::access(f.c_str(), W_OK) != 0)
      out.push_back("cannot write " + std::string(f == dir ? "its directory " : "") + f + ": " +
                    std::strerror(errno));
  }
  return out;
}

// The database file a statement or connection works on, for error messages.
std::string fileOf(sqlite3* db) {
  const char* f = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  return f != nullptr ? f : "";
}

// The connection's last error as SQLite words it, with what explains it when SQLite's words do
// not: what may have refused a write, or which file or directory is read-only.
std::string errorText(sqlite3* db) {
  if (db == nullptr) return "not open";
  std::string msg = sqlite3_errmsg(db);
  const int ext = sqlite3_extended_errcode(db);
  std::vector<std::string> why;
  if ((ext & 0xff) == SQLITE_FULL || ext == SQLITE_IOERR_WRITE || ext == SQLITE_IOERR_TRUNCATE ||
      ext == SQLITE_IOERR_SHMSIZE || ext == SQLITE_IOERR_FSYNC)
    why = writeLimits(fileOf(db));
  if ((ext & 0xff) == SQLITE_READONLY) why = notWritable(fileOf(db));
  for (size_t i = 0; i < why.size(); ++i) msg += (i == 0 ? " (" : "; ") + why[i];
  if (!why.empty()) msg += ")";
  return msg;
}

// The start of `sql` on one line, for an error message: statements written as raw strings span
// lines, and an error is logged and stored as one line.
std::string sqlOnOneLine(const std::string& sql, size_t max = 60) {
  std::string out;
  for (char c : sql) {
    if (out.size() >= max) break;
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

class SqliteCursor final : public Cursor {
 public:
  SqliteCursor(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  ~SqliteCursor() override { sqlite3_finalize(stmt_); }
  SqliteCursor(const SqliteCursor&) = delete;
  SqliteCursor& operator=(const SqliteCursor&) = delete;

  void bindInt(int i, int64_t v) override { sqlite3_bind_int64(stmt_, i, v); }
  void bindText(int i, const std::string& v) override {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bindNull(int i, NullType) override { sqlite3_bind_null(stmt_, i); }

  bool step(Status* error) override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) {
      // Name the file and the cause: "database error (/var/lib/cspwatch/cspwatch.db): database
      // or disk is full", not a bare "disk I/O error" with no file.
      const std::string where = " (" + fileOf(db_) + "): " + errorText(db_);
      *error = rc == SQLITE_BUSY ? Status::unavailable("database busy" + where)
                                 : Status::ioError("database error" + where);
    }
    return false;
  }
  void reset() override { sqlite3_reset(stmt_); }

  int64_t getInt(int c) const override { return sqlite3_column_int64(stmt_, c); }
  std::string getText(int c) const override {
    const unsigned char* t = sqlite3_column_text(stmt_, c);
    return t == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, c));
  }
  bool isNull(int c) const override { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection() = default;
  ~SqliteConnection() override {
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Status open(const std::string& path, bool read_only);
  Status exec(const std::string& sql) override;
  Result<std::unique_ptr<Cursor>> prepare(const std::string& sql) override;
  int changes() const override { return sqlite3_changes(db_); }
  bool inTransaction() const override { return sqlite3_get_autocommit(db_) == 0; }
  Status beginWrite() override { return exec("BEGIN IMMEDIATE"); }
  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& name() const override { return path_; }
  const std::string& schema() const override { return schema_; }

 private:
  // The error text of the connection's last failure, with the path for context.
  Status error(const std::string& what) const {
    return Status::ioError(what + " (" + path_ + "): " + errorText(db_));
  }
  sqlite3* db_ = nullptr;
  std::string path_;
  const std::string schema_;
};

Status SqliteConnection::open(const std::string& path, bool read_only) {
  // SQLite creates and rewrites the -wal, -shm and -journal files beside the database by name,
  // following any symbolic link there, even when opened read-only: the directory must be one
  // nobody but this user and root can write in (common/file_safety.h). Here, not in the
  // commands, so that every opener (service, scans, every CLI command) is covered. The file
  // itself is then opened as named: only this user or root could have put a link there.
  if (Status s = checkPrivateDirectory(parentDirectory(path), "the database's directory"); !s)
    return s;
  if (!read_only) {
    // Create the file ourselves so that it is private from the first byte: SQLite would use
    // the umask, and the -wal/-shm files copy the database file's permissions.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
      return Status::ioError("cannot open database " + path + ": " + std::strerror(errno));
    ::close(fd);
  }
  path_ = path;
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
    return error("cannot open database");
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
  const char* pragmas = read_only ? "PRAGMA foreign_keys = ON; PRAGMA temp_store = FILE;"
                                  : "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                                    "PRAGMA foreign_keys = ON; PRAGMA temp_store = FILE;";
  return exec(pragmas);
}

Status SqliteConnection::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    int code = sqlite3_errcode(db_) & 0xff;
    if (const std::string full = errorText(db_);
        full.size() > msg.size() && full.rfind(msg, 0) == 0)
      msg = full;  // the same message with the system's reason
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
      return Status::unavailable("database busy (" + path_ + "): " + msg);
    return Status::ioError("database error (" + path_ + "): " + msg);
  }
  return Status::ok();
}

Result<std::unique_ptr<Cursor>> SqliteConnection::prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK)
    return error("cannot prepare '" + sqlOnOneLine(sql) + "'");
  return std::unique_ptr<Cursor>(std::make_unique<SqliteCursor>(stmt, db_));
}

}  // namespace

Result<std::unique_ptr<Connection>> openSqlite(const std::string& path, bool read_only) {
  auto c = std::make_unique<SqliteConnection>();
  if (Status s = c->open(path, read_only); !s) return s;
  return std::unique_ptr<Connection>(std::move(c));
}

}  // namespace cspwatch::storage::detail
