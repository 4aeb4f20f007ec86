// SPDX-License-Identifier: Apache-2.0
// Rule tests (`cspwatch rules test`): `*.test.yaml` files that pair tenant fixtures with the
// outcome each rule must give, so an operator can test an edit before reloading the daemon.
// Format (docs/rules.md#rule-tests):
//
//   partner: {name: ..., tenant_id: ..., email_domains: [...]}   # optional; else the config's
//   now: 2026-11-25T00:00:00Z                                    # optional default for tests
//   rules: [dap-enabled, ...]            # optional: the rules '*' stands for; default: those
//                                        # of the file's own rule file (60-x.test.yaml ->
//                                        60-x.yaml)
//   fixtures:                                                    # optional named base tenants
//     healthy: {file: fixtures/healthy.json}                     # or an inline tenant
//   tests:
//     - name: our DAP left on
//       base: healthy                    # start from a fixture ...
//       tenant: {dap_enabled: true}      # ... and replace these top-level keys
//       # or: tenant_file: x.json [tenant_id: ...] (a tenant, or an inventory and an id)
//       expect:
//         dap-enabled: fail              # fail (tenant-level), pass, unknown,
//         gdap-expiring: {fail: [id1]}   # or the exact failing subjects
//         '*': pass                      # every rule of the file's scope not named above
#pragma once

#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/partner.h"

namespace cspwatch::cli {

struct RuleTestReport {
  Diagnostics diagnostics;  // invalid test files and rule-set errors
  std::string text;         // one line per test, then a summary
  size_t passed = 0;
  size_t failed = 0;
  bool ok() const { return !diagnostics.hasErrors() && failed == 0 && passed > 0; }
};

// Loads the rules found in `paths` (the whole set, as a scan would), then runs every test file
// found there. A test file's '*' covers only its scope: the rules its `rules:` names, or else
// those defined in its own rule file, so a new rule file never breaks another file's tests. A
// test file with neither is an error (rule-test.no-rule-file). `default_partner` (may be null)
// is used by test files without a `partner` section.
RuleTestReport runRuleTests(const std::vector<std::string>& paths,
                            const PartnerIdentity* default_partner);

}  // namespace cspwatch::cli
