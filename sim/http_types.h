// SPDX-License-Identifier: Apache-2.0
// The simulator's view of one HTTP exchange, independent of Poco so the API handlers are plain
// functions: a request in, a response out.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cspwatch::sim {

struct Request {
  std::string method;
  std::string path;                            // without the query, percent-decoded
  std::map<std::string, std::string> query;    // decoded; "$top" and friends keep their '$'
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string base_url;  // "http://127.0.0.1:PORT", for absolute links

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
};

struct Response {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json; charset=utf-8";

  static Response json(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
};

// Decodes application/x-www-form-urlencoded text.
std::map<std::string, std::string> parseForm(const std::string& body);

}  // namespace cspwatch::sim
