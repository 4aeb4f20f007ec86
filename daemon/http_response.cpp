// SPDX-License-Identifier: Apache-2.0
#include "daemon/http_response.h"

#include <sstream>

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Timestamp.h>

#include "common/text.h"

namespace cspwatch::daemon {

HttpResponse errorResponse(int status) {
  HttpResponse r;
  r.status = status;
  r.body = toLowerAscii(Poco::Net::HTTPResponse::getReasonForStatus(
               static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status))) +
           "\n";
  return r;
}

// Poco writes the status line and the fields; only the body is added here.
std::string serializeResponse(const HttpResponse& r, bool head_only, bool keep_alive) {
  Poco::Net::HTTPResponse resp(Poco::Net::HTTPMessage::HTTP_1_1,
                               static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
  resp.setDate(Poco::Timestamp());
  resp.setContentType(r.content_type);
  resp.set("Cache-Control", "no-store");
  resp.set("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : r.headers) resp.set(name, value);
  resp.setContentLength64(static_cast<Poco::Int64>(r.body.size()));
  resp.setKeepAlive(keep_alive);
  std::ostringstream out;
  resp.write(out);
  if (!head_only) out << r.body;
  return out.str();
}

}  // namespace cspwatch::daemon
