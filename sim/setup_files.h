// SPDX-License-Identifier: Apache-2.0
// --write-config: a complete cspwatch configuration whose sources point at this simulator,
// with the files it names written beside it (client secret and refresh token, both 0600; the
// world's inventory export). For a public client, `public_client: true` and no secret. One command
// then connects cspwatch to the simulator.
#pragma once

#include <string>

#include "common/status.h"
#include "sim/world.h"

namespace cspwatch::sim {

struct SetupFiles {
  std::string config_path;  // cspwatch.yaml; the other files go in its directory
  std::string base_url;     // http://127.0.0.1:PORT
  std::string client_id;
  std::string client_secret;
  std::string refresh_token;
  std::string rules_path = "/etc/cspwatch/rules.d";
  // The app is a public client: `public_client: true` and no client secret file.
  bool public_client = false;
};

Status writeSetupFiles(const SetupFiles& setup, const World& world);

}  // namespace cspwatch::sim
