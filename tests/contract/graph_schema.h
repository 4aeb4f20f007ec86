// SPDX-License-Identifier: Apache-2.0
// A checker of Microsoft Graph JSON bodies against the v1.0 CSDL excerpt in
// tests/contract/data/graph-v1.0-types.json (types, their base chains, properties with Edm
// types and nullability, enums). check() lists every way a value is not an instance of a type:
//
//  - a property that is neither declared on the type nor on its base chain. Instance
//    annotations "@odata.*" are allowed (an "@odata.type" must name the type or one derived
//    from it, and the value is then checked as that type); any other "@..." is refused.
//    Navigation properties are refused: Graph serves them only with $expand.
//  - Open types (organization, contract, directoryObject): CSDL allows dynamic properties on
//    them, and which ones the real service sends is known only from Microsoft's docs. One is
//    accepted only when allowDocumentedDynamic() registered it (a Graph doc example shows it,
//    e.g. organization.directorySizeQuota), with the kind the doc shows. Any other is refused:
//    a simulator must not invent properties, and a client must not learn to rely on ones the
//    real service is not documented to send.
//  - a value whose JSON type does not match the Edm type: Edm.String (string), Edm.Guid
//    (8-4-4-4-12 hex string), Edm.DateTimeOffset (RFC 3339 date-time with offset),
//    Edm.Duration (OData's day-time duration: [-]P[nD][T[nH][nM][n[.n]S]]), Edm.Date,
//    Edm.Boolean, Edm.Int16/32/64, Edm.Byte (integers in range), Edm.Single/Double/Decimal
//    (numbers), enum types (a string that is one of the members, case-sensitive), complex and
//    entity types (objects, recursively), Collection(T) (an array, each element as T).
//  - null where the property is Nullable="false". A collection is never null in OData (its
//    Nullable facet is about its elements): a null collection is refused.
//  - a missing key property (id, or tenantId for crossTenantAccessPolicyConfigurationPartner).
//  - a value of a type the excerpt does not define (e.g. crossTenantAccessPolicyB2BSetting)
//    that is not null: it cannot be checked, so it is reported rather than passed.
// Absent non-key properties are not problems (Graph leaves properties out under $select and
// docs trim examples) unless Options::require_non_nullable asks for Nullable="false" ones.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>

#include "tests/contract/contract_json.h"

namespace cspwatch::contract {

struct GraphCheckOptions {
  bool require_non_nullable = false;  // report absent Nullable="false" properties too
};

class GraphSchema {
 public:
  using Options = GraphCheckOptions;

  // Reads the excerpt; throws std::runtime_error saying what is malformed.
  static GraphSchema load(const std::string& file);
  static GraphSchema fromJson(const Poco::Dynamic::Var& document);
  // Adds the types and enums of another document of the same form (the supplement); a type or
  // enum defined twice, or a base defined nowhere, throws.
  void addTypes(const Poco::Dynamic::Var& document);

  // Problems of `value` as an instance of `type` ("organization", "microsoft.graph.organization"
  // or "#microsoft.graph.organization"); `path` names `value` in the messages.
  Problems check(const Poco::Dynamic::Var& value, const std::string& type,
                 const std::string& path = "$") const;
  Problems check(const Poco::Dynamic::Var& value, const std::string& type, const Options& options,
                 const std::string& path = "$") const;

  // A collection response {"@odata.context"?, "@odata.nextLink"?, "@odata.count"?,
  // "@odata.deltaLink"?, "value": [...]}: no other member; contexts and links strings, the
  // next link an absolute http(s) URL; each element an instance of `type` (or of the derived
  // type its @odata.type names).
  Problems checkCollection(const Poco::Dynamic::Var& body, const std::string& type,
                           const Options& options = {}) const;

  // A dynamic property of open type `type` that a Microsoft doc example shows: accepted with
  // the JSON kind `kind` (any kind when the doc shows null) or null.
  void allowDocumentedDynamic(const std::string& type, const std::string& property, JsonKind kind);

  // Properties of `type` a Microsoft doc says may come back null whatever the metadata's
  // Nullable facet says, every one but those in `except`: organization-list.md, "Applications
  // granted the User.Read permission are able to read only the id, displayName, and
  // verifiedDomains properties ... All other properties return with null values."
  void allowDocumentedNulls(const std::string& type, std::set<std::string> except);

  bool hasType(const std::string& name) const;
  // `type` is `base` or derives from it.
  bool derivesFrom(const std::string& type, const std::string& base) const;
  // Declared structural properties of the type and its base chain, by name.
  std::vector<std::string> propertyNames(const std::string& type) const;
  bool isEnum(const std::string& name) const;

  // Provenance of the excerpt (its "source", "commit" and "date" fields).
  const std::string& source() const { return source_; }
  const std::string& commit() const { return commit_; }
  const std::string& date() const { return date_; }

 private:
  struct Property {
    std::string type;  // "Edm.String", "microsoft.graph.verifiedDomain", "Collection(...)"
    bool nullable = true;
  };
  struct Type {
    std::string name;  // short: "organization"
    std::string kind;  // "EntityType" or "ComplexType"
    std::string base;  // short name or empty
    bool open = false;
    bool abstract = false;
    std::vector<std::string> key;
    std::map<std::string, Property> properties;  // declared on this type
    std::set<std::string> navigation;
  };

  const Type* find(const std::string& name) const;
  std::vector<const Type*> chain(const Type& type) const;  // the type, its base, ...
  void checkValue(const Poco::Dynamic::Var& value, const std::string& type, bool nullable,
                  const std::string& path, const Options& options, Problems& out) const;
  void checkStructured(const Poco::Dynamic::Var& value, const std::string& type,
                       const std::string& path, const Options& options, Problems& out) const;

  std::map<std::string, Type> types_;                   // by short name
  std::map<std::string, std::set<std::string>> enums_;  // by short name
  std::map<std::string, std::map<std::string, JsonKind>> dynamic_;
  std::map<std::string, std::set<std::string>> documented_nulls_;  // type -> properties kept
  std::string source_, commit_, date_;
};

// The short name of a Graph type: "#microsoft.graph.x", "microsoft.graph.x", "graph.x" -> "x".
std::string shortTypeName(const std::string& name);

// Edm literal forms, as the checker applies them (exposed for unit tests).
bool isGuid(const std::string& s);
bool isDateTimeOffset(const std::string& s);  // RFC 3339: date, 'T', time with seconds, offset
bool isEdmDuration(const std::string& s);     // OData ABNF durationValue

// Graph's error body (concepts/errors.md; microsoft.graph.InnerError in the metadata):
// {"error": {"code": string, "message": string, "innerError": {"request-id": GUID,
// "date": date-time, "client-request-id"?: string, "code"?: string, "innerError"?: {...}},
// "details"?: [...], "target"?: string}} and nothing else. The date may lack its offset
// (errors captured from the real service do). When `sent_client_request_id` is not empty the
// client sent that client-request-id header, and the InnerError must carry it back ("Client
// request Id as sent by the client application").
Problems checkGraphError(const Poco::Dynamic::Var& body,
                         const std::string& sent_client_request_id = "");

}  // namespace cspwatch::contract
