// SPDX-License-Identifier: Apache-2.0
// Microsoft Graph user: sendMail in MIME format
// (https://learn.microsoft.com/en-us/graph/api/user-sendmail and
// https://learn.microsoft.com/en-us/graph/outlook-send-mime-message):
//  - POST /users/{id | userPrincipalName}/sendMail, application permission Mail.Send;
//  - Content-Type: text/plain selects MIME format; the body is the whole MIME message (headers
//    and content) encoded in base64;
//  - success is 202 Accepted with an empty body (accepted for delivery, not yet delivered);
//    malformed MIME content is 400 ("Invalid base64 string for MIME content.");
//  - saveToSentItems is a parameter of the JSON format only ("specify it only if false; default
//    is true"); in MIME format the method saves the message in Sent Items, and there is no way
//    to turn that off.
// In MIME format Graph takes the recipients from the message's To/Cc/Bcc headers; the
// OutgoingMessage's envelope list is not sent (the renderer puts every recipient in To).
#include "alerts/graph_mail_transport.h"

#include <algorithm>
#include <cstdlib>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/UUIDGenerator.h>

#include "alerts/text_util.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/guid.h"
#include "common/logging.h"
#include "common/redact.h"
#include "common/text.h"
#include "msapi/cancellation.h"
#include "msapi/http_client.h"
#include "msapi/token_provider.h"

namespace cspwatch::alerts {

namespace {

// One path segment (RFC 3986): unreserved characters and '@' as they are, everything else
// (including '/', '#', '?', '%', quotes and non-ASCII bytes) percent-encoded.
std::string escapePathSegment(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

std::string reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

struct GraphErrorBody {
  std::string code, message;
};

// Graph's {"error": {"code", "message"}}, when the body is one. A misconfigured or hostile
// endpoint may echo our request in it (the bearer token, the message): each part is outside
// text, redacted, on one line and cut (outsideText).
GraphErrorBody parseGraphError(const std::string& body) {
  try {
    auto o = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    if (o->isObject("error")) {
      auto e = o->getObject("error");
      return {outsideText(e->optValue<std::string>("code", ""), 100),
              outsideText(e->optValue<std::string>("message", ""))};
    }
  } catch (const Poco::Exception&) {
  }
  return {};
}

// "403 ErrorAccessDenied: Access is denied... (request-id ...)".
std::string describeGraphAnswer(const msapi::HttpResponse& r) {
  std::string what = std::to_string(r.status);
  const GraphErrorBody e = parseGraphError(r.body);
  if (!e.code.empty()) {
    what += " " + e.code;
    if (!e.message.empty()) what += ": " + e.message;
  } else if (const std::string phrase = reasonPhrase(r.status); !phrase.empty()) {
    what += " " + phrase;
  }
  if (const std::string id = r.header("request-id"); !id.empty())
    what += " (request-id " + outsideText(id, 64) + ")";
  return what;
}

}  // namespace

struct GraphMailTransport::Impl {
  std::string mailbox;
  std::string tenant;
  std::string url;
  msapi::HttpClient http;  // made in create(), with the network settings
  SystemClock clock;
  msapi::Cancellation cancel;
  std::unique_ptr<msapi::TokenProvider> tokens;
};

GraphMailTransport::GraphMailTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GraphMailTransport::~GraphMailTransport() {
  if (impl_) impl_->cancel.cancel();
}

const std::string& GraphMailTransport::url() const { return impl_->url; }

Result<std::unique_ptr<GraphMailTransport>> GraphMailTransport::create(
    msapi::Credentials credentials, GraphMailSettings settings) {
  auto tenant = normalizeGuid(credentials.partner_tenant_id);
  if (!tenant)
    return Status::invalidArgument("the partner tenant id '" + credentials.partner_tenant_id +
                                   "' is not a GUID");
  const std::string mailbox(trim(settings.mailbox));
  if (mailbox.empty()) return Status::invalidArgument("no sending mailbox for Graph sendMail");
  if (!looksLikeEmail(mailbox) && !isGuid(mailbox))
    return Status::invalidArgument("the sending mailbox '" + outsideText(mailbox, 100) +
                                   "' is neither an address (user principal name) nor an id");
  credentials.partner_tenant_id = *tenant;  // the form the token provider compares
  if (credentials.client_id.empty())
    return Status::invalidArgument("no client_id for Graph sendMail");
  std::string graph = settings.graph_url;
  while (!graph.empty() && graph.back() == '/') graph.pop_back();
  if (!startsWith(graph, "https://") && !msapi::isLoopbackUrl(graph))
    return Status::invalidArgument("refusing Graph URL '" + graph +
                                   "': only https is allowed, except to a loopback address");
  // The token endpoint's own retries stay short (0.2 s doubling, about 3 s in all): the
  // outbox retries a failed delivery later anyway.
  credentials.retry_base =
      std::min<std::chrono::milliseconds>(credentials.retry_base, std::chrono::milliseconds(100));

  auto impl = std::make_unique<Impl>();
  impl->http = msapi::HttpClient(msapi::withNetwork(
      settings.network,
      msapi::HttpOptions{Seconds(10), Seconds(30), size_t{1024} * 1024}));  // answers are small
  impl->mailbox = mailbox;
  impl->tenant = *tenant;
  impl->url = graph + "/v1.0/users/" + escapePathSegment(mailbox) + "/sendMail";
  impl->tokens = std::make_unique<msapi::TokenProvider>(std::move(credentials), impl->http,
                                                        impl->clock, &impl->cancel);
  return std::unique_ptr<GraphMailTransport>(new GraphMailTransport(std::move(impl)));
}

alerts::Delivery GraphMailTransport::deliver(const alerts::OutgoingMessage& message) {
  alerts::Delivery d;
  if (message.body.empty()) {
    d.permanent = true;
    d.reply = "the message is empty; nothing to send";
    return d;
  }
  msapi::HttpRequest req;
  req.method = "POST";
  req.url = impl_->url;
  req.content_type = "text/plain";  // MIME format
  req.body = base64(message.body);
  // The same client-request-id for both tries: Graph logs it, and it ties them together.
  const std::string client_request_id =
      Poco::UUIDGenerator::defaultGenerator().createRandom().toString();

  for (int attempt = 0; attempt < 2; ++attempt) {
    auto token = impl_->tokens->appToken(impl_->tenant, msapi::Audience::kGraph);
    if (!token) {
      // Temporary: a token endpoint outage passes, and a refused sign-in (an expired secret,
      // a missing consent) is for the operator to fix while the outbox keeps the message.
      d.reply = redactSecrets("no Graph token for the partner tenant: " + token.status().message());
      return d;
    }
    req.headers = {{"Authorization", "Bearer " + *token},
                   {"Accept", "application/json"},
                   {"client-request-id", client_request_id}};
    auto resp = impl_->http.send(req);
    if (!resp) {
      // A bad URL will not get better; a timeout or a dropped connection may.
      d.permanent = resp.status().code() == Status::Code::kInvalidArgument;
      d.reply = redactSecrets("sendMail failed: " + resp.status().message());
      log().debug("sendMail as {}: {}", impl_->mailbox, d.reply);
      return d;
    }
    if (resp->status == 401 && attempt == 0) {
      // An expired or revoked token: one fresh token, one more try.
      impl_->tokens->invalidate(*token);
      log().debug("sendMail as {}: {}; retrying with a fresh token", impl_->mailbox,
                  describeGraphAnswer(*resp));
      continue;
    }
    d.reply = describeGraphAnswer(*resp);  // redacted in its parts
    if (resp->status >= 200 && resp->status < 300) {
      d.delivered = true;
    } else if (resp->status == 429) {
      // Not waited for here: the outbox's next attempt comes later than any Retry-After.
      if (const std::string after = resp->header("retry-after"); !after.empty())
        d.reply += "; retry after " + outsideText(after, 20) + " s";
    } else if (resp->status == 401) {
      d.reply += "; refused even with a fresh token: check the app's credentials and consent";
    } else if (resp->status == 408 || resp->status >= 500) {
      // temporary
    } else {
      d.permanent = true;
      if (resp->status == 403)
        d.reply +=
            "; the app needs the Microsoft Graph application permission Mail.Send with admin "
            "consent in the partner tenant and, where an Exchange application access policy (or "
            "RBAC for Applications) limits it, access to the mailbox " +
            impl_->mailbox;
      else if (resp->status == 404)
        d.reply += "; check that the mailbox " + impl_->mailbox + " exists in the partner tenant";
    }
    log().debug("sendMail as {}: {}", impl_->mailbox, d.reply);
    return d;
  }
  d.reply = "sendMail: no answer after a fresh token";  // not reached: try 2 returns
  return d;
}

}  // namespace cspwatch::alerts
