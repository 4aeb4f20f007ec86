// SPDX-License-Identifier: Apache-2.0
// What `suppress add` needs beside the store (cli/cmd_suppress.cpp): a tenant named by id, name
// or default domain resolved against the tenants the last scan listed, the nearest matches for
// a target that covers nothing, and what a suppression covers in one line.
#pragma once

#include <string>
#include <vector>

#include "storage/finding_store.h"

namespace cspwatch::cli {

// --tenant TEXT: a tenant id (GUID, any case), or the display name or default domain (any case)
// of exactly one tenant in `known`. An id is taken as given, known or not (what it covers
// decides); a name or domain of no tenant, or of several, is an error naming the nearest
// tenants or the candidates.
struct TenantMatch {
  std::string tenant_id;  // "" when `error` says why
  std::string error;
};
TenantMatch resolveTenant(const std::string& text, const std::vector<storage::KnownTenant>& known);

// "Contoso Ltd (1111..., contoso.onmicrosoft.com)": a tenant as the messages name it.
std::string tenantLabel(const storage::KnownTenant& tenant);

// Up to `n` of `candidates` closest to `word` by edit distance (case-insensitive), closest
// first, ties in the candidates' order; none as far as the word's length (nothing in common).
std::vector<std::string> nearest(const std::string& word,
                                 const std::vector<std::string>& candidates, size_t n = 3);

// Up to 3 known tenants closest to `text` by id, name or default domain, as tenantLabel().
std::vector<std::string> nearestTenants(const std::string& text,
                                        const std::vector<storage::KnownTenant>& known);

// "3 open findings and 1 could-not-check item (Contoso Ltd: a; Fabrikam: b; Tailspin: could
// not be checked; and 1 more)": at most five named.
std::string coverageText(const storage::SuppressionCoverage& coverage);

}  // namespace cspwatch::cli
