// SPDX-License-Identifier: Apache-2.0
// `cspwatch-faulty`: the cspwatch CLI with the scan's fault-injection seams armed
// (scan/fault_points.h), for the crash-safety tests only. It is built from the same libraries
// as `cspwatch` but never installed or packaged: the packaged binary has no way to crash on
// purpose. CSPWATCH_TEST_CRASH_AFTER_TENANTS=N makes the process kill itself with SIGKILL right
// after the scan staged its Nth tenant, as a power cut or the OOM killer would;
// CSPWATCH_TEST_CRASH_AFTER_DELIVERIES=N right after its Nth message was delivered (the server
// answered) and before the outbox marked it sent. CSPWATCH_TEST_COMMAND_AFTER_TENANTS=N runs the
// shell command CSPWATCH_TEST_COMMAND, and waits for it, right after the Nth tenant was staged:
// a test takes the database server away in the middle of a scan that way
// (tests/faults/postgres_test.cpp), at a known point and without a sleep.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "cli/cli.h"
#include "scan/fault_points.h"

namespace {

long crash_after = -1;
long crash_after_deliveries = -1;
long command_after = -1;
const char* command = nullptr;

void afterTenantStaged(long staged) {
  if (staged == crash_after) std::raise(SIGKILL);
  if (staged == command_after && command != nullptr && std::system(command) != 0)
    std::fprintf(stderr, "cspwatch-faulty: '%s' failed\n", command);
}

void crashAfterDelivery(long delivered) {
  if (delivered == crash_after_deliveries) std::raise(SIGKILL);
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* v = std::getenv("CSPWATCH_TEST_CRASH_AFTER_TENANTS"))
    crash_after = std::strtol(v, nullptr, 10);
  if (const char* v = std::getenv("CSPWATCH_TEST_COMMAND_AFTER_TENANTS")) {
    command_after = std::strtol(v, nullptr, 10);
    command = std::getenv("CSPWATCH_TEST_COMMAND");
  }
  if (crash_after >= 0 || command_after >= 0)
    cspwatch::scan::faults::onTenantStaged(afterTenantStaged);
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
