// SPDX-License-Identifier: Apache-2.0
// Email messages as RFC 5322 text: a multipart/alternative with a plain-text and an HTML part
// (both UTF-8, quoted-printable), a subject encoded per RFC 2047 when it is not plain ASCII or is
// long, and a stable Message-ID so that a resend after a crash is recognisable.
//
// Tenant data reaches subjects and bodies, so nothing in a header may break out of it: line
// breaks and other control characters are removed from every header value, and addresses are
// checked. Written by hand because Poco 1.11's MailMessage does not expose RFC 2047 encoding
// and writes header values as given. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace cspwatch::alerts {

struct MailMessage {
  std::string from;             // "cspwatch <cspwatch@example.com>" or a bare address
  std::vector<std::string> to;  // bare addresses
  std::string subject;          // any UTF-8
  std::string text;             // the text/plain part
  std::string html;             // the text/html part
  std::string message_id;       // "<id@domain>"; see stableMessageId()
  Timestamp date;
};

// The whole message, CRLF line ends. An invalid address is an error, never a header.
Result<std::string> renderMessage(const MailMessage& message);

// RFC 2047 "B" encoded-words for a header value when it needs them (non-ASCII or longer
// than fits a line), folded so that no line exceeds 78 characters; plain text otherwise.
// `prefix_length` is what precedes the value on its first line ("Subject: " = 9).
std::string encodeHeaderValue(const std::string& utf8, size_t prefix_length);
// RFC 2045 quoted-printable with CRLF line ends and lines of at most 76 characters.
std::string quotedPrintable(const std::string& utf8);
// "<hex@domain>" derived from `key`: the same key gives the same id.
std::string stableMessageId(const std::string& key, const std::string& domain);
// Control characters (CR, LF, ...) replaced by spaces: a value that cannot start a new header.
std::string headerSafe(const std::string& value);
// A bare address we accept in To: and envelopes ("ops@example.com").
bool isMailAddress(const std::string& address);
// The bare address of "Name <addr>" or "addr"; nullopt when it is not a valid one.
std::optional<std::string> bareAddress(const std::string& mailbox_spec);

}  // namespace cspwatch::alerts
