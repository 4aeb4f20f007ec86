// SPDX-License-Identifier: Apache-2.0
// A checker of Partner Center bodies against Microsoft's documented example bodies
// (tests/contract/data/partner-center/). Partner Center publishes no schema, only resource
// tables and example responses, so the example is the contract:
//
//  - every key path the answer has must be at the same path in the documented example (or in
//    one of several examples merged into one shape), with the same JSON kind (object, array,
//    string, number, boolean);
//  - an array's elements are each compared with the union of the documented elements' shapes
//    (every key any documented element has, with every kind it has there). An element of an
//    array the doc only shows empty has nothing to be compared with, and is a problem;
//  - attributes.objectType must be one of the values documented at that path;
//  - null is refused unless the documented example has null at that path. No documented
//    Customer, Collection, PartnerRelationship or RelationshipRequest body has a null-valued
//    property: Partner Center leaves out what it will not or cannot return (get-a-customer-by-id:
//    "will not return the following attributes"), so a null where the doc shows a value is a
//    different answer, one the client may read differently from an absent key.
// Keys the example has and the answer lacks are not problems (omissions are legal: the
// customer by id omits companyProfile.address/email and customDomains without DAP or GDAP);
// they are listed in `omitted` so a test can say which and judge them.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>

#include "tests/contract/contract_json.h"

namespace cspwatch::contract {

class PcShape {
 public:
  PcShape();
  // The shape of one documented example; merge() adds another documented body's shape to it
  // (another page of the same collection, or a documented supplement such as links.next).
  static PcShape of(const Poco::Dynamic::Var& documented);
  void merge(const Poco::Dynamic::Var& documented);

  struct Result {
    Problems problems;
    std::vector<std::string> omitted;  // wildcard paths documented but absent, sorted, unique
  };
  Result check(const Poco::Dynamic::Var& answer) const;

 private:
  struct Node {
    std::set<JsonKind> kinds;
    std::map<std::string, std::shared_ptr<Node>> members;
    std::shared_ptr<Node> element;       // union of documented elements; null: none documented
    std::set<std::string> object_types;  // documented values when this is attributes.objectType
  };
  enum class Context { kOther, kAttributes, kObjectType };  // where the merged value sits
  static void mergeInto(Node& node, const Poco::Dynamic::Var& value, Context context);
  static void checkNode(const Node& node, const Poco::Dynamic::Var& value, const std::string& path,
                        Result& out, std::set<std::string>& omitted);

  std::shared_ptr<Node> root_;
};

// Convenience: one documented example against one answer.
PcShape::Result checkPcShape(const Poco::Dynamic::Var& answer,
                             const Poco::Dynamic::Var& documented);

// Every "uri" of a link object (links.<name>.uri, at any depth) must be a path of a documented
// form: "/v1/..." (get-a-list-of-customers) or "/..." without the version (get-a-customer-by-id,
// the invoice and audit-record pages); never absolute, never "//host", and a first segment that
// starts with "v1" must be exactly "v1". A link's "headers" must be an array of {key, value}
// strings and its "method" an HTTP method.
Problems checkPcLinks(const Poco::Dynamic::Var& body);

// The JSON text of a Partner Center body: an optional UTF-8 BOM (Partner Center sends one;
// Azure/msrest-for-python#144) is removed; `problem` is set when anything else, whitespace
// included, precedes the JSON's first '{' or '[', or a second BOM follows the first.
struct PcBodyText {
  bool had_bom = false;
  std::string json;
  std::string problem;  // empty when the body starts as it should
};
PcBodyText pcBodyText(const std::string& raw);

}  // namespace cspwatch::contract
