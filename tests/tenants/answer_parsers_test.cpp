// SPDX-License-Identifier: Apache-2.0
// The per-endpoint readers on the shapes Microsoft documents, and on the shapes a missing
// permission produces: a hidden field is unknown, never absent; a null list is unknown, never
// empty; an absent isServiceProvider is false.
#include "tenants/answer_parsers.h"

#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::tenants;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

// The documented get-a-customer-by-id example (tests/contract/data/partner-center/).
Poco::JSON::Object::Ptr documentedCustomer() {
  return parse(testing::readFile(
      testing::sourcePath("tests/contract/data/partner-center/get-a-customer-by-id.json")));
}

}  // namespace

TEST_CASE("customer details: the documented answer gives DAP, billing and company email") {
  Strict in("test");
  auto d = customerDetailsFrom(documentedCustomer(), in);
  REQUIRE(in.ok());
  CHECK(d.dap_enabled);
  CHECK(d.billing_email == std::optional<std::string>("a@a.com"));
  CHECK(d.company_email == std::optional<std::string>("a@a.com"));
  CHECK_FALSE(d.company_email_hidden);
}

TEST_CASE("customer details: without DAP or a GDAP role the company email is hidden, not absent") {
  // "The Get Customer ID API call will not return ... CompanyProfileAddress,
  // CompanyProfileEmail, CustomDomain" (get-a-customer-by-id).
  auto body = documentedCustomer();
  body->getObject("companyProfile")->remove("email");
  body->getObject("companyProfile")->remove("address");
  body->remove("customDomains");
  Strict in("test");
  auto d = customerDetailsFrom(body, in);
  REQUIRE(in.ok());
  CHECK_FALSE(d.company_email);
  CHECK(d.company_email_hidden);
  CHECK(d.billing_email == std::optional<std::string>("a@a.com"));  // billing is not withheld
}

TEST_CASE("customer details: an email absent beside an address and custom domains is none") {
  auto body = documentedCustomer();
  body->getObject("companyProfile")->remove("email");
  Strict in("test");
  auto d = customerDetailsFrom(body, in);
  REQUIRE(in.ok());
  CHECK_FALSE(d.company_email);
  CHECK_FALSE(d.company_email_hidden);
}

TEST_CASE("organization: nulls from a User.Read-only answer are unknown, empty lists are known") {
  // "Applications granted the User.Read permission are able to read only the id, displayName,
  // and verifiedDomains properties ... All other properties return with null values."
  Strict in("test");
  auto basic =
      organizationFrom(parse(R"({"id":"x","displayName":"Contoso","technicalNotificationMails":null,
                "createdDateTime":null,"businessPhones":null,
                "verifiedDomains":[{"name":"Contoso.onmicrosoft.com","isDefault":true}]})"),
                       in);
  REQUIRE(in.ok());
  CHECK_FALSE(basic.technical_mails.has_value());
  REQUIRE(basic.verified_domains);
  CHECK(*basic.verified_domains == std::vector<std::string>{"contoso.onmicrosoft.com"});

  Strict in2("test");
  auto none = organizationFrom(
      parse(R"({"id":"x","technicalNotificationMails":[],"verifiedDomains":[]})"), in2);
  REQUIRE(in2.ok());
  REQUIRE(none.technical_mails);
  CHECK(none.technical_mails->empty());

  Strict nulls("test");
  auto no_domains = organizationFrom(parse(R"({"id":"x","verifiedDomains":null})"), nulls);
  REQUIRE(nulls.ok());
  CHECK_FALSE(no_domains.verified_domains.has_value());  // unknown, not "no verified domain"
  CHECK_FALSE(no_domains.technical_mails.has_value());   // absent: unknown too

  Strict in3("test");
  (void)organizationFrom(parse(R"({"technicalNotificationMails":[7],"verifiedDomains":[]})"), in3);
  CHECK_FALSE(in3.ok());  // a wrong type is a malformed answer, not a skipped item
}

TEST_CASE("customer-side partners: isServiceProvider absent or null is not a service provider") {
  for (const char* body : {R"({"tenantId":"5e9a3c7d-1b4f-4d28-8a6e-0c2f7b9d3e41"})",
                           R"({"tenantId":"5e9a3c7d-1b4f-4d28-8a6e-0c2f7b9d3e41",
                               "isServiceProvider":null})",
                           R"({"tenantId":"5e9a3c7d-1b4f-4d28-8a6e-0c2f7b9d3e41",
                               "isServiceProvider":false})"}) {
    Strict in("test");
    auto p = customerPartnerFrom(parse(body), in);
    INFO(body);
    REQUIRE(in.ok());
    REQUIRE(p);
    CHECK_FALSE(p->is_service_provider);
  }
  Strict in("test");
  auto csp = customerPartnerFrom(
      parse(R"({"tenantId":"5E9A3C7D-1B4F-4D28-8A6E-0C2F7B9D3E41","isServiceProvider":true})"), in);
  REQUIRE(csp);
  CHECK(csp->is_service_provider);
  CHECK(csp->tenant_id == "5e9a3c7d-1b4f-4d28-8a6e-0c2f7b9d3e41");
  Strict bad("test");
  (void)customerPartnerFrom(parse(R"({"tenantId":"x","isServiceProvider":"yes"})"), bad);
  CHECK_FALSE(bad.ok());
}

TEST_CASE("tenant information: the documented answer gives a name and a lower-case domain") {
  auto body = parse(testing::readFile(testing::sourcePath(
      "tests/contract/data/graph/tenantrelationship-findtenantinformationbytenantid.json")));
  Strict in("test");
  auto info = tenantInfoFrom(body, in);
  REQUIRE(info);
  CHECK(info->tenant_id == "6babcaad-604b-40ac-a9d7-9fd97c0b779f");
  CHECK(info->display_name == "Contoso, Ltd");
  CHECK(info->default_domain == "contoso18839.onmicrosoft.com");
}
