// SPDX-License-Identifier: Apache-2.0
#include "tenants/inventory_source.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

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

namespace {

// Streaming a JSON inventory.
//
// Why hand-written: the inventory is read with yaml-cpp like every operator file, for the line
// and column of every value and one tenant decoder (tenantFromNode). But yaml-cpp can only load
// a whole document into nodes, at about 27 bytes of heap per byte of JSON (215 MB for 10,000
// tenants), and has no streaming node API; Poco's JSON parser streams but gives no positions.
// So this small scanner walks the outer structure (the top-level list or object and the list of
// tenants) and hands each tenant's text alone to yaml-cpp, moving the positions found in it to
// the tenant's place in the file. Memory: one tenant's nodes at a time, plus the Tenants.
//
// It takes strict JSON (RFC 8259) only, and a little less where yaml-cpp reads JSON otherwise (a
// line break or over kMaxKeyBytes between a key's quote and its ':'). On anything else (YAML,
// a syntax error, text parseYamlDocument refuses, nesting deeper than kMaxDepth, a piece
// yaml-cpp rejects) the whole document is read as before (parseInventoryYaml), so both ways give
// the same tenants and the same diagnostics; only the memory differs.

constexpr int kMaxDepth = 64;          // far below yaml-cpp's guard; tenants nest about 4 deep
constexpr size_t kMaxKeyBytes = 1000;  // yaml-cpp refuses an implicit key over 1024 bytes

// A place in the text with the line and column yaml-cpp gives it: 1-based, columns in bytes,
// lines ending at LF, a leading UTF-8 byte-order mark not counted.
struct TextPos {
  size_t offset = 0;
  int line = 1;
  int column = 1;
};

bool isOneOf(char c, const char* set) { return c != '\0' && std::strchr(set, c) != nullptr; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Walks strict JSON. Each method returns false when the text is not, and the caller gives up.
class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : text_(text) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_.offset = 3;
  }
  const TextPos& pos() const { return pos_; }
  bool atEnd() const { return pos_.offset >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_.offset]; }
  std::string_view from(const TextPos& start) const {
    return text_.substr(start.offset, pos_.offset - start.offset);
  }

  // Skips white space; false at a CR without LF (parseYamlDocument refuses those).
  bool skipSpace() {
    for (char c = peek(); isOneOf(c, " \t\r\n"); c = peek()) {
      if (c == '\r' && (pos_.offset + 1 == text_.size() || text_[pos_.offset + 1] != '\n'))
        return false;
      advance();
    }
    return true;
  }
  bool take(char c) {
    if (atEnd() || peek() != c) return false;
    advance();
    return true;
  }
  // One value of any kind inside `depth` lists and objects.
  bool value(int depth) {
    switch (peek()) {
      case '{':
        return container('}', depth);
      case '[':
        return container(']', depth);
      case '"':
        return string();
      case 't':
        return word("true");
      case 'f':
        return word("false");
      case 'n':
        return word("null");
      default:
        return number();
    }
  }
  // A key and its ':', on one line and short, as yaml-cpp needs; `raw` is the quoted key.
  bool key(std::string_view& raw) {
    const TextPos start = pos_;
    if (!string()) return false;
    raw = from(start);
    while (peek() == ' ' || peek() == '\t') advance();
    return take(':') && pos_.offset - start.offset <= kMaxKeyBytes;
  }

 private:
  void advance() {
    if (text_[pos_.offset++] == '\n') {
      ++pos_.line;
      pos_.column = 1;
    } else {
      ++pos_.column;
    }
  }
  bool string() {
    if (!take('"')) return false;
    while (!atEnd()) {
      const char c = peek();
      if (static_cast<unsigned char>(c) < 0x20) return false;
      advance();
      if (c == '"') return true;
      if (c != '\\') continue;
      if (take('u')) {
        for (int i = 0; i < 4; ++i)
          if (!isOneOf(peek(), "0123456789abcdefABCDEF") || !take(peek())) return false;
      } else if (!isOneOf(peek(), "\"\\/bfnrt") || !take(peek())) {
        return false;
      }
    }
    return false;
  }
  // A scalar ends at white space, ',', ']', '}' or the end: "truex" and "1x" are not JSON.
  bool endOfScalar() const { return atEnd() || isOneOf(peek(), " \t\r\n,]}"); }
  bool word(std::string_view w) {
    if (text_.substr(pos_.offset, w.size()) != w) return false;
    for (size_t i = 0; i < w.size(); ++i) advance();
    return endOfScalar();
  }
  bool digits() {
    if (!isDigit(peek())) return false;
    while (isDigit(peek())) advance();
    return true;
  }
  bool number() {
    take('-');
    if (!take('0') && !digits()) return false;
    if (take('.') && !digits()) return false;
    if (take('e') || take('E')) {
      if (!take('+')) take('-');
      if (!digits()) return false;
    }
    return endOfScalar();
  }
  bool container(char close, int depth) {
    if (depth >= kMaxDepth) return false;
    advance();  // '{' or '['
    if (!skipSpace()) return false;
    if (take(close)) return true;
    while (true) {
      std::string_view raw;
      if (close == '}' && !(key(raw) && skipSpace())) return false;
      if (!value(depth + 1) || !skipSpace()) return false;
      if (take(close)) return true;
      if (!take(',') || !skipSpace()) return false;
    }
  }

  std::string_view text_;
  TextPos pos_;
};

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

// A member of the top-level object, for the skeleton (see finishObject).
struct TopMember {
  std::string_view key;  // as written, with its quotes
  TextPos key_pos, value_pos;
  std::string_view value;  // as written; "[]" or "{}" for a list or object
};

struct Stream {
  Stream(const std::string& t, const std::string& f) : text(t), file(f), scan(t) {}
  const std::string& text;
  const std::string& file;
  JsonScanner scan;
  Inventory inv;
  std::set<std::string> seen;
  size_t unlisted = 0;
};

// Decodes the record from `start` to the scanner's position, as parseInventoryYaml does.
bool decodeRecord(Stream& st, const TextPos& start) {
  YAML::Node node;
  if (!yamlLoads(st.scan.from(start), &node)) return false;
  Diagnostics found;
  std::optional<Tenant> t = tenantFromNode(node, st.file, "inventory", found);
  Diagnostics record = shifted(found, st.file, start);
  if (t) {
    st.inv.diagnostics.append(record);  // warnings
    keep(st.inv, st.seen, std::move(*t), {st.file, start.line, start.column});
  } else {
    unreadableRow(st.inv, record, st.unlisted);
  }
  return true;
}

// The list of tenants from its '[', each decoded as soon as it has been scanned.
bool tenantList(Stream& st, int depth) {
  JsonScanner& s = st.scan;
  if (!s.take('[') || !s.skipSpace()) return false;
  if (s.take(']')) return true;
  while (true) {
    const TextPos start = s.pos();
    if (!s.value(depth + 1) || !decodeRecord(st, start) || !s.skipSpace()) return false;
    if (s.take(']')) return true;
    if (!s.take(',') || !s.skipSpace()) return false;
  }
}

// The top-level object from its '{': streams the first "tenants" list; every other list or
// object must be one yaml-cpp reads (it is then only kept as "[]" or "{}").
bool topObject(Stream& st, std::vector<TopMember>& members) {
  JsonScanner& s = st.scan;
  if (!s.take('{') || !s.skipSpace()) return false;
  if (s.take('}')) return true;
  bool streamed = false;
  while (true) {
    TopMember m;
    m.key_pos = s.pos();
    if (!s.key(m.key) || m.key.find('\\') != std::string_view::npos || !s.skipSpace())
      return false;  // (a key with escapes could spell "tenants")
    m.value_pos = s.pos();
    const char c = s.peek();
    if (c == '[' && m.key == "\"tenants\"" && !streamed) {
      streamed = true;
      if (!tenantList(st, 1)) return false;
    } else if (!s.value(1) || ((c == '[' || c == '{') && !yamlLoads(s.from(m.value_pos)))) {
      return false;
    }
    m.value = c == '[' ? "[]" : c == '{' ? "{}" : s.from(m.value_pos);
    members.push_back(m);
    if (!s.skipSpace()) return false;
    if (s.take('}')) return true;
    if (!s.take(',') || !s.skipSpace()) return false;
  }
}

Result<Inventory> finish(Stream& st) {
  reportUnlisted(st.inv, st.file, st.unlisted);
  // The text is kept for the diagnostics' source lines only when there are diagnostics.
  if (!st.inv.diagnostics.empty()) st.inv.diagnostics.addSource(st.file, st.text);
  return std::move(st.inv);
}

// The checks parseInventoryYaml makes on a top-level object, made by the same code on a
// skeleton of it: one member a line (line 2 + i is member i), lists and objects emptied. Its
// diagnostics are all at keys, and are moved back to the keys' places in the file.
std::optional<Result<Inventory>> finishObject(Stream& st, const std::vector<TopMember>& members) {
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
  YamlMap top(doc, st.file, "inventory", "inventory", found);
  top.checkKeys({"schema_version", "tenants", "partner"});
  YAML::Node list = top.get("tenants");
  if (found.hasErrors() || !list.IsDefined()) {
    Diagnostics at_keys;
    for (Diagnostic d : found.items()) {
      const size_t i = static_cast<size_t>(std::max(d.location.line - 2, 0));
      if (i < members.size())
        d.location = {st.file, members[i].key_pos.line, members[i].key_pos.column};
      at_keys.add(std::move(d));
    }
    at_keys.addSource(st.file, st.text);
    return Result<Inventory>(Status::invalidArgument(
        at_keys.renderText() + (list.IsDefined() ? "" : st.file + ": no 'tenants' list")));
  }
  if (!list.IsSequence()) {
    const TopMember& m = *std::find_if(members.begin(), members.end(),
                                       [](const TopMember& o) { return o.key == "\"tenants\""; });
    return Result<Inventory>(Status::invalidArgument(
        SourceLocation{st.file, m.value_pos.line, m.value_pos.column}.str() +
        ": expected a list of tenants, found " + describeNode(list)));
  }
  return finish(st);
}

// Reads strict JSON piece by piece; nullopt when the whole document must be read instead.
std::optional<Result<Inventory>> streamInventoryJson(const std::string& text,
                                                     const std::string& file) {
  // What parseYamlDocument refuses before parsing is left to it and its messages.
  if (text.find('\0') != std::string::npos || !isValidUtf8(text)) return std::nullopt;
  Stream st(text, file);
  JsonScanner& s = st.scan;
  std::vector<TopMember> members;
  if (!s.skipSpace()) return std::nullopt;
  const char c = s.peek();
  const bool ok = c == '[' ? tenantList(st, 0) : c == '{' && topObject(st, members);
  if (!ok || !s.skipSpace() || !s.atEnd()) return std::nullopt;
  return c == '{' ? finishObject(st, members) : finish(st);
}

}  // namespace

Result<Inventory> parseInventoryJson(const std::string& text, const std::string& file) {
  if (auto streamed = streamInventoryJson(text, file)) return std::move(*streamed);
  return parseInventoryYaml(text, file);
}
Result<Inventory> loadInventoryFile(const std::string& path) {
  auto text = readWholeFile(path);
  if (!text)
    return Status::ioError("cannot read inventory file " + path + ": " + text.status().message());
  if (endsWith(toLowerAscii(path), ".csv")) return parseInventoryCsv(*text, path);
  return parseInventoryJson(*text, path);
}

}  // namespace cspwatch::tenants
