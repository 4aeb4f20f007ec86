// SPDX-License-Identifier: Apache-2.0
#include "tenants/inventory_source.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/file_util.h"
#include "common/guid.h"
#include "common/text.h"
#include "common/yaml_util.h"
#include "tenants/csv_reader.h"
#include "tenants/tenant_json.h"

namespace cspwatch::tenants {

namespace {

const std::vector<std::string> kCsvColumns = {"tenant_id",    "domain",        "name",
                                              "admin_email",  "billing_email", "technical_email",
                                              "onboarded_at", "tags"};

// Adds `t` unless its id was seen; reports the duplicate at `loc`.
void keep(Inventory& inv, std::set<std::string>& seen, Tenant t, const SourceLocation& loc) {
  if (!seen.insert(t.id).second) {
    inv.diagnostics.error("inventory.duplicate-tenant", loc,
                          "tenant " + t.id + " appears more than once", "the first entry is kept");
    ++inv.skipped;
    return;
  }
  t.addSource(kSourceInventory);
  inv.tenants.push_back(std::move(t));
}

// At most this many unreadable rows or records are listed with their diagnostics; the rest
// are counted. A million bad rows must not become a million messages.
constexpr size_t kMaxListed = 100;

// Lists one unreadable row's or record's diagnostics, or counts it once kMaxListed are listed.
void unreadableRow(Inventory& inv, const Diagnostics& row, size_t& unlisted) {
  ++inv.skipped;
  ++inv.unreadable;
  if (inv.unreadable <= kMaxListed)
    for (const auto& d : row.items()) inv.diagnostics.add(d);
  else
    ++unlisted;
}

void reportUnlisted(Inventory& inv, const std::string& file, size_t unlisted) {
  if (unlisted > 0)
    inv.diagnostics.add({Severity::kNote,
                         "inventory.bad-row",
                         {file, 0, 0},
                         "",
                         std::to_string(unlisted) + " more unreadable row(s) were skipped",
                         "only the first " + std::to_string(kMaxListed) + " are listed"});
}

}  // namespace

Result<Inventory> parseInventoryCsv(const std::string& text, const std::string& file) {
  Inventory inv;
  if (startsWith(text, "\xFF\xFE") || startsWith(text, "\xFE\xFF"))
    return Status::invalidArgument(
        file + ":1:1: the file is UTF-16 (Excel's \"Unicode text\"); save it as CSV UTF-8");
  inv.diagnostics.addSource(file, text);
  size_t unlisted = 0;
  Diagnostics syntax;
  std::vector<CsvRecord> records = readCsv(text, file, syntax);
  for (const auto& d : syntax.items()) {
    Diagnostics one;
    one.add(d);
    unreadableRow(inv, one, unlisted);
  }
  if (records.empty())
    return Status::invalidArgument(SourceLocation{file, 1, 1}.str() +
                                   ": no header row; expected columns " + join(kCsvColumns, ","));

  // Map header names to column indexes.
  std::map<std::string, size_t> col;
  const CsvRecord& header = records.front();
  for (size_t i = 0; i < header.fields.size(); ++i) {
    std::string name = toLowerAscii(trim(header.fields[i].value));
    SourceLocation loc{file, header.fields[i].line, header.fields[i].column};
    if (std::find(kCsvColumns.begin(), kCsvColumns.end(), name) == kCsvColumns.end()) {
      inv.diagnostics.warning("inventory.unknown-column", loc,
                              "column '" + name + "' is not used and will be ignored",
                              didYouMean(name, kCsvColumns));
      continue;
    }
    if (col.count(name)) {
      return Status::invalidArgument(loc.str() + ": column '" + name + "' appears twice");
    }
    col[name] = i;
  }
  if (!col.count("tenant_id"))
    return Status::invalidArgument(SourceLocation{file, header.line, 1}.str() +
                                   ": the header row has no tenant_id column; columns are " +
                                   join(kCsvColumns, ","));

  std::set<std::string> seen;
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    Diagnostics row;
    auto err = [&](const std::string& code, const CsvField* f, const std::string& msg,
                   const std::string& hint = "this row was skipped") {
      SourceLocation loc{file, f ? f->line : rec.line, f ? f->column : 1};
      row.add({Severity::kError, code, loc, "row " + std::to_string(r), msg, hint});
    };
    if (rec.fields.size() != header.fields.size()) {
      err("inventory.bad-row", nullptr,
          "expected " + std::to_string(header.fields.size()) + " fields as in the header, found " +
              std::to_string(rec.fields.size()));
      unreadableRow(inv, row, unlisted);
      continue;
    }
    auto field = [&](const char* name) -> const CsvField* {
      auto it = col.find(name);
      return it == col.end() ? nullptr : &rec.fields[it->second];
    };
    auto value = [&](const char* name) {
      const CsvField* f = field(name);
      return f ? std::string(trim(f->value)) : std::string();
    };

    Tenant t;
    if (auto id = normalizeGuid(value("tenant_id"))) {
      t.id = *id;
    } else {
      err("inventory.bad-value", field("tenant_id"),
          "tenant_id '" + abbreviate(value("tenant_id")) + "' is not a GUID");
    }
    t.name = value("name");
    t.default_domain = toLowerAscii(value("domain"));
    std::vector<ContactEmail> contacts;
    const std::pair<const char*, const char*> email_columns[] = {
        {"admin_email", kPurposeAdminCredentials},
        {"billing_email", kPurposeBilling},
        {"technical_email", kPurposeTechnicalNotification}};
    for (auto [column, purpose] : email_columns) {
      std::string v = value(column);
      if (v.empty()) continue;
      if (!looksLikeEmail(v)) {
        err("inventory.bad-value", field(column),
            std::string(column) + " '" + abbreviate(v) + "' is not an email address");
        continue;
      }
      contacts.push_back({v, purpose, kSourceInventory});
    }
    if (col.count("admin_email") || col.count("billing_email") || col.count("technical_email"))
      t.contacts = contacts;
    if (std::string v = value("onboarded_at"); !v.empty()) {
      if (auto ts = parseTimestamp(v)) {
        t.onboarded_at = ts;
      } else {
        err("inventory.bad-value", field("onboarded_at"),
            "onboarded_at '" + abbreviate(v) + "' is not a date (use YYYY-MM-DD or ISO 8601)");
      }
    }
    for (const auto& tag : split(value("tags"), ';')) {
      std::string_view tv = trim(tag);
      if (!tv.empty()) t.tags.emplace_back(tv);
    }
    if (row.hasErrors()) {
      unreadableRow(inv, row, unlisted);
      continue;
    }
    keep(inv, seen, std::move(t), {file, rec.line, 1});
  }
  reportUnlisted(inv, file, unlisted);
  return inv;
}

Result<Inventory> parseInventoryJson(const std::string& text, const std::string& file) {
  Inventory inv;
  auto doc = parseYamlDocument(file, text, "inventory", inv.diagnostics);
  if (!doc) return Status::invalidArgument(inv.diagnostics.renderText());
  if (doc->IsNull())
    return Status::invalidArgument(SourceLocation{file, 1, 1}.str() +
                                   ": the file is empty; expected a list of tenants, or "
                                   "{\"tenants\": [...]}");
  YAML::Node list = *doc;
  if (doc->IsMap()) {
    YamlMap top(*doc, file, "inventory", "inventory", inv.diagnostics);
    top.checkKeys({"schema_version", "tenants", "partner"});
    list = top.get("tenants");
    if (inv.diagnostics.hasErrors() || !list.IsDefined())
      return Status::invalidArgument(inv.diagnostics.renderText() +
                                     (list.IsDefined() ? "" : file + ": no 'tenants' list"));
  }
  if (!list.IsSequence())
    return Status::invalidArgument(locationFromMark(file, list.Mark()).str() +
                                   ": expected a list of tenants, found " + describeNode(list));
  std::set<std::string> seen;
  size_t unlisted = 0;
  for (const auto& item : list) {
    SourceLocation loc = locationFromMark(file, item.Mark());
    Diagnostics record;
    if (auto t = tenantFromNode(item, file, "inventory", record)) {
      inv.diagnostics.append(record);  // warnings
      keep(inv, seen, std::move(*t), loc);
    } else {
      unreadableRow(inv, record, unlisted);
    }
  }
  reportUnlisted(inv, file, unlisted);
  return inv;
}

Result<Inventory> loadInventoryFile(const std::string& path) {
  auto text = readWholeFile(path);
  if (!text)
    return Status::ioError("cannot read inventory file " + path + ": " + text.status().message());
  if (endsWith(toLowerAscii(path), ".csv")) return parseInventoryCsv(*text, path);
  return parseInventoryJson(*text, path);
}

}  // namespace cspwatch::tenants
