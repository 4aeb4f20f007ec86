// SPDX-License-Identifier: Apache-2.0
// What the standby tests share (tests/faults/ha_test.cpp, ha_partners_test.cpp): a daemon "on
// a machine of its own" ($CSPWATCH_MACHINE_ID: no instance can see that another's process died,
// so a takeover waits for the lease as it would across machines), and the pid in a lease's
// holder ("host:pid").
#pragma once

#include <cstdlib>
#include <memory>
#include <string>

#include "tests/support/daemon_process.h"

namespace cspwatch::testing {

inline std::unique_ptr<Daemon> startOn(const std::string& machine, const std::string& config,
                                       const NotifySocket& notify) {
  ::setenv("CSPWATCH_MACHINE_ID", machine.c_str(), 1);
  auto d = std::make_unique<Daemon>(config, notify.path());
  ::unsetenv("CSPWATCH_MACHINE_ID");
  return d;
}

inline std::string pidOf(const std::string& holder) { return holder.substr(holder.rfind(':') + 1); }

}  // namespace cspwatch::testing
