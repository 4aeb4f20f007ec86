// SPDX-License-Identifier: Apache-2.0
// Delivers the outbox's webhook events and Teams cards (docs/alerts.md#outputs): one HTTPS POST
// of the message's body to the URL its target names, through msapi/http_client.h (certificates
// always verified, the configured proxy, plain http only to a loopback host).
//
// A webhook event is signed: X-Cspwatch-Signature: sha256=<HMAC-SHA256 of the exact body with
// the output's secret>, with X-Cspwatch-Event, X-Cspwatch-Event-Id and Idempotency-Key (the
// event's id). A Teams card is posted as it is (its URL carries its signature).
//
// The answer: any 2xx is delivered (Teams Workflows answers 202 Accepted); 408, 429, 5xx, a
// connection that fails or times out are temporary (retried with the outbox's backoff, and no
// sooner than a Retry-After); any other status is permanent, kept with the status and the start
// of the answer (redacted, on one line). A target the configuration no longer has is a
// permanent failure that says so; an output whose secret cannot be read now is temporary.
// Every URL's secrets and every webhook secret are registered with common/redact.h when the
// transport is made, so no log line or stored answer shows them. Thread-compatible: one
// transport per sender.
#pragma once

#include <map>
#include <string>

#include "alerts/transport.h"
#include "msapi/http_client.h"

namespace cspwatch::alerts {

// Where one target posts, as the configuration in force says.
struct HttpOutput {
  std::string channel;  // kChannelWebhook or kChannelTeams
  std::string url;
  std::string secret;  // webhook: the HMAC key
  // Set when the output cannot be used now (its secret file cannot be read): why. Delivery is
  // then a temporary failure with this reason, tried again later.
  std::string unusable;
};

// How long an answer's text may be in the outbox and the log.
inline constexpr size_t kAnswerMax = 300;

class HttpPostTransport final : public Transport {
 public:
  // `outputs` by target ("webhook:<route>:<N>"). Registers their secrets (common/redact.h).
  HttpPostTransport(std::map<std::string, HttpOutput> outputs, msapi::HttpOptions options);
  Delivery deliver(const OutgoingMessage& message) override;

 private:
  std::map<std::string, HttpOutput> outputs_;
  msapi::HttpClient client_;
};

// HTTP options for posting to outputs over `network`: shorter timeouts than the APIs' (a
// receiver that takes over 30 s is retried later), and a small answer limit.
msapi::HttpOptions outputHttpOptions(msapi::NetworkOptions network);

// Retry-After's value as a wait from `now`: delta-seconds or an HTTP date; nullopt when absent
// or unreadable. At most a day.
std::optional<Seconds> retryAfter(const std::string& value, Timestamp now);

}  // namespace cspwatch::alerts
