// SPDX-License-Identifier: Apache-2.0
// Generates a believable world of N customer tenants with the mix of problems the default
// rules look for (about a third of tenants have one), deterministic for a given seed and
// `now`: the same arguments give the same world on every run.
#pragma once

#include <cstdint>

#include "common/time.h"
#include "sim/world.h"

namespace cspwatch::sim {

World generateWorld(size_t tenants, uint64_t seed, Timestamp now);

}  // namespace cspwatch::sim
