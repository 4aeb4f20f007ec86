// SPDX-License-Identifier: Apache-2.0
// The tenant model's JSON form (docs/tenant-model.md), used by inventory files, fixtures,
// `--format json`, rule tests and the simulator's world files.
//
// Reading goes through yaml-cpp, which parses JSON as well as YAML and keeps the line and column
// of every value: a wrong field in a 2,000-tenant inventory is reported at its exact position,
// and rule tests can write tenant fixtures inline in YAML with the same decoder.
// Writing uses Poco::JSON with keys in model order. Unknown parts are written as null and
// read back as unknown; absent keys also read as unknown.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>
#include <yaml-cpp/yaml.h>

#include "common/diagnostic.h"
#include "tenants/tenant.h"

namespace cspwatch::tenants {

// Decodes one tenant. Problems go to `diags` with codes "<code_prefix>.<kind>" and positions in
// `file`; returns nullopt if the record has any error (the caller reports and skips it).
// Accepts the inventory spellings too: tenant_id (= id), domain (= default_domain) and
// admin_email (a contact with purpose admin_credentials from the inventory).
std::optional<Tenant> tenantFromNode(const YAML::Node& node, const std::string& file,
                                     const std::string& code_prefix, Diagnostics& diags);

Poco::JSON::Object::Ptr tenantToJson(const Tenant& tenant);
// Pretty-printed with 2-space indent when `pretty`, else on one line.
std::string tenantsToJsonText(const std::vector<Tenant>& tenants, bool pretty);
std::string jsonText(const Poco::Dynamic::Var& value, bool pretty);

}  // namespace cspwatch::tenants
