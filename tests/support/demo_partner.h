// SPDX-License-Identifier: Apache-2.0
// The `partner` section of the demo configuration (etc/demo/cspwatch.yaml), for tests that
// scan the demo inventory with a config of their own.
#pragma once

#include <string>

namespace cspwatch::testing {

inline const std::string kDemoPartnerYaml =
    "partner:\n"
    "  name: Northwind IT Services\n"
    "  tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n"
    "  mpn_ids: [\"5123456\"]\n"
    "  distributor_tenant_ids: [8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73]\n"
    "  trusted_partner_tenant_ids: [b7e4d1a9-2c6f-4b83-9e05-7a1d3c8f2e56]\n"
    "  email_domains: [northwind-it.com.au]\n";

}  // namespace cspwatch::testing
