// SPDX-License-Identifier: Apache-2.0
// Calls to Partner Center and Graph with the manners the services ask for
// (../shared/reference/microsoft-csp-apis.md, sections 2.8 and 5):
//  - pacing: a client-side token bucket per limit scope (Partner Center per partner, Graph per
//    app and tenant), so a scan runs close to the allowed rate without being throttled;
//  - retries: 429 waits Retry-After (else exponential backoff with jitter); 5xx, timeouts,
//    dropped connections and truncated bodies are retried a bounded number of times with the
//    same MS-RequestId; a 401 gets a fresh token (up to three times);
//  - paging: Partner Center's seek pages (continuation token and links.next headers) and
//    Graph's @odata.nextLink, refusing a server that loops.
// Every wait returns early on cancellation. Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "msapi/cancellation.h"
#include "msapi/http_client.h"
#include "msapi/token_provider.h"

namespace cspwatch::msapi {

struct ApiOptions {
  int max_attempts = 6;
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{30000};
  double pc_per_minute = 480;   // under the documented 500 a minute
  double graph_per_10s = 3000;  // under 3,500 per 10 s for a small tenant
  int max_pages = 10000;        // a guard against a server that pages forever
  std::string correlation_id;   // MS-CorrelationId for every request of a scan
};

struct ApiCounters {
  std::atomic<int64_t> requests{0}, retries{0}, throttled{0}, failed{0};
};

enum class Api { kPartnerCenter, kGraph };

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

  // Every page of a Partner Center seek collection, `items` handed to `page` in order.
  Status pagePartnerCenter(ApiCall first,
                           const std::function<void(const Poco::JSON::Array::Ptr&)>& page);
  // Every page of a Graph collection, `value` handed to `page` in order.
  Status pageGraph(ApiCall first, const std::function<void(const Poco::JSON::Array::Ptr&)>& page);

  const ApiCounters& counters() const { return counters_; }
  // The same, for one API only.
  const ApiCounters& counters(Api api) const { return by_api_[static_cast<int>(api)]; }

 private:
  bool pace(const ApiCall& call);
  std::chrono::milliseconds backoff(int attempt);

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
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  std::map<std::string, Bucket> buckets_;
};

}  // namespace cspwatch::msapi
