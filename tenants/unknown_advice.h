// SPDX-License-Identifier: Apache-2.0
// A check that could not be made, in an admin's words (docs/alerts.md#could-not-be-checked): what
// cspwatch could not read, and the permission, role or access that would let it, without the
// model's internal names ("tenant.partners is unknown"). The full technical reason stays where
// it is (the scan's output, `cspwatch scans diff`); this is what a digest says. Pure.
//
// The reasons it reads are the ones this folder writes: a tenant field that could not be read
// (tenants/tenant_value.cpp: "tenant.<field> is unknown (<part> could not be read: <detail>)"),
// data a missing permission hides (tenants/read_advice.h), and a part of a tenant not read at all
// (Tenant::fetch_problems). The fix comes from read_advice.h's whatWouldFix(), or says to sign in
// again, or that the next scan tries again after a passing fault.
#pragma once

#include <string>

namespace cspwatch::tenants {

struct UnknownAdvice {
  // "the partners the customer's tenant lists (access was refused)"; never empty.
  std::string what;
  // "our GDAP relationship with this tenant needs Security Reader or Global Reader for ..."
  std::string fix;
};

// From a rule's unknown reason. A reason this folder did not write gets a general answer (the
// data the check needs; see the scan's output), not its text.
UnknownAdvice adviceForUnknown(const std::string& reason);

// From one of a tenant's read problems: its part ("partners", a partName()) and the reason the
// source gave.
UnknownAdvice adviceForPart(const std::string& part, const std::string& detail);

}  // namespace cspwatch::tenants
