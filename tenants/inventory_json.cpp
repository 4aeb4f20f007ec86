// SPDX-License-Identifier: Apache-2.0
#include "tenants/inventory_json.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "common/text.h"
#include "common/yaml_util.h"
#include "tenants/inventory_records.h"
#include "tenants/json_scanner.h"
#include "tenants/tenant_json.h"

namespace cspwatch::tenants {

namespace {

// Moves positions found in a piece of text parsed alone to where the piece starts in the file.
Diagnostics shifted(const Diagnostics& found, const std::string& file, const TextPos& start) {
  Diagnostics out;
  for (Diagnostic d : found.items()) {
    SourceLocation& loc = d.location;
    if (loc.file == file && loc.line > 0) {
      if (loc.line == 1) loc.column += start.column - 1;
      loc.line += start.line - 1;
    }
    out.add(std::move(d));
  }
  return out;
}

// Whether yaml-cpp reads `piece` (strict JSON) as a document.
bool yamlLoads(std::string_view piece, YAML::Node* node = nullptr) {
  try {
    YAML::Node n = YAML::Load(std::string(piece));
    if (node) *node = n;
    return true;
  } catch (const YAML::Exception&) {
    return false;
  }
}

// A member of the top-level object, for the skeleton (see checkTop).
struct TopMember {
  std::string key;  // as written, with its quotes
  TextPos key_pos, value_pos;
  std::string value;  // as written; "[]" or "{}" for a list or object
};

// One walk over the file: the checking walk (no sink) or the reading walk.
struct Walk {
  Walk(TextWindow& t, const std::string& f, const InventorySink* s)
      : text(t), file(f), scan(t), sink(s) {}
  TextWindow& text;
  const std::string& file;
  JsonScanner scan;
  const InventorySink* sink;  // null on the checking walk, which decodes nothing
  // The checking walk.
  size_t records = 0;
  size_t checked = 0;  // the bytes before this offset hold no NUL and no malformed UTF-8
  bool bad_bytes = false;
  // The reading walk.
  InventoryReport report;
  SeenIds seen;
  size_t unlisted = 0;
  Status sink_failed;
};

// The checking walk looks for what parseYamlDocument refuses before parsing (a NUL, bytes that
// are not UTF-8) in the text before `offset`, the start of a record or the end: never inside a
// character.
void checkBytes(Walk& w, size_t offset) {
  if (w.sink != nullptr || offset <= w.checked) return;
  const std::string_view bytes = w.text.view(w.checked, offset);
  if (bytes.find('\0') != std::string_view::npos || !isValidUtf8(bytes)) w.bad_bytes = true;
  w.checked = offset;
}

// Decodes the record from `start` to the scanner's position, as parseInventoryYaml does, and
// hands it over. False when yaml-cpp does not read it alone, or the sink failed.
bool decodeRecord(Walk& w, const TextPos& start) {
  YAML::Node node;
  if (!yamlLoads(w.scan.from(start), &node)) return false;
  Diagnostics found;
  std::optional<Tenant> t = tenantFromNode(node, w.file, "inventory", found);
  Diagnostics record = shifted(found, w.file, start);
  if (!t) {
    unreadableRow(w.report, record, w.unlisted);
    return true;
  }
  w.report.diagnostics.append(record);  // warnings
  w.sink_failed = keepRecord(std::move(*t), {w.file, start.line, start.column}, w.seen,
                             w.report.diagnostics, w.report, *w.sink);
  return w.sink_failed.isOk();
}

// The list of tenants from its '[': each record counted (checking) or decoded (reading) as soon
// as it has been scanned, and what comes before it let go.
bool tenantList(Walk& w, int depth) {
  JsonScanner& s = w.scan;
  if (!s.take('[') || !s.skipSpace()) return false;
  if (s.take(']')) return true;
  while (true) {
    const TextPos start = s.pos();
    checkBytes(w, start.offset);
    w.text.release(start.offset);
    if (!s.value(depth + 1)) return false;
    if (w.sink == nullptr)
      ++w.records;
    else if (!decodeRecord(w, start))
      return false;
    if (!s.skipSpace()) return false;
    if (s.take(']')) return true;
    if (!s.take(',') || !s.skipSpace()) return false;
  }
}

// The top-level object from its '{': walks the first "tenants" list; every other list or object
// must be one yaml-cpp reads (checked on the checking walk; it is then only kept as "[]" or
// "{}").
bool topObject(Walk& w, std::vector<TopMember>& members) {
  JsonScanner& s = w.scan;
  if (!s.take('{') || !s.skipSpace()) return false;
  if (s.take('}')) return true;
  bool streamed = false;
  while (true) {
    TopMember m;
    m.key_pos = s.pos();
    if (!s.key(&m.key) || m.key.find('\\') != std::string::npos || !s.skipSpace())
      return false;  // (a key with escapes could spell "tenants")
    m.value_pos = s.pos();
    const char c = s.peek();
    if (c == '[' && m.key == "\"tenants\"" && !streamed) {
      streamed = true;
      if (!tenantList(w, 1)) return false;
    } else if (!s.value(1) ||
               ((c == '[' || c == '{') && w.sink == nullptr && !yamlLoads(s.from(m.value_pos)))) {
      return false;
    }
    m.value = c == '[' ? "[]" : c == '{' ? "{}" : std::string(s.from(m.value_pos));
    members.push_back(std::move(m));
    if (!s.skipSpace()) return false;
    if (s.take('}')) return true;
    if (!s.take(',') || !s.skipSpace()) return false;
  }
}

// Walks the whole file: false when it is not strict JSON as this reader takes it (or when the
// sink failed). `kind` receives the first character: '[' or '{'.
bool walkDocument(Walk& w, std::vector<TopMember>& members, char& kind) {
  JsonScanner& s = w.scan;
  if (!s.skipSpace()) return false;
  kind = s.peek();
  const bool ok = kind == '[' ? tenantList(w, 0) : kind == '{' && topObject(w, members);
  if (!ok || !s.skipSpace() || !s.atEnd()) return false;
  checkBytes(w, s.pos().offset);
  return !w.bad_bytes;
}

// The checks parseInventoryYaml makes on a top-level object, made by the same code on a
// skeleton of it: one member a line (line 2 + i is member i), lists and objects emptied. Its
// diagnostics are all at keys, and are moved back to the keys' places in the file. Ok to read
// on, an error, or nullopt when yaml-cpp does not read the skeleton (read the whole document).
std::optional<Status> checkTop(TextWindow& text, const std::string& file,
                               const std::vector<TopMember>& members) {
  std::string skeleton = "{\n";
  for (size_t i = 0; i < members.size(); ++i)
    skeleton.append(members[i].key)
        .append(": ")
        .append(members[i].value)
        .append(i + 1 < members.size() ? ",\n" : "\n");
  skeleton += "}\n";
  YAML::Node doc;
  if (!yamlLoads(skeleton, &doc)) return std::nullopt;
  Diagnostics found;
  YamlMap top(doc, file, "inventory", "inventory", found);
  top.checkKeys({"schema_version", "tenants", "partner"});
  YAML::Node list = top.get("tenants");
  if (found.hasErrors() || !list.IsDefined()) {
    Diagnostics at_keys;
    for (Diagnostic d : found.items()) {
      const size_t i = static_cast<size_t>(std::max(d.location.line - 2, 0));
      if (i < members.size())
        d.location = {file, members[i].key_pos.line, members[i].key_pos.column};
      at_keys.add(std::move(d));
    }
    addQuotedLines(text, file, at_keys);
    return Status::invalidArgument(at_keys.renderText() +
                                   (list.IsDefined() ? "" : file + ": no 'tenants' list"));
  }
  if (!list.IsSequence()) {
    const TopMember& m = *std::find_if(members.begin(), members.end(),
                                       [](const TopMember& o) { return o.key == "\"tenants\""; });
    return Status::invalidArgument(
        SourceLocation{file, m.value_pos.line, m.value_pos.column}.str() +
        ": expected a list of tenants, found " + describeNode(list));
  }
  return Status::ok();
}

// The whole document through parseInventoryYaml; the first `handed` tenants were handed over
// already. Memory: the file and its nodes, as before streaming.
Result<InventoryReport> wholeDocument(const TextWindow& window, const std::string& file,
                                      const InventorySink& sink,
                                      const std::function<void(size_t)>& records, size_t handed) {
  auto inv = [&]() -> Result<Inventory> {
    auto text = window.wholeText();
    if (!text)
      return Status::ioError("cannot read inventory file " + file + ": " + text.status().message());
    return parseInventoryYaml(*text, file);
  }();
  if (!inv) return inv.status();
  if (records) records(inv->tenants.size() + inv->skipped);
  InventoryReport report;
  report.tenants = inv->tenants.size();
  report.skipped = inv->skipped;
  report.unreadable = inv->unreadable;
  report.diagnostics = std::move(inv->diagnostics);
  for (size_t i = handed; i < inv->tenants.size(); ++i)
    if (Status s = sink(std::move(inv->tenants[i])); !s) return s;
  return report;
}

}  // namespace

Result<InventoryReport> readJsonInventory(TextWindow& text, const std::string& file,
                                          const InventorySink& sink,
                                          const std::function<void(size_t)>& records) {
  std::vector<TopMember> members;
  char kind = 0;
  size_t count = 0;
  bool strict = false;
  {
    Walk check(text, file, nullptr);
    strict = walkDocument(check, members, kind);
    count = check.records;
  }
  if (!text.status().isOk()) return inventoryReadFailed(text);
  if (!strict) return wholeDocument(text, file, sink, records, 0);
  if (kind == '{') {
    auto top = checkTop(text, file, members);
    if (!top) return wholeDocument(text, file, sink, records, 0);
    if (!top->isOk()) return *top;
  }
  if (records) records(count);

  if (!text.rewind()) return inventoryReadFailed(text);
  Walk read(text, file, &sink);
  std::vector<TopMember> again;
  const bool walked = walkDocument(read, again, kind);
  if (!read.sink_failed.isOk()) return read.sink_failed;
  if (!text.status().isOk()) return inventoryReadFailed(text);
  if (!walked) return wholeDocument(text, file, sink, {}, read.report.tenants);
  reportUnlisted(read.report, file, read.unlisted);
  if (!read.report.diagnostics.empty()) addQuotedLines(text, file, read.report.diagnostics);
  return std::move(read.report);
}

}  // namespace cspwatch::tenants
