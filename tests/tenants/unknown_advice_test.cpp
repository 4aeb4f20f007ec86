// SPDX-License-Identifier: Apache-2.0
// A check that could not be made, in an admin's words (issue 18): no internal names, and the
// permission, role or access that would let cspwatch check it.
#include "tenants/unknown_advice.h"

#include <catch2/catch.hpp>

#include "tenants/read_advice.h"

using namespace cspwatch::tenants;
using Catch::Contains;

TEST_CASE("unknown advice: a tenant field that could not be read, by how it failed",
          "[tenants][advice]") {
  // The demo inventory's words for a refused call.
  UnknownAdvice refused = adviceForUnknown(
      "tenant.partners is unknown (partners could not be read: HTTP 403 Forbidden: "
      "Authorization_RequestDenied: Insufficient privileges to read "
      "crossTenantAccessPolicy/partners "
      "(Policy.Read.All))");
  CHECK(refused.what == "the partners the customer's tenant lists (access was refused)");
  CHECK(refused.fix == whatWouldFix(Call::kPartners));
  CHECK_THAT(refused.fix, Contains("Security Reader or Global Reader"));
  CHECK_THAT(refused.fix, Contains("Policy.Read.All"));

  // The live source's words (read_advice.cpp): the same advice, not the server's text.
  UnknownAdvice live = adviceForUnknown(
      "tenant.verified_domains is unknown (organization could not be read: HTTP 403: Forbidden; " +
      whatWouldFix(Call::kOrganization) + ")");
  CHECK(live.what ==
        "the tenant's organization profile: verified domains and technical contacts (access was "
        "refused)");
  CHECK(live.fix == whatWouldFix(Call::kOrganization));

  UnknownAdvice passing = adviceForUnknown(
      "tenant.admin_relationships is unknown (admin_relationships could not be read: HTTP 503: "
      "unavailable; a passing fault: the next scan tries again)");
  CHECK(passing.what == "our DAP and GDAP relationships with the tenant (a temporary error)");
  CHECK(passing.fix == "nothing, unless it lasts: the next scan tries again");

  UnknownAdvice signin = adviceForUnknown(
      "tenant.partners is unknown (partners could not be read: sign-in to tenant x refused "
      "(AADSTS50020))");
  CHECK_THAT(signin.what, Contains("could not sign in to the tenant"));
  CHECK_THAT(signin.fix, Contains("access assignment for the user's security group"));

  UnknownAdvice again = adviceForUnknown(
      "tenant.in_customer_list is unknown (customer_list could not be read: the refresh token "
      "was refused; run 'cspwatch auth login')");
  CHECK_THAT(again.fix, Contains("cspwatch auth login"));

  UnknownAdvice inventory =
      adviceForUnknown("tenant.contacts is unknown (inventory could not be read: row 7 is bad)");
  CHECK(inventory.what == "the tenant's record in the distributor's inventory");
  CHECK_THAT(inventory.fix, Contains("sources.inventory"));
}

TEST_CASE("unknown advice: data a missing permission hides, and reasons it does not know",
          "[tenants][advice]") {
  UnknownAdvice email = adviceForUnknown(kCompanyEmailHidden);
  CHECK(email.what == "the company email address Partner Center holds for the customer");
  CHECK_THAT(email.fix, Contains("Global Reader or Directory Writer"));
  CHECK_FALSE(Catch::Contains("companyProfile").match(email.what + email.fix));
  UnknownAdvice contacts = adviceForUnknown(kTechnicalContactsHidden);
  CHECK(contacts.what == "the tenant's technical contact addresses");
  CHECK_THAT(contacts.fix, Contains("Organization.Read.All"));

  // Never the reason's own text, whatever it is: it may hold internal names.
  for (const char* reason : {"something odd: tenant.x.y", "tenant.partners is unknown",
                             "tenant.partners is unknown (nosuchpart could not be read: x)", ""}) {
    UnknownAdvice general = adviceForUnknown(reason);
    CHECK(general.what == "the data this check needs");
    CHECK_THAT(general.fix, Contains("cspwatch scans diff"));
  }
  for (const auto& advice : {adviceForUnknown(kCompanyEmailHidden),
                             adviceForUnknown("tenant.partners is unknown (partners could not be "
                                              "read: HTTP 403)")}) {
    CHECK_FALSE(Catch::Contains("tenant.").match(advice.what));
    CHECK_FALSE(Catch::Contains("is unknown").match(advice.what + advice.fix));
  }
}

TEST_CASE("unknown advice: a part of a tenant not read at all", "[tenants][advice]") {
  UnknownAdvice list = adviceForPart("customer_list", "HTTP 401 Unauthorized");
  CHECK(list.what ==
        "whether the tenant is in our Partner Center customer list (access was refused)");
  CHECK(list.fix == whatWouldFix(Call::kCustomerList));
  CHECK(adviceForPart("customer", "403 Forbidden").what == "the data this check needs");
}
