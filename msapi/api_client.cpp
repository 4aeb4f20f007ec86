// SPDX-License-Identifier: Apache-2.0
#include "msapi/api_client.h"

#include <algorithm>
#include <set>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>

#include "common/logging.h"
#include "common/redact.h"
#include "common/text.h"

namespace cspwatch::msapi {

namespace {

// Partner Center begins its answers with a UTF-8 byte-order mark (EF BB BF; seen by others as
// "Unexpected UTF-8 BOM", Azure/msrest-for-python#144; .NET's ReadAsStringAsync hides it from
// Microsoft's own SDK), and Poco's JSON parser refuses one. JSON text never needs it (RFC 8259
// section 8.1 lets a parser ignore it) and it means nothing in any answer, so it is dropped
// from every answer, whichever service sent it: simpler than knowing which ones do.
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string_view withoutBom(std::string_view body) {
  if (startsWith(body, kUtf8Bom)) body.remove_prefix(kUtf8Bom.size());
  return body;
}

std::string newGuid() { return Poco::UUIDGenerator::defaultGenerator().createRandom().toString(); }

// What either service's error body says: "Authorization_RequestDenied: Insufficient
// privileges ...", or "" when it says nothing we read.
std::string errorText(const HttpResponse& r) {
  try {
    auto o = Poco::JSON::Parser()
                 .parse(std::string(withoutBom(r.body)))
                 .extract<Poco::JSON::Object::Ptr>();
    if (o->has("error") && o->isObject("error")) {
      auto e = o->getObject("error");
      return e->optValue<std::string>("code", "") + ": " + e->optValue<std::string>("message", "");
    }
    if (o->has("description")) {
      // Partner Center's documented error body is {"code", "description", "data", "source"};
      // some answers add an errorName.
      const std::string name = o->optValue<std::string>("errorName", "");
      return (name.empty() ? "" : name + ": ") + o->getValue<std::string>("description");
    }
    if (o->has("message")) return o->getValue<std::string>("message");
  } catch (const Poco::Exception&) {
  }
  return "";
}

// "HTTP 403: Authorization_RequestDenied: Insufficient privileges ...". The body is the
// server's text, and a misconfigured or hostile server may echo our request in it (the
// bearer token): it passes through outsideText, redacted and cut, like any text from outside.
std::string describe(const HttpResponse& r) {
  std::string what = "HTTP " + std::to_string(r.status);
  const std::string said = errorText(r);
  return said.empty() ? what : what + ": " + outsideText(said);
}

// Whether `next` (a next-page link from an answer) points at the server `from` was asked: same
// scheme, host and port. A link elsewhere would receive our bearer token with the request.
bool sameServer(const std::string& from, const std::string& next) {
  try {
    const Poco::URI a(from), b(next);
    const std::string scheme = toLowerAscii(b.getScheme());
    return (scheme == "https" || scheme == "http") && toLowerAscii(a.getScheme()) == scheme &&
           toLowerAscii(a.getHost()) == toLowerAscii(b.getHost()) && a.getPort() == b.getPort();
  } catch (const Poco::Exception&) {
    return false;
  }
}

// The URL without its query, for messages and logs (a query may hold a skip token).
std::string withoutQuery(const std::string& url) { return url.substr(0, url.find('?')); }

}  // namespace

std::optional<std::chrono::milliseconds> parseRetryAfter(const std::string& value, Timestamp now) {
  const std::string v(trim(value));
  if (v.empty()) return std::nullopt;
  if (v.find_first_not_of("0123456789") == std::string::npos) {
    // Delta-seconds. More digits than any sane wait are as good as forever (capped later).
    const int64_t seconds = v.size() > 9 ? 999999999 : std::stoll(v);
    if (seconds <= 0) return std::nullopt;
    return std::chrono::milliseconds(seconds * 1000);
  }
  // An HTTP-date (RFC 9110 section 5.6.7): IMF-fixdate, or one of the obsolete forms a
  // recipient must still accept, told apart by their shape (Poco's parser is lenient enough to
  // read one form as another, wrongly).
  const size_t comma = v.find(',');
  std::string format = Poco::DateTimeFormat::HTTP_FORMAT;  // Sun, 06 Nov 1994 08:49:37 GMT
  if (comma == std::string::npos)
    format = Poco::DateTimeFormat::ASCTIME_FORMAT;  // Sun Nov  6 08:49:37 1994
  else if (v.find('-', comma) != std::string::npos)
    format = Poco::DateTimeFormat::RFC850_FORMAT;  // Sunday, 06-Nov-94 08:49:37 GMT
  Poco::DateTime when;
  int tzd = 0;
  if (!Poco::DateTimeParser::tryParse(format, v, when, tzd)) return std::nullopt;
  when.makeUTC(tzd);
  const int64_t seconds = static_cast<int64_t>(when.timestamp().epochTime()) - toUnixSeconds(now);
  if (seconds <= 0) return std::nullopt;
  return std::chrono::milliseconds(seconds * 1000);
}

Result<std::string> resolvePartnerCenterLink(const std::string& root_url,
                                             const std::string& link_uri) {
  std::string root = root_url;
  while (!root.empty() && root.back() == '/') root.pop_back();
  const std::string link(trim(link_uri));
  if (link.empty()) return Status::corruption("the link is empty");
  // A scheme ("https:") before any '/', '?' or '#' makes the link absolute; "//host/..." is a
  // network-path reference, absolute but for the scheme.
  const size_t colon = link.find(':');
  const size_t delimiter = link.find_first_of("/?#");
  const bool absolute = colon != std::string::npos && colon > 0 &&
                        (delimiter == std::string::npos || colon < delimiter);
  if (absolute || startsWith(link, "//")) {
    const std::string url =
        absolute ? link : toLowerAscii(root.substr(0, root.find(':'))) + ":" + link;
    if (!sameServer(root, url))
      return Status::corruption("points to another server (" + abbreviate(withoutQuery(url), 120) +
                                "); refusing to send our token there");
    return url;
  }
  // Relative: a path below the API root, versioned as the SDK does. Unlike the SDK, a link
  // without its leading '/' ("v1/customers") is read as "/v1/customers", not "/v1/v1/customers",
  // and only a whole "/v1" segment counts as the version ("/v1customers" gets one).
  std::string path = link.front() == '/' ? link : "/" + link;
  const bool versioned = toLowerAscii(path.substr(0, 3)) == "/v1" &&
                         (path.size() == 3 || path[3] == '/' || path[3] == '?' || path[3] == '#');
  if (!versioned) path = "/v1" + path;
  return root + path;
}

ApiClient::ApiClient(const HttpClient& http, TokenProvider& tokens, Cancellation& cancel,
                     ApiOptions options)
    : http_(http), tokens_(tokens), cancel_(cancel), options_(std::move(options)) {
  // The pacer's time is the cancellation's, which a test's Sleeper moves on (cancellation.h).
  if (!options_.pacer)
    options_.pacer = std::make_shared<Pacer>([&cancel] { return cancel.seconds(); });
}

std::chrono::milliseconds ApiClient::backoff(int attempt) {
  const auto base = options_.backoff_base * (1LL << std::min(attempt, 16));
  std::lock_guard<std::mutex> lock(mutex_);
  const auto jitter = std::chrono::milliseconds(
      static_cast<int64_t>(rng_() % static_cast<uint64_t>(base.count() / 2 + 1)));
  return std::min(options_.backoff_max,
                  std::chrono::duration_cast<std::chrono::milliseconds>(base + jitter));
}

std::string ApiClient::scopeOf(const ApiCall& call) {
  // The limits' scopes: Partner Center per partner (our requests all carry our partner tenant),
  // Graph per app and tenant (one app: per tenant).
  return (call.api == Api::kPartnerCenter ? "pc|" : "graph|") + call.tenant;
}

std::optional<double> ApiClient::pace(const ApiCall& call) {
  const double start_rate = call.api == Api::kPartnerCenter ? options_.pc_per_minute / 60.0
                                                            : options_.graph_per_10s / 10.0;
  const std::string scope = scopeOf(call);
  while (true) {
    const Pacer::Ticket ticket = options_.pacer->admit(scope, start_rate);
    if (ticket.wait <= 0) return ticket.sent;
    if (!cancel_.sleepFor(std::chrono::duration<double>(ticket.wait))) return std::nullopt;
  }
}

// What the attempts of one get() share.
struct ApiClient::Attempts {
  explicit Attempts(const ApiCall& c) : call(c), path(withoutQuery(c.url)) {}
  bool graph() const { return call.api == Api::kGraph; }

  const ApiCall& call;
  // One MS-RequestId for every attempt: the services use it to recognise a retry.
  const std::string request_id = newGuid();
  const std::string path;  // for the log: the query may hold a skip token
  Status last = Status::unavailable("no attempt made");
  std::string last_ids;         // the last Graph attempt's request ids, for the log
  int fresh_tokens = 0;         // a 401 gets a fresh token, a few times at most
  bool new_connection = false;  // the next attempt on a new connection (after a 503)
};

Result<HttpResponse> ApiClient::get(const ApiCall& call) {
  Attempts a(call);
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (cancel_.cancelled()) return Status::aborted("shutting down");
    auto token = tokenFor(call);
    if (!token) return token.status();
    // Paced after the sign-in, which the limits do not count, so that the send time is the
    // request's.
    const auto sent = pace(call);
    if (!sent) return Status::aborted("shutting down");
    auto resp = sendAttempt(a, *token, attempt);
    if (resp) tellPacer(call, *sent, *resp);
    if (!resp && resp.status().code() == Status::Code::kInvalidArgument)
      return resp.status();  // a bad URL: no attempt can do better
    if (resp && freshTokenFor401(a, *resp, *token)) continue;  // at once, no wait
    const auto wait =
        resp ? retryAfterAnswer(a, *resp, attempt) : retryAfterFailure(a, resp.status(), attempt);
    if (!wait) return std::move(resp.value());
    // No wait after the last attempt; a shutdown ends the wait, and the call.
    const bool last_attempt = attempt + 1 >= options_.max_attempts;
    if (!last_attempt && !cancel_.sleepFor(*wait)) return Status::aborted("shutting down");
  }
  return giveUp(a);
}

void ApiClient::tellPacer(const ApiCall& call, double sent, const HttpResponse& r) {
  // Every answer but a 429 was counted by the service's limit; no answer tells nothing.
  double retry_after = 0;
  if (r.status == 429) {
    const auto asked = parseRetryAfter(
        r.header("retry-after"), options_.clock ? options_.clock->now() : SystemClock().now());
    if (asked) retry_after = std::chrono::duration<double>(*asked).count();
  }
  options_.pacer->answered(scopeOf(call), sent, r.status == 429, retry_after);
}

Result<std::string> ApiClient::tokenFor(const ApiCall& call) {
  const Audience audience =
      call.api == Api::kPartnerCenter ? Audience::kPartnerCenter : Audience::kGraph;
  return call.user ? tokens_.userToken(call.tenant, audience)
                   : tokens_.appToken(call.tenant, audience);
}

Result<HttpResponse> ApiClient::sendAttempt(Attempts& a, const std::string& token, int attempt) {
  const ApiCall& call = a.call;
  HttpRequest req;
  req.url = call.url;
  req.headers = call.headers;
  req.headers.push_back({"Authorization", "Bearer " + token});
  req.headers.push_back({"Accept", "application/json"});
  req.headers.push_back({"MS-RequestId", a.request_id});
  if (!options_.correlation_id.empty())
    req.headers.push_back({"MS-CorrelationId", options_.correlation_id});
  if (call.api == Api::kPartnerCenter) req.headers.push_back({"MS-Contract-Version", "v1"});
  // Graph asks for a new GUID in client-request-id on every request, logged by both sides
  // (best-practices-concept.md); a retry is a new request.
  std::string client_request_id;
  if (a.graph()) {
    client_request_id = newGuid();
    req.headers.push_back({"client-request-id", client_request_id});
  }
  req.new_connection = a.new_connection;
  a.new_connection = false;
  bump(call.api, &ApiCounters::requests);
  if (attempt > 0) bump(call.api, &ApiCounters::retries);
  auto resp = http_.send(req);
  if (a.graph()) {
    a.last_ids = resp ? " (request-id " + outsideText(resp->header("request-id"), 64) +
                            ", client-request-id " + client_request_id + ")"
                      : " (client-request-id " + client_request_id + ")";
  }
  return resp;
}

std::chrono::milliseconds ApiClient::retryAfterFailure(Attempts& a, const Status& failure,
                                                       int attempt) {
  // A dropped connection, a timeout, a truncated body: backed off and tried again.
  a.last = failure;
  const auto wait = backoff(attempt);
  log().debug("{}: {}; retrying in {} ms", a.path, a.last.message(), wait.count());
  return wait;
}

std::optional<std::chrono::milliseconds> ApiClient::retryAfterAnswer(Attempts& a,
                                                                     const HttpResponse& r,
                                                                     int attempt) {
  if (r.status == 429 || r.status == 503 || r.status == 504) return throttledWait(a, r, attempt);
  if (r.status >= 500) {
    a.last = Status::unavailable(describe(r));
    return backoff(attempt);
  }
  if (a.graph() && r.status >= 400) {
    // The final answer, and a failure: what Microsoft support needs to find the request. A
    // 404 is often an answer ("none"), not a failure; it is logged only at debug level.
    if (r.status == 404)
      log().debug("{}: {}{}", a.path, describe(r), a.last_ids);
    else
      log().info("{}: {}{}", a.path, describe(r), a.last_ids);
  }
  return std::nullopt;
}

bool ApiClient::freshTokenFor401(Attempts& a, const HttpResponse& r, const std::string& token) {
  if (r.status != 401 || a.fresh_tokens >= 3) return false;
  // An expired or revoked token: drop it and try again with a fresh one. A 401 that persists
  // through fresh tokens is a real refusal and is returned.
  tokens_.invalidate(token);
  ++a.fresh_tokens;
  a.last = Status::unavailable(describe(r));
  return true;
}

std::chrono::milliseconds ApiClient::throttledWait(Attempts& a, const HttpResponse& r,
                                                   int attempt) {
  // Throttled (429) or overloaded (503, 504): wait what the service asks, as Graph's SDK
  // retry handler does for these three (errors.md, throttling.md), else back off.
  if (r.status == 429) bump(a.call.api, &ApiCounters::throttled);
  a.last = Status::unavailable(describe(r));
  const auto asked = parseRetryAfter(r.header("retry-after"),
                                     options_.clock ? options_.clock->now() : SystemClock().now());
  const std::chrono::milliseconds cap = options_.retry_after_max;
  const auto wait = asked ? std::min(*asked, cap) : backoff(attempt);
  // "Always make new retry requests over a new HTTP connection" after a 503
  // (best-practices-concept.md): the one we have may lead to the overloaded node.
  a.new_connection = r.status == 503;
  log().debug("{}: HTTP {}; waiting {} ms{}", a.path, r.status, wait.count(),
              asked && *asked > cap ? " (Retry-After cut to retry_after_max)" : "");
  return wait;
}

Status ApiClient::giveUp(const Attempts& a) {
  bump(a.call.api, &ApiCounters::failed);
  log().warn("{}: gave up after {} attempts: {}{}", a.path, options_.max_attempts, a.last.message(),
             a.last_ids);
  return Status::unavailable("gave up after " + std::to_string(options_.max_attempts) +
                             " attempts: " + a.last.message());
}

Result<Poco::JSON::Object::Ptr> ApiClient::getJson(const ApiCall& call) {
  // A body that does not parse (cut short) is retried like a dropped connection.
  std::string why;
  for (int round = 0; round < 3; ++round) {
    auto resp = get(call);
    if (!resp) return resp.status();
    if (resp->status == 404) return Status::notFound(describe(*resp));
    if (resp->status < 200 || resp->status >= 300) return Status::invalidArgument(describe(*resp));
    if (startsWith(resp->body, kUtf8Bom)) resp->body.erase(0, kUtf8Bom.size());
    size_t bad = 0;
    if (!isValidUtf8(resp->body, &bad)) {  // JSON is UTF-8; a cut body may end mid-character
      why = "not UTF-8 at byte " + std::to_string(bad);
      continue;
    }
    try {
      // The parser's default depth limit (128) refuses deep nesting before it recurses.
      Poco::Dynamic::Var doc = Poco::JSON::Parser().parse(resp->body);
      if (doc.type() == typeid(Poco::JSON::Object::Ptr))
        return doc.extract<Poco::JSON::Object::Ptr>();
      why = "not a JSON object";
    } catch (const Poco::Exception& e) {
      why = outsideText(e.displayText(), 200);
    }
  }
  bump(call.api, &ApiCounters::failed);
  return Status::unavailable("the answer from " + withoutQuery(call.url) +
                             " was not valid JSON, three times (" + why + ")");
}

namespace {

// The API root of a Partner Center URL we built (<partner_center_url>/v1/...): everything before
// its last /v1 segment; the simulator's root has a path of its own (.../pc).
std::string partnerCenterRoot(const std::string& url) {
  const std::string path = withoutQuery(url);
  const std::string lower = toLowerAscii(path);
  size_t v1 = lower.rfind("/v1/");
  if (v1 == std::string::npos && endsWith(lower, "/v1")) v1 = lower.size() - 3;
  return v1 == std::string::npos ? path : path.substr(0, v1);
}

// Headers of links.next that are never taken from an answer: ours (the token), or ones that
// frame the request and are the HTTP client's to set.
bool isReservedHeader(const std::string& name) {
  static const std::set<std::string> reserved = {
      "authorization",     "proxy-authorization", "host",      "content-length",
      "transfer-encoding", "connection",          "user-agent"};
  return reserved.count(toLowerAscii(name)) > 0;
}

}  // namespace

Status ApiClient::pagePartnerCenter(ApiCall call,
                                    const std::function<void(const Poco::JSON::Array::Ptr&)>& page,
                                    bool items_optional) {
  const std::string root = partnerCenterRoot(call.url);
  std::set<std::string> seen;
  for (int n = 0; n < options_.max_pages; ++n) {
    auto body = getJson(call);
    if (!body) return body.status();
    if ((*body)->isArray("items"))
      page((*body)->getArray("items"));
    else if (items_optional && (!(*body)->has("items") || (*body)->isNull("items")))
      page(new Poco::JSON::Array);
    else
      return Status::corruption("malformed answer from " + withoutQuery(call.url) +
                                ": 'items' is not a list");
    // The next page: links.next (URI and headers, as the SDK follows it) or, failing that, the
    // continuation token.
    std::string token = (*body)->optValue<std::string>("continuationToken", "");
    std::string next_uri;
    std::vector<std::pair<std::string, std::string>> next_headers;
    if ((*body)->isObject("links") && (*body)->getObject("links")->isObject("next")) {
      auto next = (*body)->getObject("links")->getObject("next");
      next_uri = next->optValue<std::string>("uri", "");
      if (next->isArray("headers")) {
        auto hs = next->getArray("headers");
        for (size_t i = 0; i < hs->size(); ++i) {
          auto h = hs->getObject(static_cast<unsigned>(i));
          if (!h)
            return Status::corruption("malformed answer from Partner Center: links.next.headers[" +
                                      std::to_string(i) + "] is not an object");
          const std::string key = h->optValue<std::string>("key", "");
          const std::string value = h->optValue<std::string>("value", "");
          if (toLowerAscii(key) == "ms-continuationtoken") token = value;
          if (key.empty() || isReservedHeader(key)) continue;
          next_headers.push_back({key, value});
        }
      }
    }
    if (token.empty() && next_uri.empty()) return Status::ok();
    if (!seen.insert(token + "|" + next_uri).second)
      return Status::corruption(
          "Partner Center returned the same continuation twice; refusing to loop");
    // Only a continuation token: the next page of the same collection.
    if (next_uri.empty())
      next_uri = withoutQuery(call.url).substr(root.size()) + "?seekOperation=Next";
    auto next_url = resolvePartnerCenterLink(root, next_uri);
    if (!next_url)
      return Status::corruption("Partner Center's next-page link " + next_url.status().message());
    call.url = *next_url;
    call.headers = next_headers;
    // The continuation token travels as a header; a links.next without it gets it here.
    const bool has_token = std::any_of(next_headers.begin(), next_headers.end(), [](const auto& h) {
      return toLowerAscii(h.first) == "ms-continuationtoken";
    });
    if (!token.empty() && !has_token) call.headers.push_back({"MS-ContinuationToken", token});
  }
  return Status::corruption("Partner Center paging did not end after " +
                            std::to_string(options_.max_pages) + " pages");
}

Status ApiClient::pageGraph(ApiCall call,
                            const std::function<void(const Poco::JSON::Array::Ptr&)>& page) {
  std::set<std::string> seen;
  for (int n = 0; n < options_.max_pages; ++n) {
    auto body = getJson(call);
    if (!body) return body.status();
    if (!(*body)->isArray("value"))
      return Status::corruption("malformed answer from " + withoutQuery(call.url) +
                                ": 'value' is not a list");
    page((*body)->getArray("value"));
    const std::string next = (*body)->optValue<std::string>("@odata.nextLink", "");
    if (next.empty()) return Status::ok();
    if (!seen.insert(next).second)
      return Status::corruption("Graph returned the same @odata.nextLink twice; refusing to loop");
    if (!sameServer(call.url, next))
      return Status::corruption("Graph's @odata.nextLink points to another server (" +
                                abbreviate(next.substr(0, next.find('?')), 120) +
                                "); refusing to send our token there");
    call.url = next;  // absolute, used as given (never parse $skiptoken)
  }
  return Status::corruption("Graph paging did not end after " + std::to_string(options_.max_pages) +
                            " pages");
}

}  // namespace cspwatch::msapi
