// SPDX-License-Identifier: Apache-2.0
// A small HTTP client for tests that talk to servers on 127.0.0.1 (the simulator).
#pragma once

#include <map>
#include <string>

#include <Poco/JSON/Object.h>

namespace cspwatch::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
};

// `url` is absolute (http://127.0.0.1:PORT/...). A POST body is sent as `content_type`.
HttpResult httpRequest(const std::string& method, const std::string& url,
                       const std::map<std::string, std::string>& headers = {},
                       const std::string& body = "",
                       const std::string& content_type = "application/x-www-form-urlencoded");

// The JSON object in `text` (after a UTF-8 byte-order mark, if any); throws (failing the test)
// when it is not one.
Poco::JSON::Object::Ptr parseObject(const std::string& text);

// `s` percent-encoded for a form field or query value.
std::string urlEncode(const std::string& s);

}  // namespace cspwatch::testing
