// SPDX-License-Identifier: Apache-2.0
#include "alerts/http_post_transport.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>

#include "alerts/route_outputs.h"
#include "alerts/webhook_event.h"
#include "common/redact.h"
#include "common/text.h"

namespace cspwatch::alerts {

namespace {

bool temporaryStatus(int status) { return status == 408 || status == 429 || status >= 500; }

// "HTTP 503: <the answer's start>", for the outbox and the log.
std::string answerText(const msapi::HttpResponse& r) {
  std::string text = "HTTP " + std::to_string(r.status);
  const std::string body = outsideText(r.body, kAnswerMax);
  return body.empty() ? text : text + ": " + body;
}

msapi::HttpRequest requestFor(const OutgoingMessage& m, const HttpOutput& out) {
  msapi::HttpRequest req;
  req.method = "POST";
  req.url = out.url;
  req.body = m.body;
  req.content_type = "application/json";
  if (out.channel == kChannelWebhook) {
    req.headers = {{"X-Cspwatch-Signature", webhookSignature(out.secret, m.body)},
                   {"X-Cspwatch-Event", m.kind},
                   {"X-Cspwatch-Event-Id", m.message_id},
                   {"Idempotency-Key", m.message_id}};
  }
  return req;
}

}  // namespace

msapi::HttpOptions outputHttpOptions(msapi::NetworkOptions network) {
  msapi::HttpOptions o = msapi::withNetwork(std::move(network));
  o.connect_timeout = Seconds(10);
  o.read_timeout = Seconds(30);
  o.max_body_bytes = 256 * 1024;  // an answer, not data: only its start is kept
  return o;
}

std::optional<Seconds> retryAfter(const std::string& value, Timestamp now) {
  const Seconds kMax = std::chrono::hours(24);
  if (value.empty()) return std::nullopt;
  bool digits = true;
  for (char c : value) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (digits) {
    if (value.size() > 9) return kMax;
    return std::min(Seconds(std::stoll(value)), kMax);
  }
  // An HTTP date ("Mon, 30 Nov 2026 00:05:00 GMT"). Poco's parser takes almost any text, so
  // the date's shape is checked first.
  Poco::DateTime when;
  int tz = 0;
  if (value.size() < 20 || !endsWith(value, "GMT") ||
      !Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, value, when, tz))
    return std::nullopt;
  const Seconds wait = fromUnixSeconds(when.timestamp().epochTime() - tz) - now;
  return std::clamp(wait, Seconds(0), kMax);
}

HttpPostTransport::HttpPostTransport(std::map<std::string, HttpOutput> outputs,
                                     msapi::HttpOptions options)
    : outputs_(std::move(outputs)), client_(std::move(options)) {
  for (const auto& [target, out] : outputs_) {
    for (const auto& s : urlSecrets(out.url)) registerSecret(s);
    if (!out.secret.empty()) registerSecret(out.secret);
  }
}

Delivery HttpPostTransport::deliver(const OutgoingMessage& m) {
  auto it = outputs_.find(m.target);
  if (it == outputs_.end())
    return {false, true,
            "the output " + m.target +
                " is no longer in the configuration (alerts.routes): nothing to post it to"};
  const HttpOutput& out = it->second;
  if (!out.unusable.empty()) return {false, false, out.unusable};
  auto r = client_.send(requestFor(m, out));
  if (!r)
    return {false, false,
            "could not post to " + urlForDisplay(out.url) + ": " +
                outsideText(r.status().message(), kAnswerMax)};
  if (r->status >= 200 && r->status < 300) return {true, false, answerText(*r)};
  Delivery d{false, !temporaryStatus(r->status), answerText(*r)};
  if (!d.permanent) {
    d.retry_after = retryAfter(r->header("retry-after"), fromUnixSeconds(std::time(nullptr)));
    if (d.retry_after)
      d.reply += " (Retry-After: " + std::to_string(d.retry_after->count()) + " s)";
  }
  return d;
}

}  // namespace cspwatch::alerts
