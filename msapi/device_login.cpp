// SPDX-License-Identifier: Apache-2.0
#include "msapi/device_login.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include "common/file_util.h"
#include "common/logging.h"
#include "common/redact.h"
#include "msapi/cloud.h"
#include "msapi/encoding.h"
#include "msapi/token_provider.h"

namespace cspwatch::msapi {

namespace {

Result<Poco::JSON::Object::Ptr> post(const HttpClient& http, const std::string& url,
                                     const std::string& form, int& status) {
  auto resp = http.send(
      {"POST", url, {{"Accept", "application/json"}}, form, "application/x-www-form-urlencoded"});
  if (!resp) return resp.status();
  status = resp->status;
  try {
    return Poco::JSON::Parser().parse(resp->body).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return Status::unavailable("the sign-in service answered HTTP " + std::to_string(resp->status) +
                               " without JSON");
  }
}

}  // namespace

Status deviceLogin(const DeviceLoginOptions& o, const HttpClient& http, const Clock& clock,
                   Cancellation& cancel, const std::function<void(const std::string&)>& tell) {
  const std::string scope = userImpersonationScope(o.partner_center_url) + " offline_access";
  const std::string base = o.login_url + "/" + o.tenant + "/oauth2/v2.0/";
  int status = 0;
  // A public client: the client id alone, never a secret or an assertion.
  auto start = post(http, base + "devicecode",
                    "client_id=" + formEncode(o.client_id) + "&scope=" + formEncode(scope), status);
  if (!start) return start.status();
  if (status != 200)
    return Status::invalidArgument(
        "device sign-in refused (" +
        outsideText((*start)->optValue<std::string>("error", "error"), 100) + "): " +
        entraErrorLine((*start)->optValue<std::string>("error_description",
                                                       "HTTP " + std::to_string(status))));
  const std::string device_code = (*start)->optValue<std::string>("device_code", "");
  registerRotatingSecret(device_code);
  // The service's words, shown to the user: redacted like any text from outside.
  tell(redactSecrets((*start)->optValue<std::string>(
      "message", "Open " + (*start)->optValue<std::string>("verification_uri", "") +
                     " and enter the code " + (*start)->optValue<std::string>("user_code", ""))));
  const int interval = o.poll_seconds.value_or((*start)->optValue<int>("interval", 5));
  const Timestamp deadline = clock.now() + Seconds(o.max_wait_seconds);
  while (clock.now() < deadline) {
    if (!cancel.sleepFor(std::chrono::seconds(interval)))
      return Status::aborted("sign-in cancelled");
    auto poll = post(http, base + "token",
                     "grant_type=" + formEncode("urn:ietf:params:oauth:grant-type:device_code") +
                         "&client_id=" + formEncode(o.client_id) +
                         "&device_code=" + formEncode(device_code),
                     status);
    if (!poll) continue;  // a transient failure: poll again
    if (status >= 500 || status == 429) continue;
    const std::string error = (*poll)->optValue<std::string>("error", "");
    if (status == 200) {
      const std::string refresh = (*poll)->optValue<std::string>("refresh_token", "");
      registerRotatingSecret((*poll)->optValue<std::string>("access_token", ""));
      if (refresh.empty())
        return Status::unavailable(
            "signed in, but no refresh token came back (is offline_access consented?)");
      registerRotatingSecret(refresh);
      return writeFileAtomically(o.refresh_token_file, refresh + "\n", 0600);
    }
    if (error == "authorization_pending" || error == "slow_down") continue;
    const std::string said =
        "(" + outsideText(error, 100) +
        "): " + entraErrorLine((*poll)->optValue<std::string>("error_description", ""));
    if (error == "invalid_client")
      // AADSTS7000218 at the poll: the app registration does not allow public client flows
      // (MicrosoftDocs/azure-docs#31986).
      return Status::invalidArgument(
          "Entra ID refused the device code sign-in " + said +
          ". The app registration does not allow public client flows: turn on \"Allow public "
          "client flows\" (Authentication) for a public client, or set public_client: false so "
          "that 'cspwatch auth login' signs in as a confidential app with the authorization "
          "code");
    return Status::invalidArgument("sign-in failed " + said);
  }
  return Status::unavailable("sign-in was not completed within " +
                             std::to_string(o.max_wait_seconds) + " s");
}

}  // namespace cspwatch::msapi
