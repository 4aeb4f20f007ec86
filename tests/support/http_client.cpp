// SPDX-License-Identifier: Apache-2.0
#include "tests/support/http_client.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "common/text.h"

namespace cspwatch::testing {

HttpResult httpRequest(const std::string& method, const std::string& url,
                       const std::map<std::string, std::string>& headers, const std::string& body,
                       const std::string& content_type) {
  Poco::URI uri(url);
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest req(method, uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (method == "POST") {
    req.setContentType(content_type);
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  HttpResult r;
  r.status = resp.getStatus();
  for (const auto& [k, v] : resp) r.headers[toLowerAscii(k)] = v;
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

Poco::JSON::Object::Ptr parseObject(const std::string& text) {
  // Partner Center's bodies (and the simulator's) begin with a UTF-8 byte-order mark.
  const bool bom = text.rfind("\xEF\xBB\xBF", 0) == 0;
  return Poco::JSON::Parser().parse(bom ? text.substr(3) : text).extract<Poco::JSON::Object::Ptr>();
}

std::string urlEncode(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "&=+/:", out);
  return out;
}

}  // namespace cspwatch::testing
