// SPDX-License-Identifier: Apache-2.0
#include "msapi/configured_credentials.h"

#include <cstdlib>
#include <utility>
#include <vector>

#include "common/file_safety.h"
#include "common/file_util.h"
#include "common/text.h"

namespace cspwatch::msapi {

Status checkSignInFiles(const PartnerCenterConfig& pc) {
  std::vector<std::pair<std::string, std::string>> files;  // path, what
  if (!pc.public_client && !pc.client_key_file.empty()) {
    files.emplace_back(pc.client_key_file, "the client key file (client_key_file)");
    files.emplace_back(pc.client_certificate_file,
                       "the client certificate file (client_certificate_file)");
  } else if (!pc.public_client) {
    files.emplace_back(pc.client_secret_file, "the client secret file (client_secret_file)");
  }
  files.emplace_back(pc.refresh_token_file, "the refresh token file (refresh_token_file)");
  for (const auto& [path, what] : files)
    if (Status s = checkSecretFile(path, what); !s) return s;
  if (!pc.refresh_token_file.empty())
    return checkPrivateDirectory(parentDirectory(pc.refresh_token_file),
                                 "the refresh token's directory");
  return Status::ok();
}

Result<ConfiguredCredentials> configuredCredentials(const PartnerCenterConfig& pc,
                                                    const std::string& partner_tenant_id) {
  ConfiguredCredentials out;
  msapi::Credentials& c = out.credentials;
  c.login_url = pc.login_url;
  c.client_id = pc.client_id;
  c.certificate_file = pc.client_certificate_file;
  c.key_file = pc.client_key_file;
  c.refresh_token_file = pc.refresh_token_file;
  c.retry_base = pc.backoff_base;
  c.partner_center_url = pc.partner_center_url;
  c.graph_url = pc.graph_url;
  c.partner_tenant_id = partner_tenant_id;
  c.public_client = pc.public_client;  // no secret: every call as the partner user
  // Every file the sign-in reads or writes must be one only this user or root can change
  // (common/file_safety.h), before any is used: the refresh token is rewritten in its
  // directory at every rotation, and that directory is the state directory.
  if (Status s = checkSignInFiles(pc); !s) return s;
  if (pc.public_client) {
    out.how = "as a public client: no secret or certificate, every call as the partner user";
  } else if (!pc.client_key_file.empty()) {
    out.how = "with the certificate " + pc.client_certificate_file;
  } else if (!pc.client_secret_file.empty()) {
    auto secret =
        readSecretFile(pc.client_secret_file, "the client secret file (client_secret_file)");
    if (!secret)
      return Status::unavailable("cannot read the client secret: " + secret.status().message());
    c.client_secret = std::move(*secret);
    out.how = "with the client secret from " + pc.client_secret_file;
  } else if (const char* env = std::getenv(kClientSecretEnv)) {
    c.client_secret = env;
    out.how = std::string("with the client secret from $") + kClientSecretEnv;
  } else {
    out.how = "with no client secret";
    out.missing_secret = true;
  }
  return out;
}

Status noClientSecret() {
  return Status::invalidArgument(
      std::string("no client secret: a confidential app (public_client: false) signs in with its "
                  "secret or certificate; set client_secret_file, ") +
      kClientSecretEnv + " or client_certificate_file and client_key_file");
}

}  // namespace cspwatch::msapi
