// SPDX-License-Identifier: Apache-2.0
#include "alerts/mail_message.h"

#include <cstdio>
#include <ctime>

#include "alerts/text_util.h"
#include "common/text.h"

namespace cspwatch::alerts {

namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// A bare address: one '@', no spaces, no control or bracket characters.
bool validAddress(const std::string& a) {
  return looksLikeEmail(a) && a.find_first_of("()[]\\:") == std::string::npos;
}

// "Name <addr>" or "addr"; the display name is encoded like any header text.
Result<std::string> mailbox(const std::string& spec) {
  const size_t lt = spec.rfind('<');
  if (lt == std::string::npos) {
    const std::string a(trim(spec));
    if (!validAddress(a))
      return Status::invalidArgument("not an email address: '" + headerSafe(a) + "'");
    return a;
  }
  const size_t gt = spec.find('>', lt);
  const std::string a =
      spec.substr(lt + 1, gt == std::string::npos ? std::string::npos : gt - lt - 1);
  if (gt == std::string::npos || !validAddress(a))
    return Status::invalidArgument("not an email address: '" + headerSafe(spec) + "'");
  const std::string name(trim(spec.substr(0, lt)));
  if (name.empty()) return "<" + a + ">";
  return encodeHeaderValue(name, 6) + " <" + a + ">";
}

std::string rfc5322Date(Timestamp t) {
  const std::time_t secs = static_cast<std::time_t>(toUnixSeconds(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

}  // namespace

std::string headerSafe(const std::string& value) {
  std::string out = value;
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

std::string encodeHeaderValue(const std::string& utf8, size_t prefix_length) {
  const std::string safe = headerSafe(utf8);
  bool ascii = true;
  for (unsigned char c : safe) ascii = ascii && c < 0x80;
  if (ascii && prefix_length + safe.size() <= 78 && safe.find("=?") == std::string::npos)
    return safe;
  // Encoded-words of at most 75 characters: "=?UTF-8?B?" + base64 + "?=" leaves 63 for base64,
  // i.e. 45 bytes of text, never splitting a UTF-8 sequence.
  std::string out;
  size_t i = 0;
  bool first = true;
  while (i < safe.size()) {
    // The first word shares its line with the header name.
    const size_t room =
        first ? (prefix_length + 12 < 78 ? (78 - prefix_length - 12) / 4 * 3 : 3) : 45;
    size_t n = std::min<size_t>(std::min<size_t>(45, room), safe.size() - i);
    while (n > 0 && i + n < safe.size() && (static_cast<unsigned char>(safe[i + n]) & 0xC0) == 0x80)
      --n;
    if (n == 0) {  // never split a character, and always make progress: take one whole one
      n = 1;
      while (i + n < safe.size() && (static_cast<unsigned char>(safe[i + n]) & 0xC0) == 0x80) ++n;
    }
    if (!first) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(safe.substr(i, n)) + "?=";
    first = false;
    i += n;
  }
  return out;
}

std::string quotedPrintable(const std::string& utf8) {
  std::string out, line;
  auto flush = [&](bool hard) {
    out += line;
    out += hard ? "\r\n" : "=\r\n";
    line.clear();
  };
  for (size_t i = 0; i < utf8.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c == '\n') {
      // A space or tab before a line break must be encoded to survive transport.
      if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
        char buf[4];
        std::snprintf(buf, sizeof buf, "=%02X", static_cast<unsigned char>(line.back()));
        line.pop_back();
        line += buf;
      }
      flush(true);
      continue;
    }
    if (c == '\r') continue;
    std::string piece;
    if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      piece = std::string(1, static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "=%02X", c);
      piece = buf;
    }
    if (line.size() + piece.size() > 75) flush(false);
    line += piece;
  }
  if (!line.empty()) {
    if (line.back() == ' ' || line.back() == '\t') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "=%02X", static_cast<unsigned char>(line.back()));
      line.pop_back();
      line += buf;
    }
    out += line;
  }
  return out;
}

std::string stableMessageId(const std::string& key, const std::string& domain) {
  return "<" + hex(fnv1a(key)) + "." + hex(fnv1a(key + "#2")) + "@" + headerSafe(domain) + ">";
}

Result<std::string> renderMessage(const MailMessage& m) {
  auto from = mailbox(m.from);
  if (!from) return from.status();
  if (m.to.empty()) return Status::invalidArgument("a message needs at least one recipient");
  std::string to;
  for (const auto& r : m.to) {
    auto box = mailbox(r);
    if (!box) return box.status();
    to += (to.empty() ? "" : ",\r\n ") + *box;
  }
  if (m.message_id.size() < 5 || m.message_id.front() != '<' || m.message_id.back() != '>' ||
      headerSafe(m.message_id) != m.message_id)
    return Status::invalidArgument("bad Message-ID '" + headerSafe(m.message_id) + "'");
  const std::string boundary = "=_cspwatch_" + hex(fnv1a(m.message_id + m.text + m.html));
  std::string out;
  out += "From: " + *from + "\r\n";
  out += "To: " + to + "\r\n";
  // A subject names tenants, whose names are not ours: invisible characters are shown escaped
  // (a right-to-left override must not turn the rest of the line around in the inbox).
  out += "Subject: " + encodeHeaderValue(showInvisible(m.subject), 9) + "\r\n";
  out += "Date: " + rfc5322Date(m.date) + "\r\n";
  out += "Message-ID: " + m.message_id + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  out += "\r\n";
  out += "This is a MIME message; read it with a mail client.\r\n";
  for (const auto& [type, body] :
       {std::pair<const char*, const std::string&>{"text/plain", m.text}, {"text/html", m.html}}) {
    out += "\r\n--" + boundary + "\r\n";
    out += std::string("Content-Type: ") + type + "; charset=UTF-8\r\n";
    out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    out += quotedPrintable(body) + "\r\n";
  }
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

bool isMailAddress(const std::string& address) { return validAddress(address); }

std::optional<std::string> bareAddress(const std::string& spec) {
  const size_t lt = spec.rfind('<');
  if (lt == std::string::npos) {
    std::string a(trim(spec));
    if (!validAddress(a)) return std::nullopt;
    return a;
  }
  const size_t gt = spec.find('>', lt);
  if (gt == std::string::npos) return std::nullopt;
  std::string a = spec.substr(lt + 1, gt - lt - 1);
  if (!validAddress(a)) return std::nullopt;
  return a;
}

}  // namespace cspwatch::alerts
