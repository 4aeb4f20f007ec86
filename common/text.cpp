// SPDX-License-Identifier: Apache-2.0
#include "common/text.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <numeric>

#include <re2/re2.h>

namespace cspwatch {

std::string toLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

std::string replaceAll(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

size_t editDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment: Levenshtein plus adjacent transpositions ("nmae" -> "name" is one
  // edit), which is how people mistype. Three rows of (|b|+1) counters.
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::string::npos;
  const std::string lowered = toLowerAscii(word);
  for (const auto& c : candidates) {
    size_t d = editDistance(lowered, toLowerAscii(c));
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  size_t limit = std::max<size_t>(1, word.size() / 3);
  if (!best.empty() && best_distance <= limit && best_distance < word.size()) return best;
  // A shortened name ("free_mail" for "free_mail_domains"): the one candidate it begins.
  if (word.size() >= 4) {
    std::string prefixed;
    for (const auto& c : candidates) {
      if (!startsWith(toLowerAscii(c), lowered)) continue;
      if (!prefixed.empty()) return {};  // ambiguous
      prefixed = c;
    }
    return prefixed;
  }
  return {};
}

std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string m = closestMatch(word, candidates);
  return m.empty() ? std::string() : "did you mean '" + m + "'?";
}

namespace {

// The length of the well-formed UTF-8 sequence at s[i], or 0 if it is malformed.
size_t utf8SequenceAt(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return len;
}

}  // namespace

bool isValidUtf8(std::string_view s, size_t* bad_offset) {
  for (size_t i = 0; i < s.size();) {
    const size_t len = utf8SequenceAt(s, i);
    if (len == 0) {
      if (bad_offset != nullptr) *bad_offset = i;
      return false;
    }
    i += len;
  }
  return true;
}

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += (c < 0x20 && c != '\t') || c == 0x7F ? '?' : static_cast<char>(c);
      ++i;
      continue;
    }
    const size_t len = utf8SequenceAt(s, i);
    if (len == 0) {
      out += '?';
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

std::string showInvisible(std::string_view s) {
  // RE2's Unicode tables decide what is a format character (Cf): they follow Unicode's releases,
  // which a hand-written list of ranges would not.
  static const RE2 invisible(R"([\p{Cf}\p{Zl}\p{Zp}\x{80}-\x{9f}])");
  std::string out;
  re2::StringPiece text(s.data(), s.size()), match;
  size_t from = 0;
  while (from < s.size() && invisible.Match(text, from, s.size(), RE2::UNANCHORED, &match, 1)) {
    const size_t at = static_cast<size_t>(match.data() - s.data());
    out.append(s.substr(from, at - from));
    from = at + match.size();
    if (match.size() < 2) {  // not a character RE2 decoded (it never is; kept as it came)
      out.append(match.data(), match.size());
      continue;
    }
    // The match is one well-formed UTF-8 character of two to four bytes.
    const auto b = [&](size_t i) { return static_cast<unsigned char>(match[i]); };
    uint32_t cp = match.size() == 2   ? (b(0) & 0x1Fu) << 6 | (b(1) & 0x3Fu)
                  : match.size() == 3 ? (b(0) & 0x0Fu) << 12 | (b(1) & 0x3Fu) << 6 | (b(2) & 0x3Fu)
                                      : (b(0) & 0x07u) << 18 | (b(1) & 0x3Fu) << 12 |
                                            (b(2) & 0x3Fu) << 6 | (b(3) & 0x3Fu);
    char escape[16];
    if (cp > 0xFFFF)
      std::snprintf(escape, sizeof escape, "\\U%08x", static_cast<unsigned>(cp));
    else
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(cp));
    out += escape;
  }
  if (from == 0) return std::string(s);
  out.append(s.substr(from));
  return out;
}

std::string abbreviate(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "... (" + std::to_string(s.size()) + " bytes)";
}

std::string emailDomain(std::string_view address) {
  address = trim(address);
  size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size()) return {};
  return toLowerAscii(address.substr(at + 1));
}

bool looksLikeEmail(std::string_view address) {
  if (address.empty() || address != trim(address)) return false;
  if (std::count(address.begin(), address.end(), '@') != 1) return false;
  if (address.find_first_of(" \t\r\n<>,;\"") != std::string_view::npos) return false;
  size_t at = address.find('@');
  std::string_view domain = address.substr(at + 1);
  if (at == 0 || domain.empty()) return false;
  size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos;
}

std::string htmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string withoutLineBreaks(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace cspwatch
