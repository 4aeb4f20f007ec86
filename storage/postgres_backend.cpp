// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL backend (storage/backend.h), over libpq, PostgreSQL's own C client (Debian's
// libpq5; Poco::Data::PostgreSQL is not packaged in Debian 12). Statements are sent with
// PQexecParams: typed parameters, results as text, parsed and planned by the server each time
// (no server-side prepared statement to deallocate, so a lost connection leaves none behind).
//
// The connection works in one schema (search_path), set again whenever the connection is made
// again after the server went away; a writer creates the schema. One writer at a time per
// schema, as SQLite has one per file: beginWrite() takes a transaction-level advisory lock keyed
// by the schema's name, waiting up to 5 s (lock_timeout), as SQLite's busy timeout does.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <libpq-fe.h>

#include "common/text.h"
#include "storage/backend.h"
#include "storage/sql_params.h"

namespace cspwatch::storage::detail {

namespace {

// PostgreSQL's type oids for what we bind (pg_type.h; stable across releases).
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

std::string oneLine(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// Text PostgreSQL accepts: valid UTF-8 without NUL (SQLite stores any bytes; the server refuses
// those, and a scan must not fail over one odd byte an API sent).
std::string serverText(const std::string& s) {
  if (isValidUtf8(s) && s.find('\0') == std::string::npos) return s;
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t bad = 0;
    if (isValidUtf8(std::string_view(s).substr(i), &bad)) bad = s.size() - i;
    out.append(s, i, bad);
    i += bad;
    if (i < s.size()) {
      out += "\xEF\xBF\xBD";  // U+FFFD for the byte that does not fit
      ++i;
    }
  }
  std::string clean;
  for (char c : out)
    if (c != '\0') clean += c;
  return clean;
}

class PgConnection;

class PgCursor final : public Cursor {
 public:
  PgCursor(PgConnection& connection, ParamSql sql) : c_(connection), sql_(std::move(sql)) {
    values_.resize(static_cast<size_t>(sql_.count));
    types_.resize(static_cast<size_t>(sql_.count), 0);
  }
  void bindInt(int i, int64_t v) override { set(i, std::to_string(v), kInt8Oid); }
  void bindText(int i, const std::string& v) override { set(i, serverText(v), kTextOid); }
  void bindNull(int i, NullType type) override {
    if (!inRange(i)) return;
    values_[static_cast<size_t>(i - 1)].reset();
    types_[static_cast<size_t>(i - 1)] = type == NullType::kInt    ? kInt8Oid
                                         : type == NullType::kText ? kTextOid
                                                                   : 0;
  }
  bool step(Status* error) override;
  void reset() override {
    result_.reset();
    row_ = -1;
  }
  int64_t getInt(int c) const override {
    const char* v = value(c);
    if (v == nullptr) return 0;
    if (v[0] == 't' && v[1] == '\0') return 1;  // a boolean
    if (v[0] == 'f' && v[1] == '\0') return 0;
    return std::strtoll(v, nullptr, 10);
  }
  std::string getText(int c) const override {
    const char* v = value(c);
    return v == nullptr ? std::string()
                        : std::string(v, static_cast<size_t>(PQgetlength(result_.get(), row_, c)));
  }
  bool isNull(int c) const override {
    return result_ == nullptr || PQgetisnull(result_.get(), row_, c) != 0;
  }

 private:
  // Parameters past those the SQL names are ignored, as SQLite ignores unused ones.
  bool inRange(int i) const { return i >= 1 && i <= sql_.count; }
  void set(int i, std::string v, Oid type) {
    if (!inRange(i)) return;
    values_[static_cast<size_t>(i - 1)] = std::move(v);
    types_[static_cast<size_t>(i - 1)] = type;
  }
  const char* value(int c) const {
    if (result_ == nullptr || PQgetisnull(result_.get(), row_, c) != 0) return nullptr;
    return PQgetvalue(result_.get(), row_, c);
  }

  PgConnection& c_;
  ParamSql sql_;
  std::vector<std::optional<std::string>> values_;
  std::vector<Oid> types_;
  PgResult result_;
  int row_ = -1;
};

class PgConnection final : public Connection {
 public:
  ~PgConnection() override {
    if (conn_ != nullptr) PQfinish(conn_);
  }
  Status open(const StoreLocation& where, bool read_only);

  Status exec(const std::string& sql) override;
  Result<std::unique_ptr<Cursor>> prepare(const std::string& sql) override {
    return std::unique_ptr<Cursor>(std::make_unique<PgCursor>(*this, toDollarParams(sql)));
  }
  int changes() const override { return changes_; }
  bool inTransaction() const override {
    const PGTransactionStatusType t = PQtransactionStatus(conn_);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
  }
  Status beginWrite() override;
  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& name() const override { return name_; }
  const std::string& schema() const override { return schema_; }
  int generation() const override { return generation_; }

  // Runs one statement with parameters; the error, if any, as a Status.
  Result<PgResult> run(const ParamSql& sql, const std::vector<std::optional<std::string>>& values,
                       const std::vector<Oid>& types);

 private:
  Status reconnectIfLost();
  Status setUpSession();
  Status checked(PGresult* raw, PgResult* out);
  Status errorOf(const PGresult* r) const;

  PGconn* conn_ = nullptr;
  std::string name_, schema_;
  bool read_only_ = false;
  int changes_ = 0;
  int generation_ = 0;
};

bool PgCursor::step(Status* error) {
  if (result_ == nullptr) {
    auto r = c_.run(sql_, values_, types_);
    if (!r) {
      *error = r.status();
      return false;
    }
    result_ = std::move(*r);
    row_ = -1;
  }
  ++row_;
  return row_ < PQntuples(result_.get());
}

Status PgConnection::open(const StoreLocation& where, bool read_only) {
  name_ = where.describe();
  schema_ = where.schema.empty() ? "cspwatch" : where.schema;
  read_only_ = read_only;
  // A server or network that goes silent is noticed within about a minute (TCP keepalives, and
  // unacknowledged data given up after 30 s), not after the kernel's two hours; the URL's own
  // parameters, given later, take precedence.
  std::vector<const char*> keys{"connect_timeout",  "application_name", "client_encoding",
                                "keepalives",       "keepalives_idle",  "keepalives_interval",
                                "keepalives_count", "tcp_user_timeout", "dbname"};
  std::vector<const char*> values{"10", "cspwatch", "UTF8",           "1", "30", "10",
                                  "3",  "30000",    where.url.c_str()};
  if (!where.password.empty()) {
    keys.push_back("password");
    values.push_back(where.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn_ == nullptr)
    return Status::unavailable("cannot connect to " + name_ + ": out of memory");
  if (PQstatus(conn_) != CONNECTION_OK)
    return Status::unavailable("cannot connect to the database " + name_ + ": " +
                               oneLine(PQerrorMessage(conn_)));
  // The server's notices ("schema ... already exists, skipping") are not errors, and libpq
  // would print them on stderr.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  return setUpSession();
}

// What every connection, new or made again, needs: its schema (a writer creates it, under the
// advisory lock so that two instances starting at once do not race) and, for a reader,
// read-only transactions.
Status PgConnection::setUpSession() {
  char* quoted = PQescapeIdentifier(conn_, schema_.c_str(), schema_.size());
  if (quoted == nullptr) return Status::invalidArgument("invalid schema name '" + schema_ + "'");
  const std::string ident = quoted;
  PQfreemem(quoted);
  // A session of ours left idle in a transaction (its process frozen) loses it, and the writer
  // lock with it, within a minute, so that a standby can take over; a lock is waited for 5 s.
  std::string sql = "SET search_path TO " + ident +
                    "; SET idle_in_transaction_session_timeout = '60s'; SET lock_timeout = '5s';";
  if (read_only_) sql += "SET default_transaction_read_only = on;";
  if (Status s = exec(sql); !s) return s;
  if (read_only_) return Status::ok();
  // Created only when absent: a schema the administrator made for a role without the
  // database's CREATE privilege is used as it is.
  const char* name[] = {schema_.c_str()};
  // Read with the statement's snapshot (a scan of pg_namespace), before the lock and again
  // under it: CREATE SCHEMA IF NOT EXISTS looks the name up in the session's catalog cache,
  // which the advisory lock does not refresh, and would fail on the unique index when another
  // instance created the schema while this one waited.
  auto exists = [&](bool& found) {
    PgResult r;
    Status s = checked(PQexecParams(conn_, "SELECT 1 FROM pg_namespace WHERE nspname = $1", 1,
                                    nullptr, name, nullptr, nullptr, 0),
                       &r);
    found = s.isOk() && PQntuples(r.get()) > 0;
    return s;
  };
  bool found = false;
  if (Status s = exists(found); !s || found) return s;
  if (Status s = beginWrite(); !s) return s;
  Status s = exists(found);
  if (s && !found) s = exec("CREATE SCHEMA " + ident);
  if (!s) {
    (void)exec("ROLLBACK");
    return s;
  }
  return exec("COMMIT");
}

Status PgConnection::reconnectIfLost() {
  if (PQstatus(conn_) == CONNECTION_OK) return Status::ok();
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK)
    return Status::unavailable("the database " + name_ +
                               " cannot be reached: " + oneLine(PQerrorMessage(conn_)));
  ++generation_;
  return setUpSession();
}

Status PgConnection::errorOf(const PGresult* r) const {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = r != nullptr ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const std::string code = state != nullptr ? state : "";
  const std::string msg = oneLine(primary != nullptr ? primary : PQerrorMessage(conn_));
  if (PQstatus(conn_) != CONNECTION_OK || code.rfind("08", 0) == 0 || code.rfind("57P", 0) == 0)
    return Status::unavailable("the database " + name_ + " cannot be reached: " + msg);
  if (code == "55P03" || code == "40001" || code == "40P01")
    return Status::unavailable("database busy (" + name_ + "): " + msg);
  return Status::ioError("database error (" + name_ + "): " + msg +
                         (code.empty() ? "" : " [SQLSTATE " + code + "]"));
}

Status PgConnection::checked(PGresult* raw, PgResult* out) {
  PgResult r(raw);
  const ExecStatusType st = r != nullptr ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return errorOf(r.get());
  const char* tuples = PQcmdTuples(r.get());
  changes_ = tuples != nullptr && *tuples != '\0' ? std::atoi(tuples) : 0;
  if (out != nullptr) *out = std::move(r);
  return Status::ok();
}

Status PgConnection::exec(const std::string& sql) {
  if (!inTransaction())
    if (Status s = reconnectIfLost(); !s) return s;
  PgResult r;
  if (Status s = checked(PQexec(conn_, sql.c_str()), &r); !s) return s;
  // COMMIT of a transaction in which a statement failed rolls back, and says so only in its
  // command tag.
  if (std::strcmp(PQcmdStatus(r.get()), "ROLLBACK") == 0 && sql.find("COMMIT") != std::string::npos)
    return Status::aborted("database error (" + name_ +
                           "): the transaction was rolled back (a statement in it failed)");
  return Status::ok();
}

Result<PgResult> PgConnection::run(const ParamSql& sql,
                                   const std::vector<std::optional<std::string>>& values,
                                   const std::vector<Oid>& types) {
  if (!inTransaction())
    if (Status s = reconnectIfLost(); !s) return s;
  std::vector<const char*> raw(values.size(), nullptr);
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i]) raw[i] = values[i]->c_str();
  PgResult out;
  if (Status s = checked(PQexecParams(conn_, sql.text.c_str(), static_cast<int>(values.size()),
                                      types.data(), raw.data(), nullptr, nullptr, 0),
                         &out);
      !s)
    return s;
  return out;
}

Status PgConnection::beginWrite() {
  // One key per schema: FNV-1a of its name, as the advisory lock's bigint.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : "cspwatch-writer:" + schema_) h = (h ^ ch) * 1099511628211ULL;
  const std::string sql = "BEGIN; SET LOCAL lock_timeout = '5s'; SELECT pg_advisory_xact_lock(" +
                          std::to_string(static_cast<int64_t>(h)) + ")";
  Status s = exec(sql);
  if (!s && inTransaction()) (void)exec("ROLLBACK");
  return s;
}

}  // namespace

Result<std::unique_ptr<Connection>> openPostgres(const StoreLocation& where, bool read_only) {
  auto c = std::make_unique<PgConnection>();
  if (Status s = c->open(where, read_only); !s) return s;
  return std::unique_ptr<Connection>(std::move(c));
}

}  // namespace cspwatch::storage::detail
