// SPDX-License-Identifier: Apache-2.0
#include "alerts/route_outputs.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "common/text.h"
#include "msapi/http_client.h"

namespace cspwatch::alerts {

namespace {

// Query keys whose values are credentials: Logic Apps' and Azure's SAS "sig", and the usual
// names of tokens and keys in webhook URLs.
bool secretKey(const std::string& key) {
  static const std::vector<std::string> kKeys = {
      "sig",    "signature", "token",  "access_token",  "key",     "api_key",
      "apikey", "code",      "secret", "client_secret", "password"};
  const std::string k = toLowerAscii(key);
  for (const auto& s : kKeys)
    if (k == s) return true;
  return false;
}

}  // namespace

std::string outputTarget(const std::string& channel, const std::string& route, size_t index) {
  return channel + ":" + route + ":" + std::to_string(index);
}

Status checkOutputUrl(const std::string& url) {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception&) {
    return Status::invalidArgument("not a URL");
  }
  const std::string scheme = toLowerAscii(uri.getScheme());
  if (scheme != "https" && scheme != "http") return Status::invalidArgument("not an https:// URL");
  if (uri.getHost().empty()) return Status::invalidArgument("the URL has no host");
  if (scheme == "http" && !msapi::isLoopbackUrl(url))
    return Status::invalidArgument(
        "plain http is allowed only to a loopback host (127.0.0.1, [::1]); use https://");
  return Status::ok();
}

std::string urlForDisplay(const std::string& url) {
  try {
    const Poco::URI uri(url);
    std::string host = uri.getHost();
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::string out = toLowerAscii(uri.getScheme()) + "://" + host;
    // Poco gives the scheme's well-known port when none is written: shown only when it differs.
    const bool default_port = (uri.getScheme() == "https" && uri.getPort() == 443) ||
                              (uri.getScheme() == "http" && uri.getPort() == 80);
    if (!default_port) out += ":" + std::to_string(uri.getPort());
    return out + uri.getPath();
  } catch (const Poco::Exception&) {
    return "(not a URL)";
  }
}

std::vector<std::string> urlSecrets(const std::string& url) {
  std::vector<std::string> out;
  try {
    const Poco::URI uri(url);
    if (!uri.getUserInfo().empty()) out.push_back(uri.getUserInfo());
    if (!uri.getRawQuery().empty()) out.push_back(uri.getRawQuery());
    for (const auto& [key, value] : uri.getQueryParameters())
      if (secretKey(key) && !value.empty()) out.push_back(value);
  } catch (const Poco::Exception&) {
    out.push_back(url);  // not a URL: all of it, to be safe
  }
  return out;
}

bool urlHasSecret(const std::string& url) {
  try {
    const Poco::URI uri(url);
    if (!uri.getUserInfo().empty()) return true;
    for (const auto& [key, value] : uri.getQueryParameters())
      if (secretKey(key) && !value.empty()) return true;
  } catch (const Poco::Exception&) {
  }
  return false;
}

}  // namespace cspwatch::alerts
