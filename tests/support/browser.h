// SPDX-License-Identifier: Apache-2.0
// A test playing the partner user's browser in `cspwatch auth login`: it opens the authorize URL
// on the simulator without following the redirect, then goes where the Location header says
// (cspwatch's loopback listener), as a browser would after the sign-in.
#pragma once

#include <regex>
#include <string>

#include "common/text.h"
#include "tests/support/http_client.h"

namespace cspwatch::testing {

struct BrowserVisit {
  int authorize_status = 0;    // the simulator's answer: 302, or an error page
  std::string location;        // where it sent the browser
  std::string authorize_body;  // its page (an error page when it did not redirect)
  int landing_status = 0;      // the listener's answer (0 when not visited)
  std::string landing_body;    // the listener's page
};

// The first authorize URL in `text` (cspwatch's output).
inline std::string authorizeUrlIn(const std::string& text) {
  static const std::regex kUrl(
      "http://127\\.0\\.0\\.1:[0-9]+/login/[^ \\n]*/oauth2/v2\\.0/authorize\\?[^ \\n]*");
  std::smatch m;
  return std::regex_search(text, m, kUrl) ? m.str() : std::string();
}

// `localhost` as a browser reaches it: the test machine's resolver may list ::1 first, where the
// listener (127.0.0.1) is not; browsers fall back to 127.0.0.1 on their own.
inline std::string viaIpv4Loopback(std::string url) {
  return replaceAll(std::move(url), "http://localhost:", "http://127.0.0.1:");
}

// Opens `authorize_url`; when it redirects and `follow` is true, visits the Location.
inline BrowserVisit visitAuthorize(const std::string& authorize_url, bool follow = true) {
  BrowserVisit v;
  HttpResult a = httpRequest("GET", authorize_url);
  v.authorize_status = a.status;
  v.authorize_body = a.body;
  auto it = a.headers.find("location");
  if (it != a.headers.end()) v.location = it->second;
  if (follow && a.status == 302 && !v.location.empty()) {
    HttpResult l = httpRequest("GET", viaIpv4Loopback(v.location));
    v.landing_status = l.status;
    v.landing_body = l.body;
  }
  return v;
}

}  // namespace cspwatch::testing
