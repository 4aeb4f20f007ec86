// SPDX-License-Identifier: Apache-2.0
#include "daemon/http_request_reader.h"

#include <algorithm>
#include <cctype>

#include "common/text.h"

namespace cspwatch::daemon {

namespace {

// RFC 9110 5.6.2: tchar.
bool isTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return isTokenChar(static_cast<unsigned char>(c));
  });
}

// RFC 9110 5.5: field-vchar, SP and HTAB (obs-text included, as the RFC allows).
bool isFieldValue(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
  });
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether the comma-separated list `value` holds `token` (any case), as Connection does.
bool listHas(std::string_view value, std::string_view token) {
  for (const std::string& item : split(value, ','))
    if (toLowerAscii(trimOws(item)) == token) return true;
  return false;
}

HeadParse fail(int status, std::string why) {
  HeadParse p;
  p.error_status = status;
  p.error = std::move(why);
  return p;
}

std::optional<std::uint64_t> parseLength(std::string_view s) {
  // 18 digits cannot overflow; any such length is far past kMaxRequestBody anyway.
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

// "METHOD SP TARGET SP HTTP/1.x" into `head`; 0 or the status to answer.
int parseRequestLine(std::string_view line, RequestHead& head, std::string& why) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    why = "the request line is not METHOD TARGET VERSION";
    return 400;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method)) {
    why = "the method is not a token";
    return 400;
  }
  const bool visible = std::all_of(target.begin(), target.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (target.empty() || target.front() != '/' || !visible) {
    why = "the target is not a path";
    return 400;
  }
  if (version == "HTTP/1.1" || version == "HTTP/1.0") {
    head.minor_version = version.back() - '0';
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
             std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
             std::isdigit(static_cast<unsigned char>(version[7]))) {
    why = "HTTP version " + std::string(version.substr(5)) + " is not served";
    return 505;
  } else {
    why = "no HTTP version";
    return 400;
  }
  head.method = std::string(method);
  head.target = std::string(target);
  head.path = std::string(target.substr(0, target.find('?')));
  return 0;
}

}  // namespace

const std::string* RequestHead::field(std::string_view lower_case_name) const {
  for (const auto& [name, value] : fields)
    if (name == lower_case_name) return &value;
  return nullptr;
}

std::size_t findHeadEnd(std::string_view received, std::size_t& scanned) {
  // Each LF is looked at once, with what precedes it: a search resumed later finds the same.
  for (std::size_t i = received.find('\n', scanned); i != std::string_view::npos;
       i = received.find('\n', i + 1)) {
    // A bare LF ends the head at once: it is malformed (parseRequestHead refuses it), and
    // waiting for a CRLF CRLF that such a client never sends would only waste its deadline.
    if (i == 0 || received[i - 1] != '\r') return scanned = i + 1;
    if (i >= 3 && received.substr(i - 3, 4) == "\r\n\r\n") return scanned = i + 1;
  }
  scanned = received.size();
  return 0;
}

HeadParse parseRequestHead(std::string_view head) {
  if (head.size() > kMaxHeadBytes) return fail(431, "the request head is too large");
  if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n")
    return fail(400, "the request head does not end in a blank line");
  head.remove_suffix(2);  // the blank line: every line left ends in CRLF

  HeadParse p;
  RequestHead& h = p.head;
  bool first = true;
  int hosts = 0;
  std::optional<std::string_view> length;
  while (!head.empty()) {
    const std::size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);  // eol is found: every line ends in CRLF
    head.remove_prefix(eol + 2);
    // A lone CR or LF inside a line would be read as a line end by some other parser.
    if (line.find_first_of("\r\n") != std::string_view::npos || line.find('\0') != line.npos)
      return fail(400, "a line holds a bare CR, LF or NUL");
    if (first) {
      first = false;
      if (const int status = parseRequestLine(line, h, p.error); status != 0)
        return fail(status, p.error);
      continue;
    }
    if (h.fields.size() == kMaxHeaderFields) return fail(431, "too many header fields");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail(400, "a header line has no colon");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trimOws(line.substr(colon + 1));
    // A name that is not a token also catches a continuation line (it starts with a space)
    // and a space before the colon, which RFC 9112 says must be refused.
    if (!isToken(name)) return fail(400, "a header name is not a token");
    if (!isFieldValue(value)) return fail(400, "a header value holds a control character");
    std::string lower = toLowerAscii(name);
    if (lower == "host") ++hosts;
    if (lower == "content-length") {
      if (length && *length != value) return fail(400, "Content-Length repeated, differently");
      length = value;
    }
    if (lower == "transfer-encoding") h.transfer_encoding = true;
    h.fields.emplace_back(std::move(lower), std::string(value));
  }
  if (h.minor_version == 1 && hosts != 1) return fail(400, "an HTTP/1.1 request needs one Host");
  if (hosts > 1) return fail(400, "Host repeated");
  if (length) {
    h.content_length = parseLength(*length);
    if (!h.content_length) return fail(400, "Content-Length is not a decimal number");
  }
  bool close = false, keep = false;
  for (const auto& [name, value] : h.fields) {
    if (name == "expect" && toLowerAscii(value) == "100-continue") h.expect_continue = true;
    if (name == "connection") {
      close = close || listHas(value, "close");
      keep = keep || listHas(value, "keep-alive");
    }
  }
  h.keep_alive = !close && (h.minor_version == 1 || keep);
  return p;
}

}  // namespace cspwatch::daemon
