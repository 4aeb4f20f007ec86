// SPDX-License-Identifier: Apache-2.0
// Fault-injection seams for the crash-safety tests. The scan calls each point as it passes it;
// nothing happens unless a test build installed an action. The packaged `cspwatch` never does:
// the only installer is tests/support/faulty_main.cpp, the entry point of the test-only binary
// `cspwatch-faulty`, which kills itself where CSPWATCH_TEST_CRASH_AFTER_TENANTS or
// CSPWATCH_TEST_CRASH_AFTER_DELIVERIES says (or runs a test's command where
// CSPWATCH_TEST_COMMAND_AFTER_TENANTS says). So no environment variable or file can make a
// production scan crash on purpose.
#pragma once

namespace cspwatch::scan::faults {

// After the scan staged its `staged`-th tenant (from 1).
using TenantStaged = void (*)(long staged);

// Installs the action (nullptr: none). Call before any scan starts; not synchronised.
void onTenantStaged(TenantStaged action);

// The point itself: runs the installed action, if any.
void tenantStaged(long staged);

// After the transport delivered the sender's `delivered`-th message of this process (from 1)
// and before the outbox marks it sent: the one window no sender can close (the receiver has
// it, the books do not yet), where a crash means a resend under the same id.
using MessageDelivered = void (*)(long delivered);
void onMessageDelivered(MessageDelivered action);
void messageDelivered();

}  // namespace cspwatch::scan::faults
