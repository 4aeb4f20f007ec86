// SPDX-License-Identifier: Apache-2.0
#include "tenants/inventory_source.h"

#include "common/text.h"
#include "common/yaml_util.h"
#include "tenants/inventory_csv.h"
#include "tenants/inventory_json.h"
#include "tenants/inventory_records.h"
#include "tenants/tenant_json.h"

namespace cspwatch::tenants {

namespace {

// Collects what a reader hands over, for the functions that return an Inventory.
Result<Inventory> collect(
    const std::function<Result<InventoryReport>(const InventorySink&)>& read) {
  Inventory inv;
  auto report = read([&inv](Tenant&& t) {
    inv.tenants.push_back(std::move(t));
    return Status::ok();
  });
  if (!report) return report.status();
  inv.diagnostics = std::move(report->diagnostics);
  inv.skipped = report->skipped;
  inv.unreadable = report->unreadable;
  return inv;
}

}  // namespace

Result<Inventory> parseInventoryYaml(const std::string& text, const std::string& file) {
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
  InventoryReport report;
  report.diagnostics = std::move(inv.diagnostics);
  SeenIds seen;
  size_t unlisted = 0;
  const InventorySink add = [&inv](Tenant&& t) {
    inv.tenants.push_back(std::move(t));
    return Status::ok();
  };
  for (const auto& item : list) {
    SourceLocation loc = locationFromMark(file, item.Mark());
    Diagnostics record;
    if (auto t = tenantFromNode(item, file, "inventory", record)) {
      report.diagnostics.append(record);  // warnings
      (void)keepRecord(std::move(*t), loc, seen, report.diagnostics, report, add);
    } else {
      unreadableRow(report, record, unlisted);
    }
  }
  reportUnlisted(report, file, unlisted);
  inv.diagnostics = std::move(report.diagnostics);
  inv.skipped = report.skipped;
  inv.unreadable = report.unreadable;
  return inv;
}

Result<InventoryReport> readInventory(TextWindow& text, const std::string& file, InventoryForm form,
                                      const InventorySink& sink,
                                      const std::function<void(size_t)>& records) {
  return form == InventoryForm::kCsv ? readCsvInventory(text, file, sink, records)
                                     : readJsonInventory(text, file, sink, records);
}

Result<InventoryReport> readInventoryFile(const std::string& path, const InventorySink& sink,
                                          const std::function<void(size_t)>& records) {
  auto text = TextWindow::open(path);
  if (!text)
    return Status::ioError("cannot read inventory file " + path + ": " + text.status().message());
  return readInventory(*text, path, formOf(path), sink, records);
}

InventoryForm formOf(const std::string& path) {
  return endsWith(toLowerAscii(path), ".csv") ? InventoryForm::kCsv : InventoryForm::kJson;
}

Result<Inventory> loadInventoryFile(const std::string& path) {
  return collect([&path](const InventorySink& sink) { return readInventoryFile(path, sink); });
}

Result<Inventory> parseInventoryCsv(const std::string& text, const std::string& file) {
  return collect([&](const InventorySink& sink) {
    TextWindow window(text);
    return readCsvInventory(window, file, sink, {});
  });
}

Result<Inventory> parseInventoryJson(const std::string& text, const std::string& file) {
  return collect([&](const InventorySink& sink) {
    TextWindow window(text);
    return readJsonInventory(window, file, sink, {});
  });
}

}  // namespace cspwatch::tenants
