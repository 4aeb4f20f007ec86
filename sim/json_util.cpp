// SPDX-License-Identifier: Apache-2.0
#include "sim/json_util.h"

#include "tenants/tenant_json.h"

namespace cspwatch::sim {

Poco::JSON::Object::Ptr obj() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

Response ok(const Poco::JSON::Object::Ptr& o) {
  return Response::json(200, tenants::jsonText(o, false));
}

}  // namespace cspwatch::sim
