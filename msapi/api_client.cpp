// SPDX-License-Identifier: Apache-2.0
#include "msapi/api_client.h"

#include <set>

#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>

#include "common/logging.h"
#include "common/text.h"

namespace cspwatch::msapi {

namespace {

// "HTTP 403: Authorization_RequestDenied: Insufficient privileges ..." from either service's
// error body; bodies are the services', never ours, so no secret can be in them.
std::string describe(const HttpResponse& r) {
  std::string what = "HTTP " + std::to_string(r.status);
  try {
    auto o = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
    if (o->has("error") && o->isObject("error")) {
      auto e = o->getObject("error");
      return what + ": " + e->optValue<std::string>("code", "") + ": " +
             e->optValue<std::string>("message", "");
    }
    if (o->has("description"))
      return what + ": " + o->optValue<std::string>("errorName", "") + ": " +
             o->getValue<std::string>("description");
    if (o->has("message")) return what + ": " + o->getValue<std::string>("message");
  } catch (const Poco::Exception&) {
  }
  return what;
}

}  // namespace

ApiClient::ApiClient(const HttpClient& http, TokenProvider& tokens, Cancellation& cancel,
                     ApiOptions options)
    : http_(http), tokens_(tokens), cancel_(cancel), options_(std::move(options)) {}

std::chrono::milliseconds ApiClient::backoff(int attempt) {
  const auto base = options_.backoff_base * (1LL << std::min(attempt, 16));
  std::lock_guard<std::mutex> lock(mutex_);
  const auto jitter = std::chrono::milliseconds(
      static_cast<int64_t>(rng_() % static_cast<uint64_t>(base.count() / 2 + 1)));
  return std::min(options_.backoff_max,
                  std::chrono::duration_cast<std::chrono::milliseconds>(base + jitter));
}

bool ApiClient::pace(const ApiCall& call) {
  const bool pc = call.api == Api::kPartnerCenter;
  const double rate = pc ? options_.pc_per_minute / 60.0 : options_.graph_per_10s / 10.0;
  // A full window's worth, as the services count: 500 a minute, 3,500 per 10 s.
  const double capacity = pc ? options_.pc_per_minute : options_.graph_per_10s;
  const std::string scope = (pc ? "pc|" : "graph|") + call.tenant;
  while (true) {
    double wait_s = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      auto it = buckets_.find(scope);
      if (it == buckets_.end()) it = buckets_.emplace(scope, Bucket{capacity, now}).first;
      Bucket& b = it->second;
      b.tokens =
          std::min(capacity, b.tokens + std::chrono::duration<double>(now - b.last).count() * rate);
      b.last = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return true;
      }
      wait_s = (1 - b.tokens) / rate;
    }
    if (!cancel_.sleepFor(std::chrono::duration<double>(wait_s))) return false;
  }
}

Result<HttpResponse> ApiClient::get(const ApiCall& call) {
  // One MS-RequestId for every attempt: the services use it to recognise a retry.
  const std::string request_id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  Status last = Status::unavailable("no attempt made");
  int fresh_tokens = 0;  // a 401 gets a fresh token, a few times at most
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (cancel_.cancelled()) return Status::aborted("shutting down");
    if (!pace(call)) return Status::aborted("shutting down");
    const Audience audience =
        call.api == Api::kPartnerCenter ? Audience::kPartnerCenter : Audience::kGraph;
    auto token = call.user ? tokens_.userToken(call.tenant, audience)
                           : tokens_.appToken(call.tenant, audience);
    if (!token) return token.status();
    HttpRequest req;
    req.url = call.url;
    req.headers = call.headers;
    req.headers.push_back({"Authorization", "Bearer " + *token});
    req.headers.push_back({"Accept", "application/json"});
    req.headers.push_back({"MS-RequestId", request_id});
    if (!options_.correlation_id.empty())
      req.headers.push_back({"MS-CorrelationId", options_.correlation_id});
    if (call.api == Api::kPartnerCenter) req.headers.push_back({"MS-Contract-Version", "v1"});
    bump(call.api, &ApiCounters::requests);
    if (attempt > 0) bump(call.api, &ApiCounters::retries);
    auto resp = http_.send(req);
    if (!resp) {
      if (resp.status().code() == Status::Code::kInvalidArgument)
        return resp.status();  // a bad URL
      last = resp.status();
      const auto wait = backoff(attempt);
      log().debug("{}: {}; retrying in {} ms", call.url.substr(0, call.url.find('?')),
                  last.message(), wait.count());
      if (!cancel_.sleepFor(wait)) return Status::aborted("shutting down");
      continue;
    }
    if (resp->status == 429) {
      bump(call.api, &ApiCounters::throttled);
      last = Status::unavailable(describe(*resp));
      int retry_after = 0;
      try {
        retry_after = std::stoi(resp->header("retry-after"));
      } catch (const std::exception&) {
      }
      const auto wait =
          retry_after > 0 ? std::chrono::milliseconds(retry_after * 1000LL) : backoff(attempt);
      log().debug("{}: throttled (429); waiting {} ms", call.url.substr(0, call.url.find('?')),
                  wait.count());
      if (!cancel_.sleepFor(wait)) return Status::aborted("shutting down");
      continue;
    }
    if (resp->status == 401 && fresh_tokens < 3) {
      // An expired or revoked token: drop it and try again with a fresh one. A 401 that
      // persists through fresh tokens is a real refusal and is returned.
      tokens_.invalidate(*token);
      ++fresh_tokens;
      last = Status::unavailable(describe(*resp));
      continue;
    }
    if (resp->status >= 500) {
      last = Status::unavailable(describe(*resp));
      if (!cancel_.sleepFor(backoff(attempt))) return Status::aborted("shutting down");
      continue;
    }
    return std::move(resp.value());
  }
  bump(call.api, &ApiCounters::failed);
  log().warn("{}: gave up after {} attempts: {}", call.url.substr(0, call.url.find('?')),
             options_.max_attempts, last.message());
  return Status::unavailable("gave up after " + std::to_string(options_.max_attempts) +
                             " attempts: " + last.message());
}

Result<Poco::JSON::Object::Ptr> ApiClient::getJson(const ApiCall& call) {
  // A body that does not parse (cut short) is retried like a dropped connection.
  std::string why;
  for (int round = 0; round < 3; ++round) {
    auto resp = get(call);
    if (!resp) return resp.status();
    if (resp->status == 404) return Status::notFound(describe(*resp));
    if (resp->status < 200 || resp->status >= 300) return Status::invalidArgument(describe(*resp));
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
      why = abbreviate(e.displayText(), 200);
    }
  }
  bump(call.api, &ApiCounters::failed);
  return Status::unavailable("the answer from " + call.url.substr(0, call.url.find('?')) +
                             " was not valid JSON, three times (" + why + ")");
}

namespace {

// Whether `next` (a next-page link from an answer) points at the server `from` was asked: same
// scheme, host and port. A link elsewhere would receive our bearer token with the request.
bool sameServer(const std::string& from, const std::string& next) {
  try {
    const Poco::URI a(from), b(next);
    return toLowerAscii(a.getScheme()) == toLowerAscii(b.getScheme()) &&
           toLowerAscii(a.getHost()) == toLowerAscii(b.getHost()) && a.getPort() == b.getPort();
  } catch (const Poco::Exception&) {
    return false;
  }
}

}  // namespace

Status ApiClient::pagePartnerCenter(
    ApiCall call, const std::function<void(const Poco::JSON::Array::Ptr&)>& page) {
  const std::string base = call.url.substr(0, call.url.find("/v1/"));
  std::set<std::string> seen;
  for (int n = 0; n < options_.max_pages; ++n) {
    auto body = getJson(call);
    if (!body) return body.status();
    if (!(*body)->isArray("items"))
      return Status::corruption("malformed answer from " + call.url.substr(0, call.url.find('?')) +
                                ": no 'items' list");
    page((*body)->getArray("items"));
    // The next page: links.next (URI and headers) or, failing that, the continuation token.
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
          next_headers.push_back(
              {h->optValue<std::string>("key", ""), h->optValue<std::string>("value", "")});
          if (toLowerAscii(next_headers.back().first) == "ms-continuationtoken")
            token = next_headers.back().second;
        }
      }
    }
    if (token.empty() && next_uri.empty()) return Status::ok();
    if (!seen.insert(token + "|" + next_uri).second)
      return Status::corruption(
          "Partner Center returned the same continuation twice; refusing to loop");
    if (next_uri.empty()) next_uri = "/v1/customers?seekOperation=Next";
    const std::string next_url = startsWith(next_uri, "http") ? next_uri : base + next_uri;
    if (!sameServer(call.url, next_url))
      return Status::corruption("Partner Center's next-page link points to another server (" +
                                abbreviate(next_url.substr(0, next_url.find('?')), 120) +
                                "); refusing to send our token there");
    call.url = next_url;
    call.headers = next_headers.empty() ? decltype(next_headers){{"MS-ContinuationToken", token}}
                                        : next_headers;
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
      return Status::corruption("malformed answer from " + call.url.substr(0, call.url.find('?')) +
                                ": no 'value' list");
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
