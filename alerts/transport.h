// SPDX-License-Identifier: Apache-2.0
// Where rendered messages go: the interface every transport implements (smtp, graph, file;
// docs/alerts.md; webhooks and Teams: alerts/http_post_transport.h), and the file transport,
// which writes each message as an .eml file (the demo's and --dry-run's default). A transport
// says whether a failure is worth retrying, and may ask for a minimum wait before the retry.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "common/time.h"

namespace cspwatch::alerts {

struct OutgoingMessage {
  std::string message_id;         // "<...@...>"; a webhook event's id ("evt_..."), a Teams card's
  std::string recipients;         // comma-separated; an output's URL for display (urlForDisplay)
  std::string body;               // the whole RFC 5322 text; the JSON posted
  std::string channel = "email";  // "email", "webhook" or "teams" (alerts/route_outputs.h)
  // Initialised, so that the messages written {id, recipients, body} stay complete for
  // -Wmissing-field-initializers.
  std::string target = std::string();  // webhook and teams: "webhook:<route>:<N>", the output
  std::string kind = std::string();    // webhook: the event ("opened", ...); email: digest, ...
};

struct Delivery {
  bool delivered = false;
  bool permanent = false;  // a failure that retrying will not fix (5xx, refused recipient)
  std::string reply;       // the server's answer, for the log and the outbox
  // The server asked not to be tried again before this (HTTP Retry-After): the wait before the
  // next attempt is at least this long.
  std::optional<Seconds> retry_after = std::nullopt;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual Delivery deliver(const OutgoingMessage& message) = 0;
};

// Writes <dir>/<message id>.eml (atomically, mode 0640). Delivering the same message again
// rewrites the same file: a resend is visible as one file, never two.
class FileTransport final : public Transport {
 public:
  explicit FileTransport(std::string dir) : dir_(std::move(dir)) {}
  Delivery deliver(const OutgoingMessage& message) override;
  // The file a message goes to.
  std::string pathFor(const std::string& message_id) const;

 private:
  std::string dir_;
};

}  // namespace cspwatch::alerts
