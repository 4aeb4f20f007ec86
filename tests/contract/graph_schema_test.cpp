// SPDX-License-Identifier: Apache-2.0
// The Graph schema checker itself: hand-written good bodies pass, bad ones fail at the right
// JSON path with a message that says what is wrong, and Microsoft's own doc examples come out
// as SOURCES.md says they do.
#include "tests/contract/graph_schema.h"

#include <catch2/catch.hpp>

#include "tests/contract/sim_client.h"

using namespace cspwatch::contract;

namespace {

const GraphSchema& schema() { return graphSchema(); }

// The one problem `problems` must hold: at `path`, its message containing `words`.
void requireOnly(const Problems& problems, const std::string& path, const std::string& words) {
  INFO(describe(problems));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].path == path);
  CHECK_THAT(problems[0].message, Catch::Contains(words));
}

const char* kRelationship = R"({
  "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
  "@odata.etag": "W/\"JyIwMzAwZTM0ZS0wMDAwLTAyMDAtMDAwMC02MTRjZjI1YzAwMDAiJw==\"",
  "id": "5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836",
  "displayName": "Contoso admin relationship",
  "duration": "P730D",
  "customer": {"tenantId": "52eaad04-13a2-4a2f-9ce8-93a294fadf36", "displayName": "Contoso"},
  "accessDetails": {"unifiedRoles": [{"roleDefinitionId": "dd4db9a0-cc4a-4213-9f9f-70242232d97e"},
                                      {"roleDefinitionId": "29232cdf-9323-42fd-ade2-1d097af3e4de"}]},
  "status": "active",
  "autoExtendDuration": "P180D",
  "createdDateTime": "2022-02-10T11:24:42.3148266Z",
  "lastModifiedDateTime": "2022-02-10T11:26:44.9941884Z",
  "activatedDateTime": "2022-02-10T11:26:44.9941884Z",
  "endDateTime": null
})";

const char* kOrganization = R"({
  "id": "84841066-274d-4ec0-a5c1-276be684bdd3",
  "deletedDateTime": null,
  "businessPhones": ["425-555-0100"],
  "city": null,
  "displayName": "Contoso",
  "technicalNotificationMails": ["admin@contoso.com"],
  "createdDateTime": "2021-08-02T10:30:06Z",
  "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": true,
                       "isInitial": true, "name": "contoso.onmicrosoft.com", "type": "Managed"}],
  "privacyProfile": {"contactEmail": "", "statementUrl": ""},
  "partnerTenantType": "resellerPartnerDelegatedAdmin",
  "mobileDeviceManagementAuthority": "intune"
})";

// kRelationship with `member` replaced by `json` (or added).
Poco::JSON::Object::Ptr withMember(const char* base, const std::string& member,
                                   const std::string& json) {
  auto o = parseJson(base).extract<Poco::JSON::Object::Ptr>();
  o->set(member, parseJson("{\"v\": " + json + "}").extract<Poco::JSON::Object::Ptr>()->get("v"));
  return o;
}

}  // namespace

TEST_CASE("contract: the Graph type excerpt loads, is consistent and names its source") {
  const GraphSchema& s = schema();
  CHECK(s.source() == "microsoftgraph/msgraph-metadata:clean_v10_metadata/cleanMetadata.xml");
  CHECK(s.commit().rfind("f54f11b6", 0) == 0);
  for (const char* t :
       {"organization", "verifiedDomain", "crossTenantAccessPolicyConfigurationPartner",
        "delegatedAdminRelationship", "resellerDelegatedAdminRelationship",
        "delegatedAdminAccessAssignment", "contract", "tenantInformation"})
    CHECK(s.hasType(t));
  CHECK(s.derivesFrom("resellerDelegatedAdminRelationship", "delegatedAdminRelationship"));
  CHECK(s.derivesFrom("organization", "microsoft.graph.entity"));
  CHECK_FALSE(s.derivesFrom("delegatedAdminRelationship", "resellerDelegatedAdminRelationship"));
  CHECK_FALSE(s.derivesFrom("crossTenantAccessPolicyConfigurationPartner", "entity"));
  CHECK(s.isEnum("delegatedAdminRelationshipStatus"));
  // A hand-made excerpt that contradicts itself is refused, not half-used.
  CHECK_THROWS_WITH(GraphSchema::fromJson(parseJson(R"({"types": {"a": {"kind": "EntityType",
      "base": "b", "properties": {}}}, "enums": {}})")),
                    Catch::Contains("base b is not defined"));
}

TEST_CASE("contract: Edm literal forms") {
  CHECK(isGuid("52eaad04-13a2-4a2f-9ce8-93a294fadf36"));
  CHECK(isGuid("52EAAD04-13A2-4A2F-9CE8-93A294FADF36"));
  CHECK_FALSE(isGuid("52eaad04-13a2-4a2f-9ce8-93a294fadf3"));
  CHECK_FALSE(isGuid("52eaad04x13a2-4a2f-9ce8-93a294fadf36"));
  CHECK_FALSE(isGuid("{52eaad04-13a2-4a2f-9ce8-93a294fadf36}"));

  CHECK(isDateTimeOffset("2022-02-10T11:24:42.3148266Z"));
  CHECK(isDateTimeOffset("2026-11-25T00:00:00Z"));
  CHECK(isDateTimeOffset("2026-11-25T10:00:00+10:00"));
  CHECK_FALSE(isDateTimeOffset("2026-11-25T00:00:00"));  // no offset
  CHECK_FALSE(isDateTimeOffset("2026-11-25"));
  CHECK_FALSE(isDateTimeOffset("2026-13-25T00:00:00Z"));
  CHECK_FALSE(isDateTimeOffset("2026-11-25T00:00Z"));  // RFC 3339 wants seconds
  CHECK_FALSE(isDateTimeOffset("2026-11-25 00:00:00Z"));

  for (const char* ok : {"P730D", "PT0S", "P180D", "P0D", "P1DT2H3M4.5S", "PT12H", "-P1D"})
    CHECK(isEdmDuration(ok));
  // OData's Edm.Duration is a day-time duration: no years or months (P2Y is written P730D).
  for (const char* bad : {"P2Y", "P6M", "P", "PT", "730D", "P1.5D", "P1DT", "PT1S2M", ""})
    CHECK_FALSE(isEdmDuration(bad));
}

TEST_CASE("contract: hand-written good Graph bodies pass") {
  const GraphSchema& s = schema();
  CHECK(describe(s.check(parseJson(kRelationship), "delegatedAdminRelationship")).empty());
  CHECK(describe(s.check(parseJson(kOrganization), "organization")).empty());
  auto reseller = withMember(kRelationship, "@odata.type",
                             "\"#microsoft.graph.resellerDelegatedAdminRelationship\"");
  reseller->set("isPartnerConsentPending", true);
  reseller->set("indirectProviderTenantId", "60ea59db-a506-485e-94c5-d115f369e239");
  CHECK(describe(s.check(reseller, "delegatedAdminRelationship")).empty());
  CHECK(describe(s.check(parseJson(R"({"@odata.etag": "W/\"x\"", "id": "a", "status": "active",
      "accessContainer": {"accessContainerId": "0b5e1a2c-7d3f-4e9a-8c61-2f4b6d8a1c35",
                          "accessContainerType": "securityGroup"},
      "accessDetails": {"unifiedRoles": []}, "createdDateTime": null})"),
                         "delegatedAdminAccessAssignment"))
            .empty());
  CHECK(describe(s.check(parseJson(R"({"id": "x", "contractType": "ResellerPartner",
      "customerId": "52eaad04-13a2-4a2f-9ce8-93a294fadf36", "defaultDomainName": "c.com",
      "displayName": "C", "deletedDateTime": null})"),
                         "contract"))
            .empty());
  CHECK(describe(s.check(parseJson(R"({"tenantId": "6babcaad-604b-40ac-a9d7-9fd97c0b779f",
      "isServiceProvider": true, "isInMultiTenantOrganization": false, "inboundTrust": null})"),
                         "crossTenantAccessPolicyConfigurationPartner"))
            .empty());
  CHECK(describe(
            s.checkCollection(
                parseJson(std::string(
                              R"({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#x",
      "@odata.nextLink": "https://graph.microsoft.com/v1.0/x?$skiptoken=abc", "value": [)") +
                          kRelationship + "]}"),
                "delegatedAdminRelationship"))
            .empty());
}

TEST_CASE("contract: an undeclared property fails at its path, open types included") {
  const GraphSchema& s = schema();
  requireOnly(s.check(withMember(kRelationship, "favouriteColour", "\"blue\""),
                      "delegatedAdminRelationship"),
              "$.favouriteColour", "not declared on microsoft.graph.delegatedAdminRelationship");
  // organization is an OpenType: still refused, the message says why.
  requireOnly(s.check(withMember(kOrganization, "tenantRegion", "\"AU\""), "organization"),
              "$.tenantRegion", "OpenType");
  // ...unless a Microsoft doc example shows it (organization-list.md: directorySizeQuota).
  CHECK(s.check(withMember(kOrganization, "directorySizeQuota", R"({"used": 1, "total": 2})"),
                "organization")
            .empty());
  requireOnly(s.check(withMember(kOrganization, "directorySizeQuota", "7"), "organization"),
              "$.directorySizeQuota", "documented dynamic property is a object");
  // A reseller relationship's members on a plain delegatedAdminRelationship.
  requireOnly(s.check(withMember(kRelationship, "isPartnerConsentPending", "false"),
                      "delegatedAdminRelationship"),
              "$.isPartnerConsentPending", "not declared");
  // A nested complex type's extra member.
  requireOnly(s.check(withMember(kRelationship, "customer",
                                 R"({"tenantId": "52eaad04-13a2-4a2f-9ce8-93a294fadf36",
                                     "defaultDomainName": "contoso.com"})"),
                      "delegatedAdminRelationship"),
              "$.customer.defaultDomainName",
              "not declared on microsoft.graph.delegatedAdminRelationshipCustomerParticipant");
  // Navigation properties come only with $expand.
  requireOnly(
      s.check(withMember(kRelationship, "accessAssignments", "[]"), "delegatedAdminRelationship"),
      "$.accessAssignments", "$expand");
  // Annotations: @odata.* yes, others no.
  requireOnly(s.check(withMember(kRelationship, "@microsoft.graph.tips", "\"x\""),
                      "delegatedAdminRelationship"),
              "$['@microsoft.graph.tips']", "outside the @odata namespace");
}

TEST_CASE("contract: a wrong JSON type for the Edm type fails at its path") {
  const GraphSchema& s = schema();
  requireOnly(s.check(withMember(kOrganization, "verifiedDomains",
                                 R"([{"name": "a.com", "isDefault": true},
                                     {"name": "b.com", "isDefault": "false"}])"),
                      "organization"),
              "$.verifiedDomains[1].isDefault", "expected Edm.Boolean");
  requireOnly(s.check(withMember(kRelationship, "createdDateTime", "\"2022-02-10\""),
                      "delegatedAdminRelationship"),
              "$.createdDateTime", "Edm.DateTimeOffset");
  requireOnly(
      s.check(withMember(kRelationship, "duration", "\"P2Y\""), "delegatedAdminRelationship"),
      "$.duration", "Edm.Duration");
  requireOnly(s.check(withMember(kRelationship, "duration", "730"), "delegatedAdminRelationship"),
              "$.duration", "got number 730");
  requireOnly(s.check(parseJson(R"({"id": "x", "customerId": "not-a-guid"})"), "contract"),
              "$.customerId", "Edm.Guid");
  requireOnly(
      s.check(withMember(kOrganization, "businessPhones", "\"425-555-0100\""), "organization"),
      "$.businessPhones", "expected an array (Collection(Edm.String))");
  requireOnly(s.check(withMember(kOrganization, "privacyProfile", "\"none\""), "organization"),
              "$.privacyProfile", "expected an object (microsoft.graph.privacyProfile)");
}

TEST_CASE("contract: null where Nullable is false fails, null collections always fail") {
  const GraphSchema& s = schema();
  requireOnly(s.check(withMember(kRelationship, "duration", "null"), "delegatedAdminRelationship"),
              "$.duration", "Nullable=\"false\"");
  requireOnly(
      s.check(withMember(kRelationship, "displayName", "null"), "delegatedAdminRelationship"),
      "$.displayName", "Nullable=\"false\"");
  // Nullable properties may be null.
  CHECK(s.check(withMember(kRelationship, "status", "null"), "delegatedAdminRelationship").empty());
  // By the metadata alone a collection is never null ...
  const GraphSchema bare_schema = GraphSchema::load(dataPath("graph-v1.0-types.json"));
  requireOnly(bare_schema.check(withMember(kOrganization, "technicalNotificationMails", "null"),
                                "organization"),
              "$.technicalNotificationMails", "never null");
  // ... but organization-list.md says that with only User.Read "All other properties return
  // with null values": the contract schema accepts that, except for the three it names.
  CHECK(s.check(withMember(kOrganization, "technicalNotificationMails", "null"), "organization")
            .empty());
  requireOnly(s.check(withMember(kOrganization, "verifiedDomains", "null"), "organization"),
              "$.verifiedDomains", "never null");
  requireOnly(s.check(withMember(kOrganization, "technicalNotificationMails", R"(["a@b.c", null])"),
                      "organization"),
              "$.technicalNotificationMails[1]", "Nullable=\"false\"");
  // A key property is never optional.
  requireOnly(s.check(parseJson(R"({"isServiceProvider": true})"),
                      "crossTenantAccessPolicyConfigurationPartner"),
              "$.tenantId", "key property missing");
  // Absent Nullable="false" properties only when asked for.
  auto bare = parseJson(R"({"id": "x"})");
  CHECK(s.check(bare, "delegatedAdminRelationship").empty());
  GraphSchema::Options strict;
  strict.require_non_nullable = true;
  CHECK(s.check(bare, "delegatedAdminRelationship", strict).size() ==
        3);  // accessDetails, displayName, duration
}

TEST_CASE("contract: an enum value outside the members fails at its path") {
  const GraphSchema& s = schema();
  requireOnly(
      s.check(withMember(kRelationship, "status", "\"Active\""), "delegatedAdminRelationship"),
      "$.status", "\"Active\" is not a member of microsoft.graph.delegatedAdminRelationshipStatus");
  requireOnly(s.check(withMember(kRelationship, "status", "1"), "delegatedAdminRelationship"),
              "$.status", "enum member as a string");
  requireOnly(s.check(parseJson(R"({"id": "a", "accessContainer": {"accessContainerId": "g",
      "accessContainerType": "group"}})"),
                      "delegatedAdminAccessAssignment"),
              "$.accessContainer.accessContainerType", "not a member");
}

TEST_CASE("contract: nested complex type errors name the full path") {
  const GraphSchema& s = schema();
  requireOnly(s.check(withMember(kRelationship, "accessDetails",
                                 R"({"unifiedRoles": [{"roleDefinitionId": "a"},
                                                       {"roleDefinitionId": 42}]})"),
                      "delegatedAdminRelationship"),
              "$.accessDetails.unifiedRoles[1].roleDefinitionId", "expected Edm.String");
  requireOnly(s.check(withMember(kRelationship, "accessDetails",
                                 R"({"unifiedRoles": [{"roleDefinitionId": "a", "name": "x"}]})"),
                      "delegatedAdminRelationship"),
              "$.accessDetails.unifiedRoles[0].name", "microsoft.graph.unifiedRole");
  // A collection response: the element's path starts at $.value[i].
  auto body = parseJson(std::string(R"({"value": [)") + kRelationship + ", " +
                        R"({"id": "b", "displayName": "B", "duration": "P1D",
                            "accessDetails": {"unifiedRoles": []}, "customer": {"tenantId": null}})" +
                        "]}");
  requireOnly(s.checkCollection(body, "delegatedAdminRelationship"), "$.value[1].customer.tenantId",
              "Nullable=\"false\"");
}

TEST_CASE("contract: @odata.type must name the type or a derived one") {
  const GraphSchema& s = schema();
  requireOnly(s.check(withMember(kRelationship, "@odata.type", "\"#microsoft.graph.contract\""),
                      "delegatedAdminRelationship"),
              "$['@odata.type']", "not microsoft.graph.delegatedAdminRelationship nor derived");
  requireOnly(s.check(withMember(kRelationship, "@odata.type", "\"#microsoft.graph.nope\""),
                      "delegatedAdminRelationship"),
              "$['@odata.type']", "does not define");
  requireOnly(s.check(withMember(kRelationship, "@odata.type",
                                 "\"microsoft.graph.delegatedAdminRelationship\""),
                      "delegatedAdminRelationship"),
              "$['@odata.type']", "#microsoft.graph.<type>");
  // A reseller item's own members are checked as the reseller type: wrong kind caught there.
  auto reseller = withMember(kRelationship, "@odata.type",
                             "\"#microsoft.graph.resellerDelegatedAdminRelationship\"");
  reseller->set("isPartnerConsentPending", "yes");
  requireOnly(s.check(reseller, "delegatedAdminRelationship"), "$.isPartnerConsentPending",
              "Edm.Boolean");
  reseller->set("isPartnerConsentPending", false);
  reseller->set("indirectProviderTenantId", Poco::Dynamic::Var());
  requireOnly(s.check(reseller, "delegatedAdminRelationship"), "$.indirectProviderTenantId",
              "Nullable=\"false\"");
}

TEST_CASE("contract: types outside the excerpt are reported, not passed") {
  // The committed excerpt alone lacks the setting types crossTenantAccessPolicyConfigurationPartner
  // uses; the supplement (same metadata file and commit) defines them.
  GraphSchema plain = GraphSchema::load(dataPath("graph-v1.0-types.json"));
  requireOnly(plain.check(parseJson(R"({"tenantId": "t", "b2bCollaborationInbound": {"x": 1}})"),
                          "crossTenantAccessPolicyConfigurationPartner"),
              "$.b2bCollaborationInbound", "cannot be checked");
  CHECK(plain
            .check(parseJson(R"({"tenantId": "t", "b2bCollaborationInbound": null})"),
                   "crossTenantAccessPolicyConfigurationPartner")
            .empty());
  requireOnly(schema().check(parseJson(R"({"tenantId": "t", "b2bCollaborationInbound": {"x": 1}})"),
                             "crossTenantAccessPolicyConfigurationPartner"),
              "$.b2bCollaborationInbound.x",
              "not declared on microsoft.graph.crossTenantAccessPolicyB2BSetting");
  requireOnly(schema().check(parseJson(R"({"tenantId": "t", "b2bDirectConnectInbound": {
      "usersAndGroups": {"accessType": "allowed", "targets": [{"target": "AllUsers",
      "targetType": "everyone"}]}}})"),
                             "crossTenantAccessPolicyConfigurationPartner"),
              "$.b2bDirectConnectInbound.usersAndGroups.targets[0].targetType", "not a member");
  requireOnly(schema().check(parseJson("{}"), "user"), "$", "not in the excerpt");
  // A supplement may not redefine what the excerpt defines.
  CHECK_THROWS_WITH(plain.addTypes(readJsonFile(dataPath("graph-v1.0-types.json"))),
                    Catch::Contains("defined twice"));
}

TEST_CASE("contract: integer, date and numeric Edm types on a synthetic excerpt") {
  GraphSchema s = GraphSchema::fromJson(parseJson(R"({"types": {"t": {"kind": "ComplexType",
      "properties": {"i": {"type": "Edm.Int32", "nullable": true},
                     "l": {"type": "Edm.Int64", "nullable": true},
                     "d": {"type": "Edm.Date", "nullable": true},
                     "x": {"type": "Edm.Double", "nullable": true},
                     "b": {"type": "Edm.Binary", "nullable": true}}}}, "enums": {}})"));
  CHECK(
      s.check(parseJson(R"({"i": 5, "l": 5000000000, "d": "2026-11-25", "x": 1.5})"), "t").empty());
  requireOnly(s.check(parseJson(R"({"i": 5000000000})"), "t"), "$.i", "Edm.Int32");
  requireOnly(s.check(parseJson(R"({"i": 1.5})"), "t"), "$.i", "Edm.Int32");
  requireOnly(s.check(parseJson(R"({"l": "5"})"), "t"), "$.l", "Edm.Int64");
  requireOnly(s.check(parseJson(R"({"d": "2026-11-25T00:00:00Z"})"), "t"), "$.d", "Edm.Date");
  requireOnly(s.check(parseJson(R"({"x": "1.5"})"), "t"), "$.x", "Edm.Double");
  requireOnly(s.check(parseJson(R"({"b": "AAAA"})"), "t"), "$.b", "not a type this checker knows");
}

TEST_CASE("contract: the collection-response check") {
  const GraphSchema& s = schema();
  requireOnly(s.checkCollection(parseJson(R"({"value": [], "count": 0})"), "contract"), "$.count",
              "not a member of a collection response");
  requireOnly(s.checkCollection(
                  parseJson(R"({"value": [], "@odata.nextLink": "/v1.0/contracts?$skiptoken=x"})"),
                  "contract"),
              "$['@odata.nextLink']", "absolute");
  requireOnly(s.checkCollection(parseJson(R"({"@odata.context": "x"})"), "contract"), "$.value",
              "missing");
  requireOnly(s.checkCollection(parseJson(R"({"value": {}})"), "contract"), "$.value",
              "expected an array");
  requireOnly(
      s.checkCollection(parseJson(R"({"value": [{"id": "a", "customerId": 7}]})"), "contract"),
      "$.value[0].customerId", "Edm.Guid");
  CHECK(s.checkCollection(parseJson(R"({"value": [], "@odata.count": 0})"), "contract").empty());
}

TEST_CASE("contract: Graph error bodies") {
  const std::string good = R"({"error": {"code": "Request_ResourceNotFound", "message": "m",
      "innerError": {"date": "2026-11-25T00:00:00Z", "request-id": "8bd6e6c6-0b1f-4f5e-9d0b-6a8f0c1e2d3a",
      "client-request-id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"}}})";
  CHECK(checkGraphError(parseJson(good)).empty());
  CHECK(checkGraphError(parseJson(good), "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0").empty());
  requireOnly(checkGraphError(parseJson(good), "11111111-4b5a-4968-8776-a5b4c3d2e1f0"),
              "$.error.innerError['client-request-id']",
              "not the client-request-id the request sent");
  // Captured real errors carry a date without offset: accepted.
  CHECK(checkGraphError(parseJson(R"({"error": {"code": "c", "message": "m", "innerError": {
      "date": "2023-04-05T08:44:07", "request-id": "8bd6e6c6-0b1f-4f5e-9d0b-6a8f0c1e2d3a"}}})"))
            .empty());
  requireOnly(checkGraphError(parseJson(R"({"error": {"code": "c", "message": "m"}})")),
              "$.error.innerError", "missing");
  requireOnly(checkGraphError(parseJson(R"({"error": {"code": 404, "message": "m", "innerError": {
      "date": "2023-04-05T08:44:07Z", "request-id": "8bd6e6c6-0b1f-4f5e-9d0b-6a8f0c1e2d3a"}}})")),
              "$.error.code", "expected a string");
  requireOnly(checkGraphError(parseJson(R"({"error": {"code": "c", "message": "m", "innerError": {
      "date": "2023-04-05T08:44:07Z", "request-id": "8bd6e6c6-0b1f-4f5e-9d0b-6a8f0c1e2d3a"}},
      "statusCode": 404})")),
              "$.statusCode", "single property named error");
  requireOnly(checkGraphError(parseJson(R"({"error": {"code": "c", "message": "m", "innerError": {
      "date": "2023-04-05T08:44:07Z", "request-id": "8bd6e6c6-0b1f-4f5e-9d0b-6a8f0c1e2d3a",
      "requestId": "x"}}})")),
              "$.error.innerError.requestId", "not a member of microsoft.graph.InnerError");
  // errors.md's own example uses placeholders where values go: the checker says so.
  auto doc = readJsonFile(dataPath("graph/error-example.json"));
  Problems p = checkGraphError(doc);
  INFO(describe(p));
  REQUIRE(p.size() == 2);
  CHECK(p[0].path == "$.error.innerError.date");
  CHECK(p[1].path == "$.error.innerError['request-id']");
}

TEST_CASE("contract: Microsoft's Graph doc examples against the checker") {
  const GraphSchema& s = schema();
  // tenantrelationship-list-delegatedadminrelationships.md and findTenantInformationByTenantId:
  // exactly the CSDL's properties.
  CHECK(describe(s.checkCollection(
                     readJsonFile(dataPath(
                         "graph/tenantrelationship-list-delegatedadminrelationships.json")),
                     "delegatedAdminRelationship"))
            .empty());
  CHECK(describe(s.check(readJsonFile(dataPath(
                             "graph/tenantrelationship-findtenantinformationbytenantid.json")),
                         "tenantInformation"))
            .empty());
  // organization-list.md shows partnerTenantType in PascalCase, not the enum member; its
  // dynamic properties are accepted because graphSchema() registered them from this example.
  requireOnly(
      s.checkCollection(readJsonFile(dataPath("graph/organization-list.json")), "organization"),
      "$.value[0].partnerTenantType", "\"ResellerPartnerDelegatedAdmin\" is not a member");
  // Without that registration they are what SOURCES.md says: not in the CSDL.
  GraphSchema plain = GraphSchema::load(dataPath("graph-v1.0-types.json"));
  Problems raw =
      plain.checkCollection(readJsonFile(dataPath("graph/organization-list.json")), "organization");
  INFO(describe(raw));
  CHECK(raw.size() == 3);
  // crosstenantaccesspolicy-list-partners.md: its setting types come from the supplement.
  CHECK(describe(s.checkCollection(
                     readJsonFile(dataPath("graph/crosstenantaccesspolicy-list-partners.json")),
                     "crossTenantAccessPolicyConfigurationPartner"))
            .empty());
  Problems partners = plain.checkCollection(
      readJsonFile(dataPath("graph/crosstenantaccesspolicy-list-partners.json")),
      "crossTenantAccessPolicyConfigurationPartner");
  INFO(describe(partners));
  REQUIRE(partners.size() == 2);
  CHECK(partners[0].path == "$.value[0].automaticUserConsentSettings");
  CHECK(partners[1].path == "$.value[0].b2bDirectConnectInbound");
}
