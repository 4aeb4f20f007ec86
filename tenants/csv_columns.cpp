// SPDX-License-Identifier: Apache-2.0
#include "tenants/csv_columns.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "common/guid.h"
#include "common/text.h"

namespace cspwatch::tenants {

namespace {

const std::vector<std::string> kColumns = {"tenant_id",    "domain",        "name",
                                           "admin_email",  "billing_email", "technical_email",
                                           "onboarded_at", "tags"};

// One row read through the column map: its values by column name, and its problems.
class Row {
 public:
  Row(const std::map<std::string, size_t>& col, const CsvRecord& rec, const std::string& file,
      size_t number, Diagnostics& problems)
      : col_(col), rec_(rec), file_(file), number_(number), problems_(problems) {}

  bool has(const char* column) const { return col_.count(column) > 0; }
  // The field of `column`; null when the header has no such column.
  const CsvField* field(const char* column) const {
    auto it = col_.find(column);
    return it == col_.end() ? nullptr : &rec_.fields[it->second];
  }
  // The value of `column`, trimmed; empty when the header has no such column.
  std::string value(const char* column) const {
    const CsvField* f = field(column);
    return f ? std::string(trim(f->value)) : std::string();
  }
  // An error at field `f`, or at the row's start when null.
  void error(const std::string& code, const CsvField* f, const std::string& message) {
    SourceLocation loc{file_, f ? f->line : rec_.line, f ? f->column : 1};
    problems_.add({Severity::kError, code, loc, "row " + std::to_string(number_), message,
                   "this row was skipped"});
    failed_ = true;
  }
  void badValue(const char* column, const std::string& message) {
    error("inventory.bad-value", field(column), message);
  }
  bool failed() const { return failed_; }

 private:
  const std::map<std::string, size_t>& col_;
  const CsvRecord& rec_;
  const std::string& file_;
  size_t number_;
  Diagnostics& problems_;
  bool failed_ = false;
};

void readId(Row& row, Tenant& t) {
  if (auto id = normalizeGuid(row.value("tenant_id")))
    t.id = *id;
  else
    row.badValue("tenant_id",
                 "tenant_id '" + abbreviate(row.value("tenant_id")) + "' is not a GUID");
}

// The email columns; the contacts are known when the header has any of them.
void readContacts(Row& row, Tenant& t) {
  std::vector<ContactEmail> contacts;
  const std::pair<const char*, const char*> email_columns[] = {
      {"admin_email", kPurposeAdminCredentials},
      {"billing_email", kPurposeBilling},
      {"technical_email", kPurposeTechnicalNotification}};
  for (auto [column, purpose] : email_columns) {
    std::string v = row.value(column);
    if (v.empty()) continue;
    if (!looksLikeEmail(v)) {
      row.badValue(column,
                   std::string(column) + " '" + abbreviate(v) + "' is not an email address");
      continue;
    }
    contacts.push_back({v, purpose, kSourceInventory});
  }
  if (row.has("admin_email") || row.has("billing_email") || row.has("technical_email"))
    t.contacts = contacts;
}

void readOnboarded(Row& row, Tenant& t) {
  const std::string v = row.value("onboarded_at");
  if (v.empty()) return;
  if (auto ts = parseTimestamp(v))
    t.onboarded_at = ts;
  else
    row.badValue("onboarded_at",
                 "onboarded_at '" + abbreviate(v) + "' is not a date (use YYYY-MM-DD or ISO 8601)");
}

void readTags(const Row& row, Tenant& t) {
  for (const auto& tag : split(row.value("tags"), ';')) {
    std::string_view tv = trim(tag);
    if (!tv.empty()) t.tags.emplace_back(tv);
  }
}

}  // namespace

const std::vector<std::string>& csvInventoryColumns() { return kColumns; }

Result<CsvColumns> CsvColumns::fromHeader(const CsvRecord& header, const std::string& file,
                                          Diagnostics& warnings) {
  CsvColumns columns(file, header.fields.size());
  for (size_t i = 0; i < header.fields.size(); ++i) {
    std::string name = toLowerAscii(trim(header.fields[i].value));
    SourceLocation loc{file, header.fields[i].line, header.fields[i].column};
    if (std::find(kColumns.begin(), kColumns.end(), name) == kColumns.end()) {
      warnings.warning("inventory.unknown-column", loc,
                       "column '" + name + "' is not used and will be ignored",
                       didYouMean(name, kColumns));
      continue;
    }
    if (columns.col_.count(name))
      return Status::invalidArgument(loc.str() + ": column '" + name + "' appears twice");
    columns.col_[name] = i;
  }
  if (!columns.col_.count("tenant_id"))
    return Status::invalidArgument(SourceLocation{file, header.line, 1}.str() +
                                   ": the header row has no tenant_id column; columns are " +
                                   join(kColumns, ","));
  return columns;
}

std::optional<Tenant> CsvColumns::tenantFromRow(const CsvRecord& rec, size_t number,
                                                Diagnostics& problems) const {
  Row row(col_, rec, *file_, number, problems);
  if (rec.fields.size() != width_) {
    row.error("inventory.bad-row", nullptr,
              "expected " + std::to_string(width_) + " fields as in the header, found " +
                  std::to_string(rec.fields.size()));
    return std::nullopt;
  }
  Tenant t;
  readId(row, t);
  t.name = row.value("name");
  t.default_domain = toLowerAscii(row.value("domain"));
  readContacts(row, t);
  readOnboarded(row, t);
  readTags(row, t);
  if (row.failed()) return std::nullopt;
  return t;
}

}  // namespace cspwatch::tenants
