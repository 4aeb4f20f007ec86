// SPDX-License-Identifier: Apache-2.0
#include "alerts/transport.h"

#include "common/file_util.h"

namespace cspwatch::alerts {

std::string FileTransport::pathFor(const std::string& message_id) const {
  std::string name;
  for (char c : message_id)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '-' || c == '@')
      name += c;
  return dir_ + "/" + (name.empty() ? "message" : name) + ".eml";
}

Delivery FileTransport::deliver(const OutgoingMessage& message) {
  // Message ids are predictable (alerts::stableMessageId), so the file's name is too: it is
  // safe because writeFileAtomically never writes through a link at that name or any other,
  // and makeTransport refuses a directory someone else could write in (common/file_safety.h).
  Status s = writeFileAtomically(pathFor(message.message_id), message.body, 0640);
  if (!s) return {false, false, s.message()};
  return {true, false, "written to " + pathFor(message.message_id)};
}

}  // namespace cspwatch::alerts
