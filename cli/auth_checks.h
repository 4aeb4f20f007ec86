// SPDX-License-Identifier: Apache-2.0
// `cspwatch auth status` (docs/cli.md#cspwatch-auth-status): one request per permission a scan
// needs, made through msapi::ApiClient as the scan makes it (pacing, retries, the byte-order
// mark, paging, the same token kind), and what each answer proves:
//  - ok: it worked (and, where Microsoft hides data instead of refusing, the data came back);
//  - MISSING: refused (401/403, or a sign-in to the customer tenant refused), or the data
//    withheld: a permission, role or consent is missing, and the fix names it;
//  - FAILED: anything else (a sign-in that failed, a fault, an unexpected answer);
//  - skipped: not called, and why (a public client has no app-only sign-in; Graph mail would
//    send a message).
// Nothing here prints a token or a secret: details are the services' answers and our messages.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "msapi/api_client.h"
#include "msapi/token_provider.h"

namespace cspwatch::cli {

enum class CheckResult { kOk, kMissing, kFailed, kSkipped };
// "ok", "MISSING", "FAILED", "skipped" (the table); lower-case in JSON.
std::string checkResultName(CheckResult result);

// The checks, in the order they run.
enum class CheckId {
  kGraphAppSignIn,          // client credentials for Graph in our tenant
  kPartnerCenterAppSignIn,  // client credentials for Partner Center in our tenant
  kUserSignIn,              // the partner user's refresh token in our tenant
  kCustomerList,            // Partner Center GET /v1/customers?size=1
  kRelationshipRequests,    // Partner Center GET /v1/customers/relationshiprequests
  kAdminRelationships,      // Graph GET tenantRelationships/delegatedAdminRelationships?$top=1
  kTenantInformation,       // Graph GET findTenantInformationByTenantId(our tenant)
  kOrganization,            // Graph GET /organization in one customer tenant
  kPartners,                // Graph GET policies/crossTenantAccessPolicy/partners there
  kCustomerDetails,         // Partner Center GET /v1/customers/{id}
  kSendMail,                // Graph sendMail: never called
};

// Which token a check is made with, as the scan makes that call.
enum class Via {
  kAppOnly,         // client credentials in our tenant (a public client: the partner user)
  kUser,            // the partner user (App+User); App+User only
  kAsScan,          // App+User when signed in, else app-only (Partner Center, our tenant)
  kCustomerTenant,  // in the customer tenant: App+User through GDAP when a refresh token is
                    // configured, else app-only there
  kNone,            // a sign-in itself, or not called
};

// One check: what it calls and what it proves, called app-only or on behalf of the user.
struct CheckSpec {
  CheckId id;
  const char* what;
  const char* permission_app;   // what an app-only call proves ("" when never app-only)
  const char* permission_user;  // what an App+User call proves ("" when never App+User)
  Via via;
};
// Every check, in order. Pure.
const std::vector<CheckSpec>& authChecks();

// One row of the report.
struct CheckRow {
  std::string check;       // what was called, and how
  std::string permission;  // the permission, role or consent it proves
  CheckResult result = CheckResult::kSkipped;
  std::string detail;  // the answer, or why it was not called
  std::string fix;     // for anything not ok: one line saying how to fix it ("" when nothing)
};

struct AuthCheckSettings {
  std::string partner_tenant_id;
  std::string partner_center_url;
  std::string graph_url;
  bool public_client = false;
  std::string refresh_token_file;  // "" when none is configured
  std::string customer_tenant;     // --tenant; "": the first customer of the list
  bool graph_mail = false;         // alerts.transport: graph
};

// Runs every check, one after the other; `tokens` and `api` as a scan builds them.
std::vector<CheckRow> runAuthChecks(const AuthCheckSettings& settings, msapi::TokenProvider& tokens,
                                    msapi::ApiClient& api);

// Whether every check that ran is ok (skipped ones do not count).
bool allRanOk(const std::vector<CheckRow>& rows);

// The report: `signs_in` is the first line ("app ... signing in with ..."); then one block per
// check, and where to fix what is not ok.
void printAuthChecks(std::ostream& out, const std::string& signs_in,
                     const std::vector<CheckRow>& rows);
// {"schema_version": 1, "app": client_id, "checks": [{"check", "permission", "result",
// "detail", "fix"}]}, `result` one of ok, missing, failed, skipped.
std::string authChecksJson(const std::string& client_id, const std::vector<CheckRow>& rows);

}  // namespace cspwatch::cli
