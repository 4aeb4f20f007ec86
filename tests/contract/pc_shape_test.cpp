// SPDX-License-Identifier: Apache-2.0
// The Partner Center shape checker itself, on hand-written bodies and the documented examples.
#include "tests/contract/pc_shape.h"

#include <algorithm>

#include <catch2/catch.hpp>

#include "tests/contract/sim_client.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch::contract;
using Poco::Dynamic::Var;

namespace {

Var doc(const std::string& name) { return readJsonFile(dataPath("partner-center/" + name)); }

void requireOnly(const Problems& problems, const std::string& path, const std::string& words) {
  INFO(describe(problems));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].path == path);
  CHECK_THAT(problems[0].message, Catch::Contains(words));
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("contract: every documented Partner Center example matches its own shape") {
  for (const auto& name : cspwatch::testing::listDirectory(dataPath("partner-center"))) {
    if (name.size() < 5 || name.substr(name.size() - 5) != ".json") continue;
    INFO(name);
    Var d = doc(name);
    auto r = checkPcShape(d, d);
    CHECK(describe(r.problems).empty());
  }
}

TEST_CASE("contract: a key the documented example lacks fails at its path") {
  auto r = checkPcShape(parseJson(R"({"totalCount": 1, "items": [{"id": "a", "commerceId": "b",
      "relationshipToPartner": "reseller", "attributes": {"objectType": "Customer"}}],
      "attributes": {"objectType": "Collection"}})"),
                        doc("get-a-list-of-customers.json"));
  requireOnly(r.problems, "$.items[0].commerceId", "not in the documented example");
  // What the doc has and the answer lacks is listed, once per place.
  CHECK(has(r.omitted, "$.items[*].companyProfile"));
  CHECK(has(r.omitted, "$.links"));
}

TEST_CASE("contract: a different JSON kind fails at its path") {
  requireOnly(checkPcShape(parseJson(R"({"totalCount": "2"})"), doc("get-a-list-of-customers.json"))
                  .problems,
              "$.totalCount", "a string \"2\", where the documented example has a number");
  requireOnly(checkPcShape(parseJson(R"({"allowDelegatedAccess": "true"})"),
                           doc("get-a-customer-by-id.json"))
                  .problems,
              "$.allowDelegatedAccess", "has a boolean");
  requireOnly(
      checkPcShape(parseJson(R"({"customDomains": "a.com"})"), doc("get-a-customer-by-id.json"))
          .problems,
      "$.customDomains", "has a array");
  requireOnly(checkPcShape(parseJson(R"({"items": [{"mpnId": 4847383}]})"),
                           doc("get-indirect-resellers-of-a-customer.json"))
                  .problems,
              "$.items[0].mpnId", "a number 4847383, where the documented example has a string");
}

TEST_CASE("contract: null is refused where the documented example shows a value") {
  requireOnly(checkPcShape(parseJson(R"({"companyProfile": {"email": null}})"),
                           doc("get-a-customer-by-id.json"))
                  .problems,
              "$.companyProfile.email", "null, where the documented example has a string");
  requireOnly(checkPcShape(parseJson(R"({"billingProfile": {"defaultAddress": null}})"),
                           doc("get-a-customer-by-id.json"))
                  .problems,
              "$.billingProfile.defaultAddress", "has a object");
  // Where a doc does show null (an audit record's key/value pair), null is accepted.
  CHECK(checkPcShape(parseJson(R"({"items": [{"customizedData": [{"key": "k", "value": null}]}]})"),
                     doc("get-audit-records.json"))
            .problems.empty());
}

TEST_CASE("contract: array elements are compared with the union of the documented elements") {
  Var documented = parseJson(R"({"items": [{"a": 1, "attributes": {"objectType": "X"}},
                                           {"b": "x", "attributes": {"objectType": "Y"}}],
                                 "empty": []})");
  CHECK(checkPcShape(parseJson(R"({"items": [{"a": 2, "b": "y"}, {"b": "z"}]})"), documented)
            .problems.empty());
  requireOnly(checkPcShape(parseJson(R"({"items": [{"a": 2}, {"c": 1}]})"), documented).problems,
              "$.items[1].c", "not in the documented example");
  requireOnly(checkPcShape(parseJson(R"({"items": [{"b": 2}]})"), documented).problems,
              "$.items[0].b", "has a string");
  // Either documented objectType is fine in any element; another is not.
  CHECK(checkPcShape(parseJson(R"({"items": [{"attributes": {"objectType": "Y"}}]})"), documented)
            .problems.empty());
  requireOnly(
      checkPcShape(parseJson(R"({"items": [{"attributes": {"objectType": "Z"}}]})"), documented)
          .problems,
      "$.items[0].attributes.objectType", "not the documented objectType (X, Y)");
  // An array the doc only shows empty documents no element.
  CHECK(checkPcShape(parseJson(R"({"empty": []})"), documented).problems.empty());
  requireOnly(checkPcShape(parseJson(R"({"empty": [1]})"), documented).problems, "$.empty[0]",
              "only shows this array empty");
}

TEST_CASE("contract: attributes.objectType must be the documented one") {
  requireOnly(checkPcShape(parseJson(R"({"attributes": {"objectType": "Customers"}})"),
                           doc("get-a-customer-by-id.json"))
                  .problems,
              "$.attributes.objectType", "not the documented objectType (Customer)");
  requireOnly(
      checkPcShape(parseJson(R"({"items": [{"attributes": {"objectType": "Relationship"}}]})"),
                   doc("get-indirect-resellers-of-a-customer.json"))
          .problems,
      "$.items[0].attributes.objectType", "(PartnerRelationship)");
  requireOnly(
      checkPcShape(parseJson(R"({"companyProfile": {"attributes": {"objectType": "Customer"}}})"),
                   doc("get-a-customer-by-id.json"))
          .problems,
      "$.companyProfile.attributes.objectType", "(CustomerCompanyProfile)");
}

TEST_CASE("contract: merged documented shapes accept either document's keys") {
  PcShape shape = PcShape::of(doc("get-a-list-of-customers.json"));
  auto page = parseJson(R"({"totalCount": 0, "items": [], "continuationToken": "t", "links": {
      "self": {"uri": "/v1/customers?size=1", "method": "GET", "headers": []},
      "next": {"uri": "/v1/customers?size=1&seekOperation=Next", "method": "GET",
               "headers": [{"key": "MS-ContinuationToken", "value": "t"}]}},
      "attributes": {"objectType": "Collection"}})");
  auto before = shape.check(page);
  INFO(describe(before.problems));
  CHECK(before.problems.size() == 2);  // continuationToken and links.next
  shape.merge(doc("supplement-seek-paging.json"));
  CHECK(describe(shape.check(page).problems).empty());
}

TEST_CASE("contract: Partner Center link URIs must be of a documented form") {
  auto links = [](const std::string& uri) {
    return checkPcLinks(parseJson(R"({"links": {"self": {"uri": ")" + uri +
                                  R"(", "method": "GET", "headers": []}}})"));
  };
  CHECK(links("/v1/customers?size=40").empty());
  CHECK(links("/customers/eebd1b55-5360-4438-a11d-5c06918c3014").empty());
  CHECK(links("/invoices?size=2&offset=2").empty());
  requireOnly(links("https://api.partnercenter.microsoft.com/v1/customers"), "$.links.self.uri",
              "is not a path");
  requireOnly(links("v1/customers"), "$.links.self.uri", "is not a path");
  requireOnly(links("//api.partnercenter.microsoft.com/v1/customers"), "$.links.self.uri",
              "is not a path");
  requireOnly(links("/v10/customers"), "$.links.self.uri", "must be \"v1\"");
  // Nested links (a customer's companyProfile.links) are checked too, and the headers' form.
  requireOnly(checkPcLinks(parseJson(R"({"companyProfile": {"links": {"self": {"uri": "/x",
      "method": "GET", "headers": [{"key": "MS-ContinuationToken"}]}}}})")),
              "$.companyProfile.links.self.headers[0]", "{\"key\": string, \"value\": string}");
  requireOnly(checkPcLinks(parseJson(R"({"links": {"next": {"uri": "/x", "method": "FETCH"}}})")),
              "$.links.next.method", "not an HTTP method");
  for (const char* name : {"get-a-customer-by-id.json", "get-a-list-of-customers.json",
                           "invoice-billed-consumption-lineitems-page1-next.json",
                           "get-a-collection-of-invoices.json", "get-audit-records.json"})
    CHECK(describe(checkPcLinks(doc(name))).empty());
}

TEST_CASE("contract: a Partner Center body may start with a BOM and nothing else") {
  const std::string bom = "\xEF\xBB\xBF";
  PcBodyText t = pcBodyText(bom + "{\"a\":1}");
  CHECK(t.had_bom);
  CHECK(t.problem.empty());
  CHECK(t.json == "{\"a\":1}");
  t = pcBodyText("{\"a\":1}");
  CHECK_FALSE(t.had_bom);
  CHECK(t.problem.empty());
  CHECK_THAT(pcBodyText(" {}").problem, Catch::Contains("0x20 precedes the JSON"));
  CHECK_THAT(pcBodyText(bom + "\n{}").problem,
             Catch::Contains("0x0A precedes the JSON (after the BOM)"));
  CHECK_THAT(pcBodyText(bom + bom + "{}").problem, Catch::Contains("second UTF-8 BOM"));
  CHECK_THAT(pcBodyText("\xFE\xFF{}").problem, Catch::Contains("0xFE"));
  CHECK_THAT(pcBodyText(bom).problem, Catch::Contains("empty"));
}
