// SPDX-License-Identifier: Apache-2.0
// Calls to Partner Center and Graph with the manners the services ask for
// (../shared/reference/microsoft-csp-apis.md, sections 2.8 and 5):
//  - pacing: per limit scope (Partner Center per partner, Graph per app and tenant), learnt from
//    the services' answers (msapi/pacer.h), so a scan runs close to the allowed rate, whatever
//    burst the service grants, with few requests throttled;
//  - retries: 429, 503 and 504 wait Retry-After (delta-seconds or an HTTP-date, at most
//    retry_after_max), else exponential backoff with jitter, as Graph's SDK retry handler
//    does; other 5xx, timeouts, dropped connections and truncated bodies back off likewise; a
//    bounded number of attempts with the same MS-RequestId; a 401 gets a fresh token (up to
//    three times);
//  - identity: every Graph attempt carries a fresh client-request-id GUID; a Graph request
//    that finally fails is logged with the request-id Graph answered (and our
//    client-request-id), so Microsoft support can find it;
//  - answers: a leading UTF-8 byte-order mark (Partner Center sends one) is dropped;
//  - paging: Partner Center's seek pages (links.next with its headers, else the continuation
//    token) and Graph's @odata.nextLink, refusing a server that loops or a link elsewhere.
// Every wait returns early on cancellation. Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/clock.h"
#include "msapi/cancellation.h"
#include "msapi/http_client.h"
#include "msapi/pacer.h"
#include "msapi/token_provider.h"

namespace cspwatch::msapi {

struct ApiOptions {
  int max_attempts = 6;
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{30000};
  // The pace used after the first 429 until the real rate has been measured (msapi/pacer.h).
  double pc_per_minute = 480;   // under the documented 500 a minute
  double graph_per_10s = 3000;  // under 3,500 per 10 s for a small tenant
  // What has been learnt of the limits; share one across scans to start each with it. Null: a
  // new one.
  std::shared_ptr<Pacer> pacer;
  int max_pages = 10000;       // a guard against a server that pages forever
  std::string correlation_id;  // MS-CorrelationId for every request of a scan
  // The longest single wait a Retry-After may ask for; a longer one is cut to this. Five
  // minutes: Graph and Partner Center ask for seconds, and a scan that waits six times this
  // for one call (max_attempts) still ends within the hour.
  std::chrono::seconds retry_after_max{300};
  const Clock* clock = nullptr;  // for Retry-After dates; nullptr: the system clock
};

struct ApiCounters {
  std::atomic<int64_t> requests{0}, retries{0}, throttled{0}, failed{0};
};

enum class Api { kPartnerCenter, kGraph };

// The wait a Retry-After header value asks for at `now`: delta-seconds ("120") or an HTTP-date
// (IMF-fixdate "Wed, 21 Oct 2015 07:28:00 GMT", or the obsolete RFC 850 and asctime forms).
// nullopt when it is missing, malformed, zero or in the past (then the caller backs off).
std::optional<std::chrono::milliseconds> parseRetryAfter(const std::string& value, Timestamp now);

// The URL a Partner Center link URI (links.next.uri, links.self.uri...) names, resolved as
// Microsoft's .NET SDK does (PartnerServiceProxy.BuildPartnerServiceApiUri): a path that does
// not start with the /v1 segment (case-insensitively) gets it, then it is taken below `root`,
// the configured partner_center_url (which may have a path of its own, as the simulator's
// .../pc). "/v1/customers?x", "/customers?x" and "customers?x" all give
// <root>/v1/customers?x. An absolute link is used as it is, but only on root's server (same
// scheme, host and port): anywhere else would receive our bearer token, and is an error.
Result<std::string> resolvePartnerCenterLink(const std::string& root, const std::string& link);

struct ApiCall {
  Api api = Api::kGraph;
  std::string url;
  std::string tenant;  // whose token: our partner tenant, or a customer tenant
  bool user = false;   // App+User (refresh-token) rather than app-only
  std::vector<std::pair<std::string, std::string>> headers;
};

class ApiClient {
 public:
  ApiClient(const HttpClient& http, TokenProvider& tokens, Cancellation& cancel,
            ApiOptions options = {});

  // The final answer after retries. A 4xx other than 401/429 is returned, not retried; an
  // error Status means every attempt failed (kUnavailable) or shutdown (kAborted).
  Result<HttpResponse> get(const ApiCall& call);
  // A 2xx answer parsed as a JSON object. HTTP errors become Status values whose message
  // starts "HTTP <status>": kNotFound for 404, kInvalidArgument for other 4xx.
  Result<Poco::JSON::Object::Ptr> getJson(const ApiCall& call);

  // Every page of a Partner Center seek collection, `items` handed to `page` in order. The first
  // call's URL is <partner_center_url>/v1/...: links resolve against the part before its /v1
  // (resolvePartnerCenterLink), and every links.next.headers pair is sent with the next page.
  // `items_optional`: an answer whose `items` is null or absent is an empty page (a customer's
  // relationships list when there are none), not a malformed answer.
  Status pagePartnerCenter(ApiCall first,
                           const std::function<void(const Poco::JSON::Array::Ptr&)>& page,
                           bool items_optional = false);
  // Every page of a Graph collection, `value` handed to `page` in order.
  Status pageGraph(ApiCall first, const std::function<void(const Poco::JSON::Array::Ptr&)>& page);

  const ApiCounters& counters() const { return counters_; }
  // The limit a call counts against, as the pacer names it: Partner Center per partner ("pc|"
  // and our tenant), Graph per app and tenant ("graph|" and the tenant).
  static std::string scopeOf(const ApiCall& call);
  const Pacer& pacer() const { return *options_.pacer; }
  // The same, for one API only.
  const ApiCounters& counters(Api api) const { return by_api_[static_cast<int>(api)]; }

 private:
  struct Attempts;  // one get()'s attempts: the request id, the last failure, fresh tokens

  // Waits for the pacer; the send time to report the answer with, or nullopt on shutdown.
  std::optional<double> pace(const ApiCall& call);
  void tellPacer(const ApiCall& call, double sent, const HttpResponse& r);
  std::chrono::milliseconds backoff(int attempt);
  // get()'s steps: the token for an attempt, the attempt itself, a fresh token after a 401
  // (true: try again at once), the wait before the next attempt that a failure or an answer
  // asks for (nullopt: the answer is final), and the end when every attempt failed.
  Result<std::string> tokenFor(const ApiCall& call);
  Result<HttpResponse> sendAttempt(Attempts& a, const std::string& token, int attempt);
  bool freshTokenFor401(Attempts& a, const HttpResponse& r, const std::string& token);
  std::chrono::milliseconds retryAfterFailure(Attempts& a, const Status& failure, int attempt);
  std::optional<std::chrono::milliseconds> retryAfterAnswer(Attempts& a, const HttpResponse& r,
                                                            int attempt);
  std::chrono::milliseconds throttledWait(Attempts& a, const HttpResponse& r, int attempt);
  Status giveUp(const Attempts& a);

  const HttpClient& http_;
  TokenProvider& tokens_;
  Cancellation& cancel_;
  ApiOptions options_;
  void bump(Api api, std::atomic<int64_t> ApiCounters::*field) {
    ++(counters_.*field);
    ++(by_api_[static_cast<int>(api)].*field);
  }
  ApiCounters counters_;
  ApiCounters by_api_[2];
  std::mutex mutex_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace cspwatch::msapi
