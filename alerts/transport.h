// SPDX-License-Identifier: Apache-2.0
// Where rendered messages go: the interface every transport implements (smtp, graph, file;
// docs/alerts.md), and the file transport, which writes each message as an .eml file (the demo's
// and --dry-run's default). A transport says whether a failure is worth retrying.
#pragma once

#include <string>

#include "common/status.h"

namespace cspwatch::alerts {

struct OutgoingMessage {
  std::string message_id;  // "<...@...>"
  std::string recipients;  // comma-separated
  std::string body;        // the whole RFC 5322 text
};

struct Delivery {
  bool delivered = false;
  bool permanent = false;  // a failure that retrying will not fix (5xx, refused recipient)
  std::string reply;       // the server's answer, for the log and the outbox
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
