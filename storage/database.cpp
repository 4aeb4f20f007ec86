// SPDX-License-Identifier: Apache-2.0
// Database, Statement and Transaction over a backend's Connection and Cursor (storage/backend.h).
#include "storage/database.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "storage/backend.h"

namespace cspwatch::storage {

namespace {

// Where a password is in a postgresql:// URL: in its user part (user:PASSWORD@) and as a query
// parameter (?password=PASSWORD, &password=PASSWORD). Each as (offset, length).
std::vector<std::pair<size_t, size_t>> passwordSpans(const std::string& url) {
  std::vector<std::pair<size_t, size_t>> out;
  const size_t scheme = url.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = url.find_first_of("/?", start);
    const size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
    if (at != std::string::npos && at >= start) {
      const size_t colon = url.find(':', start);
      if (colon != std::string::npos && colon < at) out.emplace_back(colon + 1, at - colon - 1);
    }
  }
  for (const std::string key : {"?password=", "&password="}) {
    const size_t p = url.find(key);
    if (p == std::string::npos) continue;
    const size_t value = p + key.size();
    const size_t end = url.find('&', value);
    out.emplace_back(value, (end == std::string::npos ? url.size() : end) - value);
  }
  return out;
}

// The URL with each password replaced by "***".
std::string urlWithoutPassword(const std::string& url) {
  std::string out = url;
  auto spans = passwordSpans(url);
  std::sort(spans.begin(), spans.end(), [](auto a, auto b) { return a.first > b.first; });
  for (const auto& [at, n] : spans) out.replace(at, n, "***");
  return out;
}

}  // namespace

std::string passwordInUrl(const std::string& url) {
  const auto spans = passwordSpans(url);
  return spans.empty() ? "" : url.substr(spans.front().first, spans.front().second);
}

std::string StoreLocation::describe() const {
  if (!postgres()) return path;
  return urlWithoutPassword(url) + (schema.empty() ? "" : " (schema " + schema + ")");
}

Statement::Statement() = default;
Statement::Statement(std::unique_ptr<detail::Cursor> cursor) : cursor_(std::move(cursor)) {}
Statement::Statement(Statement&& o) noexcept = default;
Statement& Statement::operator=(Statement&& o) noexcept = default;
Statement::~Statement() = default;

Statement& Statement::bind(int i, int64_t v) {
  cursor_->bindInt(i, v);
  return *this;
}
Statement& Statement::bind(int i, const std::string& v) {
  cursor_->bindText(i, v);
  return *this;
}
Statement& Statement::bindNull(int i) {
  cursor_->bindNull(i, detail::NullType::kUnknown);
  return *this;
}
Statement& Statement::bind(int i, const std::optional<std::string>& v) {
  if (v) return bind(i, *v);
  cursor_->bindNull(i, detail::NullType::kText);
  return *this;
}
Statement& Statement::bind(int i, const std::optional<int64_t>& v) {
  if (v) return bind(i, *v);
  cursor_->bindNull(i, detail::NullType::kInt);
  return *this;
}

bool Statement::step() {
  if (done_ || !status_.isOk()) return false;
  if (cursor_->step(&status_)) return true;
  done_ = true;
  return false;
}

Status Statement::run() {
  while (step()) {
  }
  return status_;
}

void Statement::reset() {
  cursor_->reset();
  done_ = false;
  status_ = Status::ok();
}

int64_t Statement::getInt(int c) const { return cursor_->getInt(c); }
std::string Statement::getText(int c) const { return cursor_->getText(c); }
bool Statement::isNull(int c) const { return cursor_->isNull(c); }
std::optional<std::string> Statement::getOptText(int c) const {
  return isNull(c) ? std::nullopt : std::optional<std::string>(getText(c));
}
std::optional<int64_t> Statement::getOptInt(int c) const {
  return isNull(c) ? std::nullopt : std::optional<int64_t>(getInt(c));
}

Database::Database() = default;
Database::Database(std::unique_ptr<detail::Connection> c) : connection_(std::move(c)) {}
Database::Database(Database&& o) noexcept = default;
Database& Database::operator=(Database&& o) noexcept = default;
Database::~Database() = default;

Result<Database> Database::open(const StoreLocation& where, bool read_only) {
  auto c = where.postgres() ? detail::openPostgres(where, read_only)
                            : detail::openSqlite(where.path, read_only);
  if (!c) return c.status();
  return Database(std::move(*c));
}

Status Database::exec(const std::string& sql) { return connection_->exec(sql); }
Result<Statement> Database::prepare(const std::string& sql) {
  auto c = connection_->prepare(sql);
  if (!c) return c.status();
  return Statement(std::move(*c));
}
int Database::changes() const { return connection_->changes(); }
bool Database::inTransaction() const { return connection_->inTransaction(); }
Dialect Database::dialect() const { return connection_->dialect(); }
const std::string& Database::path() const { return connection_->name(); }
const std::string& Database::schema() const { return connection_->schema(); }
int Database::generation() const { return connection_->generation(); }

Transaction::Transaction(Database& db) : db_(db) {
  begin_ = db_.connection_->beginWrite();
  open_ = begin_.isOk();
}

Transaction::~Transaction() {
  if (open_) (void)db_.exec("ROLLBACK");
}

Status Transaction::commit() {
  if (!open_) return begin_.isOk() ? Status::aborted("transaction already finished") : begin_;
  Status s = db_.exec("COMMIT");
  if (s) open_ = false;
  return s;
}

}  // namespace cspwatch::storage
