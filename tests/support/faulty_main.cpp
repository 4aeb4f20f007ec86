// SPDX-License-Identifier: Apache-2.0
// `cspwatch-faulty`: the cspwatch CLI with the scan's fault-injection seams armed
// (scan/fault_points.h), for the crash-safety tests only. It is built from the same libraries
// as `cspwatch` but never installed or packaged: the packaged binary has no way to crash on
// purpose. CSPWATCH_TEST_CRASH_AFTER_TENANTS=N makes the process kill itself with SIGKILL right
// after the scan staged its Nth tenant, as a power cut or the OOM killer would;
// CSPWATCH_TEST_CRASH_AFTER_DELIVERIES=N right after its Nth message was delivered (the server
// answered) and before the outbox marked it sent.
#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "cli/cli.h"
#include "scan/fault_points.h"

namespace {

long crash_after = -1;
long crash_after_deliveries = -1;

void crashAfter(long staged) {
  if (staged == crash_after) std::raise(SIGKILL);
}

void crashAfterDelivery(long delivered) {
  if (delivered == crash_after_deliveries) std::raise(SIGKILL);
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* v = std::getenv("CSPWATCH_TEST_CRASH_AFTER_TENANTS")) {
    crash_after = std::strtol(v, nullptr, 10);
    cspwatch::scan::faults::onTenantStaged(crashAfter);
  }
  if (const char* v = std::getenv("CSPWATCH_TEST_CRASH_AFTER_DELIVERIES")) {
    crash_after_deliveries = std::strtol(v, nullptr, 10);
    cspwatch::scan::faults::onMessageDelivered(crashAfterDelivery);
  }
  try {
    return cspwatch::cli::runCli(argc, argv, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "cspwatch: internal error: " << e.what() << "\n";
    return 70;  // EX_SOFTWARE
  }
}
