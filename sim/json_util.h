// SPDX-License-Identifier: Apache-2.0
// The JSON helpers that the simulated services' routes share, one copy each: the library
// compiles in batches of files that share one scope (docs/development.md#build), so they cannot
// each keep their own. Internal to sim/.
#pragma once

#include <Poco/JSON/Object.h>

#include "sim/http_types.h"

namespace cspwatch::sim {

// A new, empty JSON object that writes its keys in the order they were set (as Microsoft's
// documented examples show them), rather than sorted.
Poco::JSON::Object::Ptr obj();

// 200 with `o` as compact JSON. Partner Center's byte-order mark, when the profile has one, is
// added where its answers leave SimApi (sim/api.cpp), not here.
Response ok(const Poco::JSON::Object::Ptr& o);

}  // namespace cspwatch::sim
