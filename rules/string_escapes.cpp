// SPDX-License-Identifier: Apache-2.0
#include "rules/string_escapes.h"

#include <cstdio>

#include "common/text.h"

namespace cspwatch::rules {

namespace {

// A refused escape, thrown inside this file only and returned as a ParseError.
struct Refused {
  ParseError error;
};

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Decoder {
 public:
  Decoder(const std::string& s, size_t& i) : s_(s), i_(i), at_(static_cast<int>(i)) {}

  // The escape at i_ (its backslash) appended to `out`, and i_ moved past it.
  void escape(std::string& out) {
    if (i_ + 1 >= s_.size()) throw Refused{{at_, "string ends in a lone '\\'", ""}};
    const char e = s_[i_ + 1];
    i_ += 2;
    static const std::string kLetters = "abfnrtv\\'\"`?";
    static const std::string kMeanings = "\a\b\f\n\r\t\v\\'\"`?";
    if (const size_t k = kLetters.find(e); k != std::string::npos) {
      out += kMeanings[k];
      return;
    }
    if (e >= '0' && e <= '7') {
      appendUtf8(out, octal());
      return;
    }
    const int digits = e == 'x' || e == 'X' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
    if (digits == 0)
      throw Refused{{at_, std::string("unknown escape '\\") + e + "'",
                     "write '\\\\' for a backslash, or use a raw string r'...'"}};
    appendUtf8(out, codePoint(e, digits));
  }

 private:
  // \NNN, i_ just past its first digit: exactly three octal digits, at most \377.
  unsigned octal() {
    unsigned v = static_cast<unsigned>(s_[i_ - 1] - '0');
    for (int k = 0; k < 2; ++k, ++i_) {
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '7')
        throw Refused{{at_, "an octal escape has exactly three digits",
                       "as in '\\101' for 'A'; write '\\\\' for a backslash"}};
      v = v * 8 + static_cast<unsigned>(s_[i_] - '0');
    }
    if (v > 0377)
      throw Refused{{at_, "octal escape '" + s_.substr(at_, 4) + "' is over '\\377'",
                     "octal escapes stand for U+0000 to U+00FF; write others as '\\uHHHH'"}};
    return v;
  }

  // \xHH, \uHHHH or \UHHHHHHHH, i_ just past the letter: a code point that is not a UTF-16
  // surrogate and is at most U+10FFFF.
  unsigned codePoint(char letter, int digits) {
    unsigned v = 0;
    for (int k = 0; k < digits; ++k, ++i_) {
      const int h = i_ < s_.size() ? hexDigit(s_[i_]) : -1;
      if (h < 0)
        throw Refused{
            {at_, std::string("'\\") + letter + "' needs " + std::to_string(digits) + " hex digits",
             letter == 'U'   ? "as in '\\U0001F600'"
             : letter == 'u' ? "as in '\\u00e9' for 'é'"
                             : "as in '\\x41' for 'A'"}};
      v = v * 16 + static_cast<unsigned>(h);
    }
    const std::string written = s_.substr(at_, i_ - at_);
    if (v >= 0xD800 && v <= 0xDFFF)
      throw Refused{
          {at_, "'" + written + "' is a UTF-16 surrogate, not a character", surrogateHint(v)}};
    if (v > 0x10FFFF)
      throw Refused{{at_, "'" + written + "' is past U+10FFFF, the last Unicode code point", ""}};
    return v;
  }

  // How to write the character a surrogate (pair) was meant for; i_ is just past `high`.
  std::string surrogateHint(unsigned high) const {
    int low = -1;
    if (high <= 0xDBFF && s_.compare(i_, 2, "\\u") == 0 && i_ + 6 <= s_.size()) {
      low = 0;
      for (size_t k = i_ + 2; k < i_ + 6 && low >= 0; ++k)
        low = hexDigit(s_[k]) < 0 ? -1 : low * 16 + hexDigit(s_[k]);
    }
    if (low < 0xDC00 || low > 0xDFFF)
      return "write a character past U+FFFF as '\\U' and its 8-digit code point";
    char pair[16];
    std::snprintf(pair, sizeof pair, "\\U%08X",
                  0x10000 + ((high - 0xD800) << 10) + (static_cast<unsigned>(low) - 0xDC00));
    return std::string("write the pair as one code point: '") + pair + "'";
  }

  const std::string& s_;
  size_t& i_;
  const int at_;  // the backslash
};

}  // namespace

std::optional<ParseError> decodeEscape(const std::string& text, size_t& at, std::string& out) {
  try {
    Decoder(text, at).escape(out);
    return std::nullopt;
  } catch (const Refused& r) {
    return r.error;
  }
}

}  // namespace cspwatch::rules
