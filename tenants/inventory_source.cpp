// SPDX-License-Identifier: Apache-2.0
#include "tenants/inventory_source.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_set>

#include "common/file_util.h"
#include "common/guid.h"
#include "common/text.h"
#include "common/text_position.h"
#include "common/yaml_util.h"
#include "tenants/csv_reader.h"
#include "tenants/tenant_json.h"
#include "tenants/text_window.h"

namespace cspwatch::tenants {

namespace {

const std::vector<std::string> kCsvColumns = {"tenant_id",    "domain",        "name",
                                              "admin_email",  "billing_email", "technical_email",
                                              "onboarded_at", "tags"};

// The tenant ids read so far, to find duplicates: the one thing a reader keeps for every tenant.
// So a GUID (every id that reads is one, lower-case) is kept as its 16 bytes, about 40 bytes a
// tenant with the table's own, rather than as a string in a set, about 110.
class SeenIds {
 public:
  // False when `id` was seen before.
  bool insert(const std::string& id) {
    if (auto key = keyOf(id)) return guids_.insert(*key).second;
    return others_.insert(id).second;
  }

 private:
  struct Key {
    uint64_t high = 0, low = 0;
    bool operator==(const Key& o) const { return high == o.high && low == o.low; }
  };
  struct Hash {
    size_t operator()(const Key& k) const noexcept {
      // splitmix64's finaliser: ids that differ in a few digits land far apart.
      uint64_t x = k.high ^ (k.low * 0x9E3779B97F4A7C15ULL);
      x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
      x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
      return static_cast<size_t>(x ^ (x >> 31));
    }
  };
  static std::optional<Key> keyOf(const std::string& id) {
    if (!isGuid(id)) return std::nullopt;
    Key k;
    int digits = 0;
    for (char c : id) {
      if (c == '-') continue;
      const bool digit = c >= '0' && c <= '9', lower = c >= 'a' && c <= 'f';
      if (!digit && !lower) return std::nullopt;  // upper case: kept as a string, exactly
      uint64_t& half = digits++ < 16 ? k.high : k.low;
      half = half << 4 | static_cast<uint64_t>(digit ? c - '0' : c - 'a' + 10);
    }
    return k;
  }

  std::unordered_set<Key, Hash> guids_;
  std::unordered_set<std::string> others_;
};

// Hands `t` to `sink` unless its id was seen; reports a duplicate at `loc` in `diags`.
Status keep(Tenant t, const SourceLocation& loc, SeenIds& seen, Diagnostics& diags,
            InventoryReport& report, const InventorySink& sink) {
  if (!seen.insert(t.id)) {
    diags.error("inventory.duplicate-tenant", loc, "tenant " + t.id + " appears more than once",
                "the first entry is kept");
    ++report.skipped;
    return Status::ok();
  }
  t.addSource(kSourceInventory);
  ++report.tenants;
  return sink(std::move(t));
}

// At most this many unreadable rows or records are listed with their diagnostics; the rest
// are counted. A million bad rows must not become a million messages.
constexpr size_t kMaxListed = 100;

// Lists one unreadable row's or record's diagnostics, or counts it once kMaxListed are listed.
void unreadableRow(InventoryReport& report, const Diagnostics& row, size_t& unlisted) {
  ++report.skipped;
  ++report.unreadable;
  if (report.unreadable <= kMaxListed)
    for (const auto& d : row.items()) report.diagnostics.add(d);
  else
    ++unlisted;
}

void reportUnlisted(InventoryReport& report, const std::string& file, size_t unlisted) {
  if (unlisted > 0)
    report.diagnostics.add({Severity::kNote,
                            "inventory.bad-row",
                            {file, 0, 0},
                            "",
                            std::to_string(unlisted) + " more unreadable row(s) were skipped",
                            "only the first " + std::to_string(kMaxListed) + " are listed"});
}

Status readFailed(const TextWindow& text) {
  return Status::ioError("cannot read inventory file " + text.path() + ": " +
                         text.status().message());
}

// Diagnostics quote the line they point at from the file's text (Diagnostics::addSource). A
// file read a piece at a time is not held, so at the end the lines that the shown diagnostics
// quote are read again into a text with the same line numbers, every other line left empty:
// one byte a line up to the last line quoted, and only when there are diagnostics.
void addQuotedLines(TextWindow& text, const std::string& file, Diagnostics& diags) {
  std::set<int> wanted;
  size_t shown = 0;
  for (const auto& d : diags.items()) {
    if (shown++ == Diagnostics::kMaxRendered) break;
    if (d.location.file == file && d.location.line > 0) wanted.insert(d.location.line);
  }
  if (wanted.empty() || !text.rewind()) return;  // quoting is a courtesy; the diagnostics stand
  std::string lines;
  int line = 1;
  bool quoted = wanted.count(1) > 0;
  for (size_t pos = 0; line <= *wanted.rbegin() && text.has(pos); ++pos) {
    text.release(pos);
    const char c = text.at(pos);
    if (c != '\n' && c != '\r') {
      if (quoted) lines += c;
      continue;
    }
    // A line ends at LF, CRLF or a lone CR, as Diagnostics counts lines.
    if (c == '\r' && text.has(pos + 1) && text.at(pos + 1) == '\n') ++pos;
    lines += '\n';
    quoted = wanted.count(++line) > 0;
  }
  diags.addSource(file, std::move(lines));
}

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

// A CSV inventory, record by record.
//
// The diagnostics come in the order they always had when the whole file was split into records
// before any row was read: every syntax error first, then the header's warnings, then each row's
// problems; the first kMaxListed unreadable rows of that order are listed. So a reader that
// meets them in file order keeps the first kMaxListed syntax errors and the rows' problems that
// can still be listed, and puts them in that order at the end.
Result<InventoryReport> streamCsv(TextWindow& text, const std::string& file,
                                  const InventorySink& sink,
                                  const std::function<void(size_t)>& records) {
  if (text.has(1) && (text.view(0, 2) == "\xFF\xFE" || text.view(0, 2) == "\xFE\xFF"))
    return Status::invalidArgument(
        file + ":1:1: the file is UTF-16 (Excel's \"Unicode text\"); save it as CSV UTF-8");
  if (records) {
    // A first pass counts the rows for a progress bar; splitting CSV costs little beside a scan.
    CsvReader counter(text, file);
    CsvRecord rec;
    size_t rows = 0;
    while (true) {
      Diagnostics bad;
      const bool got = counter.next(rec, bad);
      rows += bad.items().size() + (got ? 1 : 0);
      if (!got) break;
    }
    if (!text.status().isOk()) return readFailed(text);
    records(rows > 0 ? rows - 1 : 0);  // the header is not a row
    if (!text.rewind()) return readFailed(text);
  }

  InventoryReport report;
  CsvReader reader(text, file);
  size_t syntax_errors = 0;
  Diagnostics syntax;  // the first kMaxListed
  auto next = [&](CsvRecord& rec) {
    Diagnostics found;
    const bool got = reader.next(rec, found);
    for (const auto& d : found.items())
      if (++syntax_errors <= kMaxListed) syntax.add(d);
    return got;
  };

  CsvRecord header;
  if (!next(header)) {
    if (!text.status().isOk()) return readFailed(text);
    return Status::invalidArgument(SourceLocation{file, 1, 1}.str() +
                                   ": no header row; expected columns " + join(kCsvColumns, ","));
  }
  // Map header names to column indexes.
  Diagnostics header_warnings;
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    std::string name = toLowerAscii(trim(header.fields[i].value));
    SourceLocation loc{file, header.fields[i].line, header.fields[i].column};
    if (std::find(kCsvColumns.begin(), kCsvColumns.end(), name) == kCsvColumns.end()) {
      header_warnings.warning("inventory.unknown-column", loc,
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

  // Each row's problems: an unreadable row with its number among the unreadable rows, or a
  // duplicate (0), which is always listed.
  std::vector<std::pair<size_t, Diagnostics>> problems;
  size_t bad_rows = 0;
  auto unreadable = [&](Diagnostics&& row) {
    if (++bad_rows <= kMaxListed) problems.emplace_back(bad_rows, std::move(row));
  };
  SeenIds seen;
  CsvRecord rec;
  for (size_t r = 1; next(rec); ++r) {
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
      unreadable(std::move(row));
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
      unreadable(std::move(row));
      continue;
    }
    Diagnostics duplicate;
    if (Status s = keep(std::move(t), {file, rec.line, 1}, seen, duplicate, report, sink); !s)
      return s;
    if (!duplicate.empty()) problems.emplace_back(0, std::move(duplicate));
  }
  if (!text.status().isOk()) return readFailed(text);

  report.unreadable = syntax_errors + bad_rows;
  report.skipped += report.unreadable;
  size_t listed = std::min(syntax_errors, kMaxListed);
  report.diagnostics.append(syntax);
  report.diagnostics.append(header_warnings);
  for (const auto& [number, row] : problems) {
    if (number > 0 && syntax_errors + number > kMaxListed) continue;
    report.diagnostics.append(row);
    if (number > 0) ++listed;
  }
  reportUnlisted(report, file, report.unreadable - listed);
  if (!report.diagnostics.empty()) addQuotedLines(text, file, report.diagnostics);
  return report;
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
      (void)keep(std::move(*t), loc, seen, report.diagnostics, report, add);
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

namespace {

// Streaming a JSON inventory.
//
// Why hand-written: the inventory is read with yaml-cpp like every operator file, for the line
// and column of every value and one tenant decoder (tenantFromNode). But yaml-cpp can only load
// a whole document into nodes, at about 27 bytes of heap per byte of JSON (215 MB for 10,000
// tenants), and has no streaming node API; Poco's JSON parser streams but gives no positions.
// So this small scanner walks the outer structure (the top-level list or object and the list of
// tenants) and hands each tenant's text alone to yaml-cpp, moving the positions found in it to
// the tenant's place in the file. It reads the file through a TextWindow, which keeps only the
// record being read: memory is one tenant's text and nodes, whatever the file's length.
//
// It takes strict JSON (RFC 8259) only, and a little less where yaml-cpp reads JSON otherwise (a
// line break or over kMaxKeyBytes between a key's quote and its ':'). On anything else (YAML,
// a syntax error, text parseYamlDocument refuses, nesting deeper than kMaxDepth, a piece
// yaml-cpp rejects) the whole document is read as before (parseInventoryYaml), so both ways give
// the same tenants and the same diagnostics; only the memory differs.
//
// Tenants are handed over as they are read, so whether the file is strict JSON must be known
// before the first one: a first walk checks the whole file (and counts the records) without
// decoding, a second reads the records. A record yaml-cpp refuses on its own (none is known; the
// safety net of the design), or a file changed between the walks, is found only on the second
// walk: then the whole document is read and the tenants not yet handed over come from it, which
// gives the same tenants as if it had been read whole from the start.

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
  explicit JsonScanner(TextWindow& text) : text_(text) {
    if (text_.has(2) && text_.view(0, 3) == "\xEF\xBB\xBF") pos_.offset = 3;
  }
  const TextPos& pos() const { return pos_; }
  bool atEnd() { return !text_.has(pos_.offset); }
  char peek() { return atEnd() ? '\0' : text_.at(pos_.offset); }
  // The text from `start` to here; valid until the scanner moves on.
  std::string_view from(const TextPos& start) const {
    return text_.view(start.offset, pos_.offset);
  }

  // Skips white space; false at a CR without LF (parseYamlDocument refuses those).
  bool skipSpace() {
    for (char c = peek(); isOneOf(c, " \t\r\n"); c = peek()) {
      if (c == '\r' && !(text_.has(pos_.offset + 1) && text_.at(pos_.offset + 1) == '\n'))
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
  // A key and its ':', on one line and short, as yaml-cpp needs; `raw` (may be null) receives
  // the quoted key.
  bool key(std::string* raw) {
    const TextPos start = pos_;
    if (!string()) return false;
    const size_t end = pos_.offset;
    while (peek() == ' ' || peek() == '\t') advance();
    if (!take(':') || pos_.offset - start.offset > kMaxKeyBytes) return false;
    if (raw != nullptr) raw->assign(text_.view(start.offset, end));
    return true;
  }

 private:
  // REQUIRES: the byte at the position was loaded (peek() or atEnd() said so).
  void advance() {
    const char c = text_.at(pos_.offset++);
    if (endsLine(c, peek())) {
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
  bool endOfScalar() { return atEnd() || isOneOf(peek(), " \t\r\n,]}"); }
  bool word(std::string_view w) {
    for (size_t i = 0; i < w.size(); ++i)
      if (!text_.has(pos_.offset + i) || text_.at(pos_.offset + i) != w[i]) return false;
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
      if (close == '}' && !(key(nullptr) && skipSpace())) return false;
      if (!value(depth + 1) || !skipSpace()) return false;
      if (take(close)) return true;
      if (!take(',') || !skipSpace()) return false;
    }
  }

  TextWindow& text_;
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
  w.sink_failed = keep(std::move(*t), {w.file, start.line, start.column}, w.seen,
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

Result<InventoryReport> streamJson(TextWindow& text, const std::string& file,
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
  if (!text.status().isOk()) return readFailed(text);
  if (!strict) return wholeDocument(text, file, sink, records, 0);
  if (kind == '{') {
    auto top = checkTop(text, file, members);
    if (!top) return wholeDocument(text, file, sink, records, 0);
    if (!top->isOk()) return *top;
  }
  if (records) records(count);

  if (!text.rewind()) return readFailed(text);
  Walk read(text, file, &sink);
  std::vector<TopMember> again;
  const bool walked = walkDocument(read, again, kind);
  if (!read.sink_failed.isOk()) return read.sink_failed;
  if (!text.status().isOk()) return readFailed(text);
  if (!walked) return wholeDocument(text, file, sink, {}, read.report.tenants);
  reportUnlisted(read.report, file, read.unlisted);
  if (!read.report.diagnostics.empty()) addQuotedLines(text, file, read.report.diagnostics);
  return std::move(read.report);
}

}  // namespace

Result<InventoryReport> readInventory(TextWindow& text, const std::string& file, InventoryForm form,
                                      const InventorySink& sink,
                                      const std::function<void(size_t)>& records) {
  return form == InventoryForm::kCsv ? streamCsv(text, file, sink, records)
                                     : streamJson(text, file, sink, records);
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
    return streamCsv(window, file, sink, {});
  });
}

Result<Inventory> parseInventoryJson(const std::string& text, const std::string& file) {
  return collect([&](const InventorySink& sink) {
    TextWindow window(text);
    return streamJson(window, file, sink, {});
  });
}

}  // namespace cspwatch::tenants
