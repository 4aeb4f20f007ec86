// SPDX-License-Identifier: Apache-2.0
#include "cli/auth_checks.h"

#include <algorithm>
#include <optional>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/redact.h"
#include "common/text.h"
#include "tenants/answer_parsers.h"
#include "tenants/read_advice.h"
#include "tenants/tenant_json.h"

namespace cspwatch::cli {

namespace {

using msapi::Api;
using msapi::ApiCall;
using msapi::Audience;
using tenants::Call;

// "{tenant}" in a check's name stands for the customer tenant it is made in.
constexpr const char* kTenantMark = "{tenant}";

const std::vector<CheckSpec> kChecks = {
    {CheckId::kGraphAppSignIn, "Microsoft Graph, app-only sign-in, partner tenant",
     "the app's client secret or certificate (client credentials)", "", Via::kNone},
    {CheckId::kPartnerCenterAppSignIn, "Partner Center, app-only sign-in, partner tenant",
     "the app's client secret or certificate (client credentials)", "", Via::kNone},
    {CheckId::kUserSignIn, "Partner Center, App+User sign-in, partner tenant", "",
     "the partner user's refresh token (cspwatch auth login): Partner Center "
     "user_impersonation, consented",
     Via::kNone},
    {CheckId::kCustomerList, "Partner Center GET /v1/customers?size=1",
     "app-only access: the app added in Partner Center (Account settings > App management)",
     "the partner user's Partner Center role: Admin agent or Sales agent", Via::kAsScan},
    {CheckId::kRelationshipRequests, "Partner Center GET /v1/customers/relationshiprequests", "",
     "App+User only: the partner user's Admin agent role (as the customers' indirect "
     "resellers)",
     Via::kUser},
    {CheckId::kAdminRelationships,
     "Graph GET /v1.0/tenantRelationships/delegatedAdminRelationships?$top=1",
     "DelegatedAdminRelationship.Read.All (application permission, admin consent)",
     "DelegatedAdminRelationship.Read.All (delegated permission, admin consent)", Via::kAppOnly},
    {CheckId::kTenantInformation,
     "Graph GET /v1.0/tenantRelationships/findTenantInformationByTenantId(our tenant)",
     "CrossTenantInformation.ReadBasic.All (application permission, admin consent)",
     "CrossTenantInformation.ReadBasic.All (delegated permission, admin consent)", Via::kAppOnly},
    {CheckId::kOrganization, "Graph GET /v1.0/organization in customer tenant {tenant}",
     "Organization.Read.All (application permission, the app consented in the customer tenant)",
     "Organization.Read.All (delegated, admin consent) + GDAP Directory Readers or Global Reader",
     Via::kCustomerTenant},
    {CheckId::kPartners,
     "Graph GET /v1.0/policies/crossTenantAccessPolicy/partners in customer tenant {tenant}",
     "Policy.Read.All (application permission, the app consented in the customer tenant)",
     "Policy.Read.All (delegated, admin consent) + GDAP Security Reader or Global Reader",
     Via::kCustomerTenant},
    {CheckId::kCustomerDetails, "Partner Center GET /v1/customers/{tenant}",
     "the company details (email, address, custom domains): DAP, or GDAP Global Reader or "
     "Directory Writers",
     "the company details (email, address, custom domains): DAP, or GDAP Global Reader or "
     "Directory Writers",
     Via::kAsScan},
    {CheckId::kSendMail, "Graph POST /v1.0/users/{mailbox}/sendMail (alerts.transport: graph)",
     "Mail.Send (application permission, admin consent)", "", Via::kNone},
};

// How to fix each gap, one line each; tenants/read_advice.h words where they fit.
constexpr const char* kAppCredentialsFix =
    "check client_id, partner.tenant_id and the client secret or certificate (the app "
    "registration's Certificates & secrets: the one configured, not expired)";
constexpr const char* kSignInFix = "run 'cspwatch auth login' as the partner user";
constexpr const char* kNoRefreshTokenFix =
    "set sources.partner_center.refresh_token_file and run 'cspwatch auth login' as the partner "
    "user";
constexpr const char* kAppOnlyAccessFix =
    "add the app in Partner Center, Account settings > App management (app-only access)";
constexpr const char* kAgentRoleFix =
    "give the partner user the Admin agent or Sales agent role in Partner Center (Account "
    "settings > User management)";
constexpr const char* kAdminAgentFix =
    "give the partner user the Admin agent role in Partner Center (Account settings > User "
    "management)";
constexpr const char* kCompanyDetailsFix =
    "hold DAP, or give the partner user's security group Global Reader or Directory Writers "
    "(Global Administrator works too) in our GDAP relationship with this customer";
constexpr const char* kPassingFix =
    "not a missing permission: a passing fault or an unexpected answer; run 'cspwatch auth "
    "status' again (--log-level debug shows each request)";
constexpr const char* kSendMailFix =
    "run 'cspwatch alerts test --to ADDRESS' to send a test message through Graph";

// The fix for a missing application or delegated Graph permission in our tenant.
std::string graphPermissionFix(const std::string& permission, bool delegated) {
  return std::string("the app needs the ") + (delegated ? "delegated" : "application") +
         " permission " + permission + ", admin-consented in our tenant";
}

struct Outcome {
  CheckResult result;
  std::string detail;
  std::string fix;
};

// A call that failed: refused (401/403; a sign-in to a customer tenant refused) is a missing
// permission, role or consent; an ended partner-user sign-in needs `auth login`; anything else
// is not a permission problem.
Outcome failure(const Status& s, const std::string& missing_fix, bool customer_tenant, bool user) {
  const std::string& m = s.message();
  if (s.code() == Status::Code::kUnauthenticated) return {CheckResult::kFailed, m, kSignInFix};
  if (startsWith(m, "HTTP 401") || startsWith(m, "HTTP 403"))
    return {CheckResult::kMissing, m, missing_fix};
  if (customer_tenant && m.find("sign-in to tenant") != std::string::npos)
    return {CheckResult::kMissing, m,
            user ? "the partner user needs an active GDAP relationship with this tenant and an "
                   "access assignment for the user's security group"
                 : "the app needs consent in the customer tenant (app-only calls there)"};
  return {CheckResult::kFailed, m, kPassingFix};
}

class Runner {
 public:
  Runner(const AuthCheckSettings& settings, msapi::TokenProvider& tokens, msapi::ApiClient& api)
      : s_(settings), tokens_(tokens), api_(api), tenant_(settings.customer_tenant) {}

  std::vector<CheckRow> run() {
    std::vector<CheckRow> rows;
    for (const CheckSpec& spec : kChecks) {
      if (spec.id == CheckId::kSendMail && !s_.graph_mail) continue;
      rows.push_back(check(spec));
    }
    return rows;
  }

 private:
  bool configuredUser() const { return s_.public_client || !s_.refresh_token_file.empty(); }

  // Whether `spec` is called on behalf of the partner user, as the scan calls it.
  bool asUser(const CheckSpec& spec) const {
    switch (spec.via) {
      case Via::kAppOnly:
        return s_.public_client;  // a public client has no client credentials
      case Via::kUser:
        return true;
      case Via::kAsScan:
        return s_.public_client || (configuredUser() && user_ok_);
      case Via::kCustomerTenant:
        return configuredUser();
      case Via::kNone:
        return spec.permission_app[0] == '\0';
    }
    return false;
  }

  std::string howCalled(const CheckSpec& spec, bool user) const {
    if (s_.public_client) return "App+User, a public client";
    if (spec.via == Via::kCustomerTenant) return user ? "App+User through GDAP" : "app-only there";
    return user ? "App+User" : "app-only";
  }

  std::string tenantLabel() const {
    if (tenant_.empty()) return "{id}";
    return tenant_name_.empty() ? tenant_ : tenant_ + " (" + tenant_name_ + ")";
  }

  CheckRow check(const CheckSpec& spec) {
    const bool user = asUser(spec);
    CheckRow row;
    row.check = spec.what;
    const size_t mark = row.check.find(kTenantMark);
    if (mark != std::string::npos)
      row.check.replace(mark, std::string(kTenantMark).size(), tenantLabel());
    if (spec.id == CheckId::kUserSignIn && !s_.refresh_token_file.empty())
      row.check += " (refresh token " + s_.refresh_token_file + ")";
    else if (spec.via != Via::kNone)
      row.check += " (" + howCalled(spec, user) + ")";
    row.permission = user ? spec.permission_user : spec.permission_app;
    Outcome o = outcome(spec, user);
    row.result = o.result;
    row.detail = std::move(o.detail);
    row.fix = row.result == CheckResult::kOk ? "" : std::move(o.fix);
    return row;
  }

  // Why `spec` cannot be called now, if it cannot: a sign-in it needs failed, or no tenant.
  std::optional<Outcome> precondition(const CheckSpec& spec, bool user) const {
    if (user && !s_.public_client && s_.refresh_token_file.empty())
      return Outcome{CheckResult::kSkipped,
                     "Partner Center offers this call to App+User only, and no "
                     "refresh_token_file is configured",
                     kNoRefreshTokenFix};
    if (user && !user_ok_)
      return Outcome{CheckResult::kSkipped, "not called: the partner user's sign-in failed (above)",
                     kSignInFix};
    if (!user) {
      const bool graph = spec.id == CheckId::kAdminRelationships ||
                         spec.id == CheckId::kTenantInformation ||
                         spec.id == CheckId::kOrganization || spec.id == CheckId::kPartners;
      if (graph ? !app_graph_ok_ : !app_pc_ok_)
        return Outcome{CheckResult::kSkipped,
                       std::string("not called: the app-only sign-in to ") +
                           (graph ? "Graph" : "Partner Center") + " failed (above)",
                       kAppCredentialsFix};
    }
    const bool per_tenant = spec.id == CheckId::kOrganization || spec.id == CheckId::kPartners ||
                            spec.id == CheckId::kCustomerDetails;
    if (per_tenant && tenant_.empty())
      return Outcome{CheckResult::kSkipped,
                     customers_read_ ? "not called: the customer list is empty"
                                     : "not called: the customer list could not be read (above)",
                     "give --tenant ID to check one customer tenant"};
    return std::nullopt;
  }

  Outcome outcome(const CheckSpec& spec, bool user) {
    switch (spec.id) {
      case CheckId::kGraphAppSignIn:
      case CheckId::kPartnerCenterAppSignIn:
        return appSignIn(spec.id == CheckId::kGraphAppSignIn);
      case CheckId::kUserSignIn:
        return userSignIn();
      case CheckId::kSendMail:
        return {CheckResult::kSkipped, "not called: it would send a message", kSendMailFix};
      default:
        break;
    }
    if (auto skip = precondition(spec, user)) return *skip;
    return call(spec, user);
  }

  // The app's own sign-in, to Graph or to Partner Center; the calls made app-only need it.
  Outcome appSignIn(bool graph) {
    if (s_.public_client)
      return {CheckResult::kSkipped,
              "a public client (public_client: true) has no client credentials: every call "
              "is made as the partner user",
              ""};
    auto token =
        tokens_.appToken(s_.partner_tenant_id, graph ? Audience::kGraph : Audience::kPartnerCenter);
    (graph ? app_graph_ok_ : app_pc_ok_) = token.isOk();
    if (token) return {CheckResult::kOk, "", ""};
    return {CheckResult::kFailed, token.status().message(), kAppCredentialsFix};
  }

  // The partner user's sign-in with the stored refresh token; the calls made as the user need it.
  Outcome userSignIn() {
    if (!configuredUser())
      return {CheckResult::kSkipped,
              "no refresh_token_file configured: no call is made as the partner user (the "
              "customers' indirect resellers need it)",
              kNoRefreshTokenFix};
    auto token = tokens_.userToken(s_.partner_tenant_id, Audience::kPartnerCenter);
    user_ok_ = token.isOk();
    if (token) return {CheckResult::kOk, "", ""};
    return {CheckResult::kFailed, token.status().message(), kSignInFix};
  }

  // The call `spec` checks, its preconditions met.
  Outcome call(const CheckSpec& spec, bool user) {
    switch (spec.id) {
      case CheckId::kCustomerList:
        return customerList(user);
      case CheckId::kRelationshipRequests:
        return relationshipRequests();
      case CheckId::kAdminRelationships:
        return graphList(
            s_.graph_url + "/v1.0/tenantRelationships/delegatedAdminRelationships?$top=1", user,
            user ? graphPermissionFix("DelegatedAdminRelationship.Read.All", true)
                 : tenants::whatWouldFix(Call::kAdminRelationships));
      case CheckId::kTenantInformation:
        return tenantInformation(user);
      case CheckId::kOrganization:
        return organization(user);
      case CheckId::kPartners:
        return partners(user);
      case CheckId::kCustomerDetails:
        return customerDetails(user);
      default:
        return {CheckResult::kSkipped, "", ""};
    }
  }

  Outcome relationshipRequests() {
    auto body = api_.getJson({Api::kPartnerCenter,
                              s_.partner_center_url + "/v1/customers/relationshiprequests",
                              s_.partner_tenant_id,
                              true,
                              {}});
    if (!body) return failure(body.status(), kAdminAgentFix, false, true);
    return {CheckResult::kOk, "", ""};
  }

  Outcome tenantInformation(bool user) {
    auto body = api_.getJson(
        {Api::kGraph,
         s_.graph_url + "/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='" +
             s_.partner_tenant_id + "')",
         s_.partner_tenant_id,
         user,
         {}});
    if (!body)
      return failure(body.status(),
                     graphPermissionFix("CrossTenantInformation.ReadBasic.All", user) +
                         " (without it, partners are shown by tenant id)",
                     false, user);
    return {CheckResult::kOk, "", ""};
  }

  Outcome partners(bool user) {
    Status read = api_.pageGraph({Api::kGraph,
                                  s_.graph_url + "/v1.0/policies/crossTenantAccessPolicy/partners",
                                  tenant_,
                                  user,
                                  {}},
                                 [](const Poco::JSON::Array::Ptr&) {});
    if (!read)
      return failure(read,
                     user ? tenants::whatWouldFix(Call::kPartners)
                          : "the app needs the application permission Policy.Read.All, "
                            "consented in the customer tenant",
                     true, user);
    return {CheckResult::kOk, "", ""};
  }

  Outcome customerList(bool user) {
    const std::string url = s_.partner_center_url + "/v1/customers?size=1";
    auto body = api_.getJson({Api::kPartnerCenter, url, s_.partner_tenant_id, user, {}});
    if (!body) return failure(body.status(), user ? kAgentRoleFix : kAppOnlyAccessFix, false, user);
    tenants::Strict in(url);
    auto items = in.list(*body, "items");
    std::optional<tenants::Tenant> first;
    if (items && items->size() > 0) first = tenants::customerFrom(in.item(items, 0, "items"), in);
    if (!in.ok()) return {CheckResult::kFailed, in.status().message(), kPassingFix};
    customers_read_ = true;
    if (first && tenant_.empty()) {
      tenant_ = first->id;
      tenant_name_ = first->name;
    }
    return {CheckResult::kOk, "", ""};
  }

  Outcome graphList(const std::string& url, bool user, const std::string& missing_fix) {
    auto body = api_.getJson({Api::kGraph, url, s_.partner_tenant_id, user, {}});
    if (!body) return failure(body.status(), missing_fix, false, user);
    tenants::Strict in(url);
    in.list(*body, "value");
    if (!in.ok()) return {CheckResult::kFailed, in.status().message(), kPassingFix};
    return {CheckResult::kOk, "", ""};
  }

  Outcome organization(bool user) {
    const std::string url = s_.graph_url + "/v1.0/organization";
    const std::string missing_fix =
        user ? tenants::whatWouldFix(Call::kOrganization)
             : "the app needs the application permission Organization.Read.All, consented in the "
               "customer tenant";
    tenants::Strict in(url);
    std::vector<Poco::JSON::Object::Ptr> orgs;
    // Read as the scan reads it: every page (a first page may be empty).
    Status read = api_.pageGraph({Api::kGraph, url, tenant_, user, {}},
                                 [&](const Poco::JSON::Array::Ptr& value) {
                                   for (size_t i = 0; i < value->size() && in.ok(); ++i)
                                     orgs.push_back(in.item(value, i, "value"));
                                 });
    if (!read) return failure(read, missing_fix, true, user);
    if (in.ok() && orgs.size() != 1)
      in.fail(std::to_string(orgs.size()) + " organizations, expected one");
    tenants::OrganizationInfo info;
    if (in.ok()) info = tenants::organizationFrom(orgs.front(), in);
    if (!in.ok()) return {CheckResult::kFailed, in.status().message(), kPassingFix};
    if (!info.technical_mails)
      return {CheckResult::kMissing,
              "technicalNotificationMails came back null: Graph returned only the basics of the "
              "organization (as to an app with only User.Read)",
              missing_fix};
    return {CheckResult::kOk, "", ""};
  }

  Outcome customerDetails(bool user) {
    const std::string url = s_.partner_center_url + "/v1/customers/" + tenant_;
    auto body = api_.getJson({Api::kPartnerCenter, url, s_.partner_tenant_id, user, {}});
    if (!body) {
      if (body.status().code() == Status::Code::kNotFound)
        return {CheckResult::kFailed, body.status().message(),
                "Partner Center does not know this tenant as our customer: check --tenant"};
      return failure(body.status(),
                     user ? tenants::whatWouldFix(Call::kCustomerDetails) : kAppOnlyAccessFix,
                     false, user);
    }
    tenants::Strict in(url);
    const tenants::CustomerDetails d = tenants::customerDetailsFrom(*body, in);
    if (!in.ok()) return {CheckResult::kFailed, in.status().message(), kPassingFix};
    if (d.company_email_hidden)
      return {CheckResult::kMissing,
              "companyProfile.email, companyProfile.address and customDomains were withheld",
              kCompanyDetailsFix};
    return {CheckResult::kOk, "", ""};
  }

  const AuthCheckSettings& s_;
  msapi::TokenProvider& tokens_;
  msapi::ApiClient& api_;
  bool app_graph_ok_ = false;
  bool app_pc_ok_ = false;
  bool user_ok_ = false;
  bool customers_read_ = false;
  std::string tenant_;       // the customer tenant of the per-tenant checks
  std::string tenant_name_;  // its name, when the customer list gave it
};

}  // namespace

std::string checkResultName(CheckResult result) {
  switch (result) {
    case CheckResult::kOk:
      return "ok";
    case CheckResult::kMissing:
      return "MISSING";
    case CheckResult::kFailed:
      return "FAILED";
    case CheckResult::kSkipped:
      return "skipped";
  }
  return "";
}

const std::vector<CheckSpec>& authChecks() { return kChecks; }

std::vector<CheckRow> runAuthChecks(const AuthCheckSettings& settings, msapi::TokenProvider& tokens,
                                    msapi::ApiClient& api) {
  return Runner(settings, tokens, api).run();
}

bool allRanOk(const std::vector<CheckRow>& rows) {
  for (const auto& r : rows)
    if (r.result == CheckResult::kMissing || r.result == CheckResult::kFailed) return false;
  return true;
}

void printAuthChecks(std::ostream& out, const std::string& signs_in,
                     const std::vector<CheckRow>& rows) {
  out << signs_in << "\n";
  int counts[4] = {0, 0, 0, 0};
  for (const auto& r : rows) {
    ++counts[static_cast<int>(r.result)];
    // The result in a column of 8, then the check; what it needs, and for anything not ok
    // what happened and how to fix it, indented beneath.
    std::string result = checkResultName(r.result);
    result.resize(std::max<size_t>(result.size() + 1, 8), ' ');
    out << result << printable(r.check) << "\n";
    if (!r.permission.empty()) out << "          needs:  " << r.permission << "\n";
    if (r.result == CheckResult::kOk) continue;
    // The answer quotes the service (redacted where it entered, in msapi) and, for a malformed
    // answer, its content: redacted again before it is printed.
    if (!r.detail.empty())
      out << (r.result == CheckResult::kSkipped ? "          why:    " : "          answer: ")
          << printable(redactSecrets(r.detail)) << "\n";
    if (!r.fix.empty()) out << "          fix:    " << r.fix << "\n";
  }
  out << rows.size() << " checks: " << counts[0] << " ok, " << counts[1] << " missing, "
      << counts[2] << " failed, " << counts[3] << " skipped\n";
  if (counts[1] + counts[2] == 0) return;
  out << "Where to fix it:\n"
         "  - permissions: the app registration (Microsoft Entra admin center, App registrations)"
         " > API permissions: add the permission, then Grant admin consent for the partner "
         "tenant;\n"
         "  - Partner Center: Account settings > App management (app-only access) and User "
         "management (the partner user's roles);\n"
         "  - GDAP: the customer's GDAP relationship (Partner Center, Customers > the customer > "
         "Admin relationships): the partner user's security group and the roles assigned to "
         "it.\n";
}

std::string authChecksJson(const std::string& client_id, const std::vector<CheckRow>& rows) {
  Poco::JSON::Object::Ptr doc = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  doc->set("schema_version", 1);
  doc->set("app", client_id);
  Poco::JSON::Array::Ptr checks = new Poco::JSON::Array();
  for (const auto& r : rows) {
    Poco::JSON::Object::Ptr c = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    c->set("check", r.check);
    c->set("permission", r.permission);
    c->set("result", toLowerAscii(checkResultName(r.result)));
    c->set("detail", redactSecrets(r.detail));  // as printAuthChecks
    c->set("fix", r.fix);
    checks->add(c);
  }
  doc->set("checks", checks);
  return tenants::jsonText(doc, true);
}

}  // namespace cspwatch::cli
