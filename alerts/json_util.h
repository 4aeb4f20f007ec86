// SPDX-License-Identifier: Apache-2.0
// The JSON helper that the webhook events and the Teams cards share, one copy: the library
// compiles in batches of files that share one scope (docs/development.md#build). Internal to
// alerts/.
#pragma once

#include <Poco/JSON/Object.h>

namespace cspwatch::alerts {

// A new, empty JSON object that writes its keys in the order they were set (the order the
// documented examples and the schemas show them), rather than sorted.
Poco::JSON::Object::Ptr object();

}  // namespace cspwatch::alerts
