// SPDX-License-Identifier: Apache-2.0
// Reads the head of an HTTP/1.0 or 1.1 request (its request line and header fields) from the
// bytes a connection received. Pure functions; thread-safe.
//
// Written by hand, not with Poco::Net::HTTPRequest::read, because the endpoint bounds the total
// time a request may take to arrive (http_server.h): it must receive the bytes itself and know
// where a head ends before anything parses it, while Poco reads from a blocking stream and only
// bounds each receive. Poco's reader is also lenient where this one is strict (it skips lines
// without a colon, unfolds continuation lines, decodes RFC 2047 words and takes a bare LF as a
// line end), so the two could disagree about where a request ends.
//
// Strict, after RFC 9112: lines end in CRLF; the request line is METHOD SP TARGET SP
// HTTP/1.0|HTTP/1.1 with METHOD a token and TARGET an origin-form path ("/..." in visible
// ASCII); a field is NAME ":" OWS VALUE OWS with NAME a token and no space before the colon;
// no continuation lines; HTTP/1.1 needs exactly one Host; Content-Length is decimal and, when
// repeated, the same each time. At most kMaxHeadBytes bytes and kMaxHeaderFields fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cspwatch::daemon {

inline constexpr std::size_t kMaxHeadBytes = 8 * 1024;  // request line, fields, blank line
inline constexpr std::size_t kMaxHeaderFields = 64;

struct RequestHead {
  std::string method;                                       // as sent (methods are case-sensitive)
  std::string target;                                       // as sent: path and query, not decoded
  std::string path;                                         // target up to its '?'
  int minor_version = 1;                                    // HTTP/1.<minor_version>: 0 or 1
  std::vector<std::pair<std::string, std::string>> fields;  // names lower-case, values trimmed
  std::optional<std::uint64_t> content_length;              // absent: no body
  bool transfer_encoding = false;  // a Transfer-Encoding field (chunked bodies are not read)
  bool keep_alive = false;         // the client offers to send another request after this one
  bool expect_continue = false;    // "Expect: 100-continue"

  // The value of the first field named `lower_case_name`, or nullptr.
  const std::string* field(std::string_view lower_case_name) const;
};

// Where the head ends in `received` (bytes from the start of a request): the offset just past
// its blank line, or 0 while it has not arrived. A LF without its CR ends the head there too (a
// malformed head: parseRequestHead refuses it). `scanned` is how far an earlier call looked;
// the search resumes from there, so a head arriving one byte at a time costs linear time, and
// `scanned` is updated.
std::size_t findHeadEnd(std::string_view received, std::size_t& scanned);

struct HeadParse {
  RequestHead head;
  int error_status = 0;  // 0: parsed; else the HTTP status to answer (400, 431, 505)
  std::string error;     // why, for the log; never echoes the request
};

// `head`: the bytes up to and including the blank line (findHeadEnd), at most kMaxHeadBytes.
HeadParse parseRequestHead(std::string_view head);

}  // namespace cspwatch::daemon
