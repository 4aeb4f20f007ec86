// SPDX-License-Identifier: Apache-2.0
// The tenant model as the rules engine sees it: the `tenant` variable's static type (checked
// when rules load) and the conversion of one Tenant into a Value (done once per tenant per
// scan, then shared by every rule).
//
// A part that could not be read becomes an Error value whose message names the part and the
// fetch problem's reason, so a rule touching it comes out unknown and says why. Optional
// fields that were not given become null. Field names are those of the JSON form
// (docs/tenant-model.md).
#pragma once

#include "common/value.h"
#include "tenants/tenant.h"

namespace cspwatch::tenants {

// The ObjectType of `tenant`; static, lives for the whole program.
const ObjectType& tenantType();

Value tenantToValue(const Tenant& tenant);

}  // namespace cspwatch::tenants
