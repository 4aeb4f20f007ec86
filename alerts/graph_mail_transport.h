// SPDX-License-Identifier: Apache-2.0
// Delivers alert emails through Microsoft Graph: POST {graph_url}/v1.0/users/{mailbox}/sendMail
// in MIME format, as the partner tenant's mailbox, with an app-only token (application
// permission Mail.Send) from the same app credentials and token machinery the Partner Center
// source uses.
//
// The finished message is sent unchanged (base64 of the RFC 5322 text, Content-Type
// text/plain), so its Message-ID, multipart/alternative parts and headers reach the recipients
// as rendered. In MIME format Graph always saves the message to the mailbox's Sent Items:
// saveToSentItems is a parameter of the JSON format only (the sources are cited in the .cpp).
//
// Outcomes: 202 is delivered; 429, 5xx, timeouts, dropped connections and sign-in failures are
// temporary (no waiting here: the outbox retries with its own backoff); a 401 gets one fresh
// token and one more try; 400, 403, 404 and other 4xx are permanent, the reply carrying
// Graph's error code and message. No secret or token reaches a reply or a log line.
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "alerts/transport.h"
#include "common/status.h"
#include "msapi/http_client.h"
#include "msapi/token_provider.h"

namespace cspwatch::alerts {

struct GraphMailSettings {
  std::string mailbox;    // UPN or object id of the sending mailbox, e.g. alerts@partner.example
  std::string graph_url;  // https://graph.microsoft.com, or the cloud's (a loopback URL in tests)
  msapi::NetworkOptions network{};  // proxy, no_proxy and ca_file for the HTTPS to Graph
};

class GraphMailTransport final : public alerts::Transport {
 public:
  // Signs in with `credentials` (the app's, as msapi/configured_credentials.h reads them; its
  // partner_tenant_id is the tenant whose mailbox sends) and sends through `settings`. Fails
  // on an empty or malformed mailbox or tenant id, a Graph URL that is not https (loopback
  // aside) or a public client (no secret or certificate); nothing is sent until deliver().
  static Result<std::unique_ptr<GraphMailTransport>> create(msapi::Credentials credentials,
                                                            GraphMailSettings settings);
  ~GraphMailTransport() override;
  GraphMailTransport(const GraphMailTransport&) = delete;
  GraphMailTransport& operator=(const GraphMailTransport&) = delete;

  alerts::Delivery deliver(const alerts::OutgoingMessage& message) override;

  // The sendMail URL messages are posted to (the mailbox percent-encoded).
  const std::string& url() const;

 private:
  struct Impl;
  explicit GraphMailTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cspwatch::alerts
