// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the libFuzzer targets (fuzz/*_fuzz.cpp): fixed tenants, partner and clock
// to evaluate what a fuzz input compiles to, and checks of the contracts every loader promises
// (diagnostics that render, positions that point into the text). A broken contract aborts with
// a message, which libFuzzer reports as a crash and saves with the input that caused it.
//
// Nothing here touches the network or the file system: the fixtures are text in this binary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/diagnostic.h"
#include "common/partner.h"
#include "common/time.h"
#include "tenants/tenant.h"

namespace cspwatch::fuzz {

// The fuzz input as text (any bytes, NULs included).
std::string asText(const uint8_t* data, size_t size);

// Three tenants in the tenant model's JSON form, decoded once: a healthy one with every part
// known, one whose Graph parts could not be read (errors in the rules) with odd admin
// relationships, and one known only from the inventory (every optional part unknown).
const std::vector<tenants::Tenant>& fixtureTenants();
const PartnerIdentity& fixturePartner();
Timestamp fixtureNow();

// Reports `what` on stderr and aborts (libFuzzer saves the input as a crash).
[[noreturn]] void fail(const std::string& what);

// Lines in `text` as positions count them: a line ends at LF, CRLF or a lone CR (the CSV
// reader and the diagnostic renderer agree on this).
int lineCount(const std::string& text);

// Every diagnostic renders; every position is 0 (unknown) or 1-based, and a line in a file of
// `texts` (file name -> text) is at most one past its last line break. Columns are only checked
// to be >= 0: yaml-cpp counts them in its decoded UTF-8, not in the file's bytes.
void checkDiagnostics(const Diagnostics& diags,
                      const std::vector<std::pair<std::string, const std::string*>>& texts);

}  // namespace cspwatch::fuzz
