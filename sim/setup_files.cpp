// SPDX-License-Identifier: Apache-2.0
#include "sim/setup_files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "common/file_util.h"

namespace cspwatch::sim {

Status writeSetupFiles(const SetupFiles& s, const World& world) {
  const size_t slash = s.config_path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : s.config_path.substr(0, slash);
  const auto join = [&](const char* name) { return dir + "/" + name; };
  if (!s.public_client)
    if (Status st = writeFileAtomically(join("client_secret"), s.client_secret + "\n", 0600); !st)
      return st;
  if (Status st = writeFileAtomically(join("refresh_token"), s.refresh_token + "\n", 0600); !st)
    return st;
  if (Status st = writeFileAtomically(join("inventory.json"), inventoryJson(world), 0644); !st)
    return st;
  auto list = [](const std::vector<std::string>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::string("\"") + v[i] + "\"";
    return out + "]";
  };
  const PartnerIdentity& p = world.partner;
  std::string yaml =
      "# Written by cspwatch-sim --write-config: cspwatch against the simulator at " + s.base_url +
      ".\n"
      "partner:\n"
      "  name: \"" +
      p.name +
      "\"\n"
      "  tenant_id: " +
      p.tenant_id +
      "\n"
      "  mpn_ids: " +
      list(p.mpn_ids) +
      "\n"
      "  distributor_tenant_ids: " +
      list(p.distributor_tenant_ids) +
      "\n"
      "  trusted_partner_tenant_ids: " +
      list(p.trusted_partner_tenant_ids) +
      "\n"
      "  email_domains: " +
      list(p.email_domains) +
      "\n"
      "sources:\n"
      "  partner_center:\n"
      "    login_url: " +
      s.base_url +
      "/login\n"
      "    partner_center_url: " +
      s.base_url +
      "/pc\n"
      "    graph_url: " +
      s.base_url +
      "/graph\n"
      "    client_id: " +
      s.client_id + "\n" +
      (s.public_client ? "    public_client: true\n" : "    client_secret_file: client_secret\n") +
      "    refresh_token_file: refresh_token\n" +
      "  inventory:\n"
      "    path: inventory.json\n"
      "storage:\n"
      "  path: cspwatch.db\n"
      "rules:\n"
      "  paths: [" +
      s.rules_path +
      "]\n"
      "schedule:\n"
      "  interval: 1h\n";
  return writeFileAtomically(s.config_path, yaml, 0644);
}

}  // namespace cspwatch::sim
