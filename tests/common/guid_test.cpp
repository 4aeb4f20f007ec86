// SPDX-License-Identifier: Apache-2.0
#include "common/guid.h"

#include <catch2/catch.hpp>

using namespace cspwatch;

TEST_CASE("GUIDs are recognised and normalised to lower case") {
  CHECK(isGuid("52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c"));
  CHECK_FALSE(isGuid("52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2"));
  CHECK_FALSE(isGuid("52eaad04x13a1-4e3b-9c2b-5f5f0e7b1a2c"));
  CHECK_FALSE(isGuid("g2eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c"));
  CHECK(normalizeGuid(" {52EAAD04-13A1-4E3B-9C2B-5F5F0E7B1A2C} ") ==
        std::string("52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c"));
  CHECK_FALSE(normalizeGuid("contoso.onmicrosoft.com"));
}
