// SPDX-License-Identifier: Apache-2.0
// Graph sendMail (MIME format) for the partner tenant's mailboxes: user-sendmail.md,
// outlook-send-mime-message.md; each accepted message is recorded for tests and /_sim/mail.
#include <cstdio>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/text.h"
#include "sim/api.h"
#include "sim/json_util.h"
#include "tenants/tenant_json.h"

namespace cspwatch::sim {

namespace {

using Poco::JSON::Array;

std::optional<std::string> decodeBase64(const std::string& text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t chars = 0, padding = 0;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    ++chars;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after the padding
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (chars % 4 != 0 || padding > 2) return std::nullopt;
  return out;
}

// The top-level header block of a MIME message: lower-case names and their (unfolded) values.
std::map<std::string, std::string> mimeHeaders(const std::string& mime) {
  std::map<std::string, std::string> headers;
  std::string last;
  size_t pos = 0;
  while (pos < mime.size()) {
    const size_t eol = mime.find('\n', pos);
    std::string line = mime.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;  // the blank line before the body
    if (line[0] == ' ' || line[0] == '\t') {
      if (!last.empty()) headers[last] += " " + std::string(trim(line));  // a folded line
    } else if (const size_t colon = line.find(':'); colon != std::string::npos && colon > 0) {
      last = toLowerAscii(trim(std::string_view(line).substr(0, colon)));
      headers[last] = std::string(trim(std::string_view(line).substr(colon + 1)));
    } else {
      last.clear();
    }
    if (eol == std::string::npos) break;
    pos = eol + 1;
  }
  return headers;
}

}  // namespace

Response SimApi::sendMail(const Request& r, const AccessToken& token, const std::string& mailbox) {
  if (r.method != "POST")
    return graphError(405, "Request_BadRequest",
                      "Specified HTTP method is not allowed for the request target.", now());
  // Application permission Mail.Send in the partner tenant: an app-only token for our own
  // tenant. A customer tenant's token, or one on behalf of a user, may not send as a mailbox.
  if (token.tenant_id != world_.partner.tenant_id || !token.app_only)
    return graphError(403, "ErrorAccessDenied",
                      "Access is denied. Check credentials and try again.", now());
  const Mailbox* box = world_.findMailbox(mailbox);
  if (world_.mailboxes && box == nullptr)
    return graphError(404, "ErrorInvalidUser", "The requested user '" + mailbox + "' is invalid.",
                      now());
  if (box != nullptr && !box->app_access)
    return graphError(403, "ErrorAccessDenied",
                      "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly "
                      "AccessPolicy settings.",
                      now());
  const std::string content_type = r.header("content-type");
  const std::string media =
      toLowerAscii(trim(std::string_view(content_type).substr(0, content_type.find(';'))));
  if (media == "application/json")
    return graphError(400, "ErrorNotSupported",
                      "cspwatch-sim accepts sendMail in MIME format only (Content-Type: "
                      "text/plain, the body the base64 of the message).",
                      now());
  if (media != "text/plain")
    return graphError(
        415, "UnsupportedMediaType",
        "Content-Type '" + content_type + "' is not supported; use text/plain for MIME content.",
        now());
  auto mime = decodeBase64(r.body);
  if (!mime)
    return graphError(400, "ErrorMimeContentInvalidBase64String",
                      "Invalid base64 string for MIME content.", now());
  const auto headers = mimeHeaders(*mime);
  std::vector<std::string> missing;
  for (const char* name : {"From", "To", "Subject", "Message-ID"}) {
    auto it = headers.find(toLowerAscii(name));
    if (it == headers.end() || it->second.empty()) missing.push_back(name);
  }
  if (!missing.empty())
    return graphError(400, "ErrorMimeContentInvalid",
                      "The MIME content is invalid: no " + join(missing, ", ") + " header.", now());
  Response accepted;
  accepted.status = 202;
  accepted.content_type.clear();  // 202 Accepted with an empty body, as Graph answers
  {
    std::lock_guard<std::mutex> lock(mail_mutex_);
    char id[40];
    std::snprintf(id, sizeof id, "5e7d1a00-0000-4000-8000-%012llx",
                  static_cast<unsigned long long>(mail_.size() + 1));
    mail_.push_back({mailbox, std::move(*mime), now(), id});
    accepted.headers.push_back({"request-id", id});
  }
  if (!r.header("client-request-id").empty())
    accepted.headers.push_back({"client-request-id", r.header("client-request-id")});
  return accepted;
}

std::vector<SentMail> SimApi::sentMail() {
  std::lock_guard<std::mutex> lock(mail_mutex_);
  return mail_;
}

std::string SimApi::mailJson() {
  Array::Ptr messages = new Array();
  for (const auto& m : sentMail()) {
    auto o = obj();
    o->set("mailbox", m.mailbox);
    o->set("mime", m.mime);
    o->set("at", formatTimestamp(m.at));
    o->set("request_id", m.request_id);
    messages->add(o);
  }
  auto o = obj();
  o->set("messages", messages);
  return tenants::jsonText(o, true);
}

}  // namespace cspwatch::sim
