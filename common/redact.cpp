// SPDX-License-Identifier: Apache-2.0
#include "common/redact.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <re2/re2.h>

#include "common/text.h"

namespace cspwatch {

namespace {

// A form is found through its 6-byte windows at these offsets (0, 32, 64, ...): any piece of
// a form at least kStride + kKey - 1 bytes long holds one. 6 bytes: the shortest secret.
constexpr size_t kKey = 6;
constexpr size_t kStride = 32;
// A piece of a form this long counts as the secret (an echo cut short).
constexpr size_t kMinPiece = 16;
// Server text read beyond what outsideText keeps: enough for any secret that straddles the cut.
constexpr size_t kSlack = 64 * 1024;

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool hexAt(std::string_view t, size_t at, size_t digits) {
  if (at + digits > t.size()) return false;
  for (size_t i = 0; i < digits; ++i)
    if (hexValue(t[at + i]) < 0) return false;
  return true;
}

int hexByte(std::string_view t, size_t at) { return hexValue(t[at]) * 16 + hexValue(t[at + 1]); }

// The text with every encoding a secret may come in undone, one level: %XX and %25XX (either
// case), JSON's backslash escapes and \uXXXX; a space and '+' both become '+' (a form encoder
// writes a space as '+'). from[i]..to[i] is the span of the source that gave byte i, so that
// a match in the view can be replaced in the source.
struct View {
  std::string bytes;
  std::vector<uint32_t> from, to;
};

View decode(std::string_view t, bool spans) {
  View v;
  v.bytes.reserve(t.size());
  if (spans) {
    v.from.reserve(t.size());
    v.to.reserve(t.size());
  }
  size_t i = 0;
  while (i < t.size()) {
    const size_t start = i;
    const size_t before = v.bytes.size();
    const char c = t[i];
    if (c == '%' && t.compare(i + 1, 2, "25") == 0 && hexAt(t, i + 3, 2)) {
      v.bytes += static_cast<char>(hexByte(t, i + 3));
      i += 5;
    } else if (c == '%' && hexAt(t, i + 1, 2)) {
      v.bytes += static_cast<char>(hexByte(t, i + 1));
      i += 3;
    } else if (c == '\\' && i + 1 < t.size() && t[i + 1] == 'u' && hexAt(t, i + 2, 4)) {
      appendUtf8(v.bytes, static_cast<uint32_t>(hexByte(t, i + 2) * 256 + hexByte(t, i + 4)));
      i += 6;
    } else if (c == '\\' && i + 1 < t.size() &&
               std::string_view("\"\\/").find(t[i + 1]) != std::string_view::npos) {
      v.bytes += t[i + 1];
      i += 2;
    } else {
      v.bytes += c == ' ' ? '+' : c;
      i += 1;
    }
    if (v.bytes.size() > before && v.bytes.back() == ' ') v.bytes.back() = '+';  // %20, \u0020
    if (spans)
      for (size_t k = before; k < v.bytes.size(); ++k) {
        v.from.push_back(static_cast<uint32_t>(start));
        v.to.push_back(static_cast<uint32_t>(i));
      }
  }
  return v;
}

// base64 (RFC 4648 section 4) or base64url (section 5) of `bytes`, without padding. By hand:
// `common` does not depend on Poco, and this is the only encoder it needs.
std::string base64(std::string_view bytes, bool url) {
  const char* alphabet = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int have = 0;
  for (unsigned char b : bytes) {
    bits = (bits << 8) | b;
    have += 8;
    while (have >= 6) {
      have -= 6;
      out += alphabet[(bits >> have) & 0x3F];
    }
  }
  if (have > 0) out += alphabet[(bits << (6 - have)) & 0x3F];
  return out;
}

// The part of the encoding of `secret` that stays the same wherever it sits in a longer
// encoded string, given its offset modulo 3 (`align`): character i carries bits 6i..6i+5 of
// the whole, so with `align` bytes before the secret, characters from ceil(8*align/6) on hold
// no bit of what precedes, and those before floor(8*(align+n)/6) no bit of what follows.
std::string base64Middle(const std::string& secret, size_t align, bool url) {
  const std::string encoded = base64(std::string(align, '\0') + secret, url);
  const size_t begin = (8 * align + 5) / 6;
  const size_t end = 8 * (align + secret.size()) / 6;
  return end > begin ? encoded.substr(begin, end - begin) : std::string();
}

// Every form of `secret` searched for in a decoded View: the secret as the View decodes it
// (which covers it plain, URL-encoded and JSON-escaped); as written, when that differs (a
// secret holding "%41", JSON-escaped); JSON-escaped with and without "\/" (the View undoes
// one level: this is JSON inside a URL-encoded text); and its base64 and base64url middles.
std::vector<std::string> formsOf(const std::string& secret) {
  auto spaced = [](std::string s) {  // as the View has spaces
    std::replace(s.begin(), s.end(), ' ', '+');
    return s;
  };
  const std::string json = replaceAll(replaceAll(secret, "\\", "\\\\"), "\"", "\\\"");
  std::vector<std::string> forms = {decode(secret, false).bytes, spaced(secret), spaced(json),
                                    spaced(replaceAll(json, "/", "\\/"))};
  for (bool url : {false, true})
    for (size_t align = 0; align < 3; ++align) forms.push_back(base64Middle(secret, align, url));
  std::sort(forms.begin(), forms.end());
  forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
  forms.erase(std::remove_if(forms.begin(), forms.end(),
                             [](const std::string& f) { return f.size() < kKey; }),
              forms.end());
  return forms;
}

uint64_t keyAt(std::string_view s, size_t at) {
  uint64_t k = 0;
  for (size_t i = 0; i < kKey; ++i) k = (k << 8) | static_cast<unsigned char>(s[at + i]);
  return k;
}

using Range = std::pair<size_t, size_t>;  // [begin, end) of the source text

class Registry {
 public:
  void add(const std::string& secret, bool lasting) {
    if (secret.size() < kKey || known(secret, lasting)) return;
    std::vector<std::string> forms = formsOf(secret);  // outside the lock: the slow part
    std::unique_lock<std::shared_mutex> lock(mutex_);
    if (knownLocked(secret, lasting)) return;  // registered meanwhile
    Secret& entry = secrets_[secret];
    entry.lasting = lasting;
    for (auto& f : forms) {
      const uint32_t id = next_form_++;
      // One anchor per key and form: a repetitive secret ("aaaa...") adds one, not one per
      // stride, and a text of the same bytes meets it once per window.
      std::vector<uint64_t> keys;
      for (size_t at = 0; at + kKey <= f.size(); at += kStride) {
        const uint64_t k = keyAt(f, at);
        if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
        keys.push_back(k);
        addAnchor(k, {id, static_cast<uint32_t>(at)});
      }
      entry.forms.push_back(id);
      forms_.emplace(id, std::move(f));
    }
    if (!lasting) {
      rotating_.push_back(secret);
      while (rotating_.size() > kMaxRotatingSecrets) {
        remove(rotating_.front());
        rotating_.pop_front();
      }
    }
  }

  // Appends the source ranges of `text` that hold a form of a secret.
  void find(std::string_view text, std::vector<Range>& out) const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    if (secrets_.empty() || text.size() < kKey) return;
    // Spans only once something is found: most texts hold no secret.
    View v = decode(text, false);
    const std::string& b = v.bytes;
    std::vector<std::pair<size_t, size_t>> found;  // [begin, end) in the View
    if (b.size() < kKey) return;
    constexpr uint64_t kMask = (uint64_t{1} << (8 * kKey)) - 1;
    uint64_t key = keyAt(b, 0);
    for (size_t i = 0;;) {
      size_t next = i + 1;
      const uint64_t bit = filterBit(key);
      if ((filter_[bit / 64] >> (bit % 64)) & 1)
        if (auto hit = anchors_.find(key); hit != anchors_.end())
          for (const Anchor& a : hit->second) {
            const std::string& form = forms_.at(a.form);
            // Extend the 6 equal bytes both ways as far as the text and the form agree. A
            // candidate that fails costs under 2 * kMinPiece comparisons; windows inside one
            // that is found are not looked at again: the work stays linear in the text.
            size_t tb = i, fb = a.offset, te = i + kKey, fe = a.offset + kKey;
            while (tb > 0 && fb > 0 && b[tb - 1] == form[fb - 1]) --tb, --fb;
            while (te < b.size() && fe < form.size() && b[te] == form[fe]) ++te, ++fe;
            if (fe - fb == form.size() || fe - fb >= kMinPiece) {
              found.push_back({tb, te});
              next = std::max(next, te - kKey + 1);
            }
          }
      if (next + kKey > b.size()) break;
      key = next == i + 1 ? ((key << 8) | static_cast<unsigned char>(b[i + kKey])) & kMask
                          : keyAt(b, next);
      i = next;
    }
    if (found.empty()) return;
    v = decode(text, true);
    for (const auto& [tb, te] : found) out.push_back({v.from[tb], v.to[te - 1]});
  }

  void clear() {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    secrets_.clear();
    rotating_.clear();
    forms_.clear();
    anchors_.clear();
    std::fill(filter_.begin(), filter_.end(), 0);
    stale_ = 0;
  }

  // Whether `secret` is registered; if so, it is made lasting when `lasting`, else (rotating)
  // the newest.
  bool known(const std::string& secret, bool lasting) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    return knownLocked(secret, lasting);
  }

  size_t size() const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    return secrets_.size();
  }

 private:
  struct Anchor {
    uint32_t form;
    uint32_t offset;
  };
  struct Secret {
    bool lasting = true;
    std::vector<uint32_t> forms;
  };

  // known(), with the lock held.
  bool knownLocked(const std::string& secret, bool lasting) {
    auto it = secrets_.find(secret);
    if (it == secrets_.end()) return false;
    if (!it->second.lasting) {
      rotating_.erase(std::find(rotating_.begin(), rotating_.end(), secret));
      if (lasting)
        it->second.lasting = true;
      else
        rotating_.push_back(secret);
    }
    return true;
  }

  // A bit per anchor key (a Bloom filter with one hash): most windows of a text are no key,
  // and a bit test costs less than a hash table lookup. Bits of removed keys are cleared by
  // rebuilding once as many have been removed as there are keys.
  static constexpr size_t kFilterBits = size_t{1} << 20;
  static uint64_t filterBit(uint64_t key) { return (key * 0x9E3779B97F4A7C15ULL) >> 44; }

  // With the lock held.
  void addAnchor(uint64_t key, Anchor a) {
    anchors_[key].push_back(a);
    const uint64_t bit = filterBit(key);
    filter_[bit / 64] |= uint64_t{1} << (bit % 64);
  }

  // With the lock held.
  void remove(const std::string& secret) {
    auto it = secrets_.find(secret);
    if (it == secrets_.end()) return;
    for (uint32_t id : it->second.forms) {
      const std::string& f = forms_.at(id);
      for (size_t at = 0; at + kKey <= f.size(); at += kStride) {
        auto bucket = anchors_.find(keyAt(f, at));
        if (bucket == anchors_.end()) continue;
        auto& list = bucket->second;
        list.erase(std::remove_if(list.begin(), list.end(),
                                  [id](const Anchor& a) { return a.form == id; }),
                   list.end());
        if (list.empty()) {
          anchors_.erase(bucket);
          ++stale_;
        }
      }
      forms_.erase(id);
    }
    secrets_.erase(it);
    if (stale_ > anchors_.size()) {
      std::fill(filter_.begin(), filter_.end(), 0);
      for (const auto& [key, list] : anchors_) {
        const uint64_t bit = filterBit(key);
        filter_[bit / 64] |= uint64_t{1} << (bit % 64);
      }
      stale_ = 0;
    }
  }

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Secret> secrets_;
  std::deque<std::string> rotating_;  // oldest first
  std::unordered_map<uint32_t, std::string> forms_;
  uint32_t next_form_ = 0;
  std::unordered_map<uint64_t, std::vector<Anchor>> anchors_;
  std::vector<uint64_t> filter_ = std::vector<uint64_t>(kFilterBits / 64);
  size_t stale_ = 0;  // keys removed since the filter was built
};

// Never destroyed: a log line written while the process exits (a static destructor) still
// finds it.
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

// `text` with `ranges` (overlapping or not, in any order) replaced by "[redacted]". A range
// right after an odd run of backslashes takes one with it, so that a JSON string never ends up
// with a dangling escape ("\[redacted]").
std::string replaceRanges(std::string_view text, std::vector<Range> ranges) {
  if (ranges.empty()) return std::string(text);
  for (auto& [begin, end] : ranges) {
    size_t slashes = 0;
    while (slashes < begin && text[begin - 1 - slashes] == '\\') ++slashes;
    if (slashes % 2 == 1) --begin;
  }
  std::sort(ranges.begin(), ranges.end());
  std::string out;
  size_t at = 0;
  for (size_t i = 0; i < ranges.size();) {
    size_t begin = ranges[i].first, end = ranges[i].second;
    for (++i; i < ranges.size() && ranges[i].first <= end; ++i)
      end = std::max(end, ranges[i].second);
    out.append(text.substr(at, begin - at));
    out.append(kRedacted);
    at = end;
  }
  out.append(text.substr(at));
  return out;
}

// A JWT (header "eyJ..." as every JSON object in base64url begins), or the credentials after
// "Bearer" (RFC 6750's b64token, percent-encoded '+', '/' or '=' allowed).
const RE2& shapes() {
  static const RE2* re = new RE2(  // never destroyed, as registry()
      "(eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*)"
      "|\\b(?i:bearer)(?:[ \\t]|%20|\\+)+((?:[A-Za-z0-9._~+/-]|%2[BbFf]|%3[Dd])+=*)");
  return *re;
}

// "Bearer realm=..." or "Bearer authentication" is prose, not a token.
bool looksLikeToken(std::string_view t) {
  while (!t.empty() && t.back() == '=') t.remove_suffix(1);
  if (t.size() >= 16) return true;
  return std::any_of(t.begin(), t.end(),
                     [](char c) { return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')); });
}

std::vector<Range> shapeRanges(std::string_view text) {
  std::vector<Range> out;
  const RE2& re = shapes();
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece groups[3];
  size_t at = 0;
  while (at < text.size() && re.Match(input, at, text.size(), RE2::UNANCHORED, groups, 3)) {
    const re2::StringPiece& hit = groups[1].data() != nullptr ? groups[1] : groups[2];
    if (groups[1].data() != nullptr || looksLikeToken({hit.data(), hit.size()})) {
      const size_t begin = static_cast<size_t>(hit.data() - text.data());
      out.push_back({begin, begin + hit.size()});
    }
    at =
        static_cast<size_t>(groups[0].data() - text.data()) + std::max<size_t>(groups[0].size(), 1);
  }
  return out;
}

}  // namespace

void registerSecret(const std::string& secret) { registry().add(secret, true); }

void registerRotatingSecret(const std::string& secret) { registry().add(secret, false); }

std::string redactSecrets(std::string_view text) {
  std::vector<Range> ranges;
  registry().find(text, ranges);
  const std::string known = replaceRanges(text, std::move(ranges));
  return replaceRanges(known, shapeRanges(known));
}

std::string outsideText(std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes + kSlack) text = text.substr(0, max_bytes + kSlack);
  const std::string redacted = redactSecrets(text);
  // One line: every run of spaces and control characters (line breaks, tabs, ESC) one space.
  std::string line;
  bool gap = false;
  for (char c : redacted) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      gap = !line.empty();
      continue;
    }
    if (gap) line += ' ';
    gap = false;
    line += c;
  }
  if (!isValidUtf8(line)) line = printable(line);
  if (line.size() <= max_bytes) return line;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  // Not inside a "[redacted]": the cut would look like a piece of something.
  const size_t marker = line.rfind(kRedacted, cut);
  if (marker != std::string::npos && marker + kRedacted.size() > cut) cut = marker;
  while (cut > 0 && line[cut - 1] == ' ') --cut;
  return line.substr(0, cut) + "\xE2\x80\xA6(cut)";
}

void forgetSecretsForTesting() { registry().clear(); }

size_t registeredSecretCount() { return registry().size(); }

}  // namespace cspwatch
