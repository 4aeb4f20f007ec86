// SPDX-License-Identifier: Apache-2.0
// The device-code flow: POST .../devicecode, its approval, and the token poll.
#include <Poco/JSON/Object.h>

#include "common/text.h"
#include "sim/login.h"
#include "tenants/tenant_json.h"

namespace cspwatch::sim {

Response LoginService::deviceCode(const std::string& tenant, const Request& request,
                                  Timestamp now) {
  auto form = parseForm(request.body);
  if (form["client_id"] != options_.client_id)
    return error(400, "unauthorized_client", 700016,
                 "Application with identifier '" + form["client_id"] +
                     "' was not found in the directory '" + tenant + "'.",
                 now);
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string device = randomToken("dc.");
  std::string user_code;
  for (int i = 0; i < 8; ++i) user_code += static_cast<char>('A' + rng_() % 26);
  user_code.insert(4, "-");
  devices_[device] =
      Device{user_code, toLowerAscii(tenant), form["scope"], now + Seconds(900), 0, false};
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("user_code", user_code);
  o->set("device_code", device);
  o->set("verification_uri", "https://microsoft.com/devicelogin");
  o->set("expires_in", 900);
  o->set("interval", 5);
  o->set(
      "message",
      "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter "
      "the code " +
          user_code + " to authenticate.");
  return Response::json(200, tenants::jsonText(o, false));
}

bool LoginService::approveDevice(const std::string& user_code) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [code, d] : devices_)
    if (d.user_code == user_code) {
      d.approved = true;
      return true;
    }
  return false;
}

Response LoginService::deviceToken(const std::string& tenant, const Request& request,
                                   std::map<std::string, std::string>& form, bool presented,
                                   Timestamp now) {
  // The device-code flow is a public client flow: refused at the poll for an app that does not
  // allow public client flows (MicrosoftDocs/azure-docs#31986), and a public client presents no
  // credential (AADSTS700025).
  if (!options_.allow_public_client_flows)
    return error(401, "invalid_client", 7000218,
                 "The request body must contain the following parameter: 'client_assertion' or "
                 "'client_secret'.",
                 now);
  if (presented)
    return error(401, "invalid_client", 700025,
                 "Client is public so neither 'client_assertion' nor 'client_secret' should be "
                 "presented.",
                 now);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = devices_.find(form["device_code"]);
  if (it == devices_.end())
    return error(400, "invalid_grant", 70000,
                 "The provided value for the 'device_code' is not valid.", now);
  Device& d = it->second;
  if (now >= d.expires)
    return error(400, "expired_token", 70020, "The device code has expired.", now);
  if (++d.polls >= 2 && options_.auto_approve_device) d.approved = true;
  if (!d.approved)
    return error(400, "authorization_pending", 70016,
                 "OAuth 2.0 device flow error. Authorization is pending. Continue polling.", now);
  const std::string scope = d.scope;
  devices_.erase(it);
  return issue(
      tenant, request, scope, false,
      scope.find("offline_access") != std::string::npos ? std::optional<bool>(true) : std::nullopt,
      now);
}

}  // namespace cspwatch::sim
