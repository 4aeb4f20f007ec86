// SPDX-License-Identifier: Apache-2.0
#include "alerts/json_util.h"

namespace cspwatch::alerts {

Poco::JSON::Object::Ptr object() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

}  // namespace cspwatch::alerts
