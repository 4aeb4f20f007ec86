// SPDX-License-Identifier: Apache-2.0
// The app's credentials as the configuration gives them (docs/sources.md#credentials), for every
// place that signs in: scans, `auth login`, `auth status`, Graph mail. The client secret comes
// from client_secret_file (under systemd, the unit's credential), else $CSPWATCH_CLIENT_SECRET;
// or a certificate and its key; or nothing, for a public client.
#pragma once

#include <string>

#include "common/status.h"
#include "msapi/settings.h"
#include "msapi/token_provider.h"

namespace cspwatch::msapi {

struct ConfiguredCredentials {
  msapi::Credentials credentials;
  std::string how;              // "with the client secret from /etc/...", for people
  bool missing_secret = false;  // a confidential app with neither a secret nor a certificate
};

// Fails when the secret file cannot be read, or when a file it names or the refresh token's
// directory could be changed by someone other than this user and root (checkSignInFiles); the
// message names the file, never a secret.
Result<ConfiguredCredentials> configuredCredentials(const PartnerCenterConfig& pc,
                                                    const std::string& partner_tenant_id);

// The files the sign-in uses (the secret, or the key and certificate; the refresh token) and
// the refresh token's directory, checked by common/file_safety.h's rule; a missing file passes.
Status checkSignInFiles(const PartnerCenterConfig& pc);

// The error for a confidential app without a secret or certificate (missing_secret).
Status noClientSecret();

}  // namespace cspwatch::msapi
