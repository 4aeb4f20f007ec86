// SPDX-License-Identifier: Apache-2.0
#include "daemon/systemd_notify.h"

#include <ctime>

#include <systemd/sd-daemon.h>

#include "common/logging.h"
#include "common/text.h"

namespace cspwatch::daemon {

namespace {

uint64_t monotonicMicros() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace

SystemdNotifier::SystemdNotifier() {
  uint64_t usec = 0;
  // unset_environment = 0: child processes are not ours to supervise, but keeping the variable
  // is harmless and lets tests read it.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    watchdog_ = std::chrono::milliseconds(usec / 2000);
}

void SystemdNotifier::send(const std::string& state) {
  const int r = sd_notify(0, state.c_str());
  if (r < 0) log().debug("sd_notify failed: {}", r);
}

void SystemdNotifier::ready(const std::string& s) {
  send("READY=1\nSTATUS=" + withoutLineBreaks(s));
}

void SystemdNotifier::reloading(const std::string& s) {
  // MONOTONIC_USEC lets systemd (253+) tell this reload from an earlier one.
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonicMicros()) +
       "\nSTATUS=" + withoutLineBreaks(s));
}

void SystemdNotifier::status(const std::string& s) { send("STATUS=" + withoutLineBreaks(s)); }

void SystemdNotifier::watchdog() { send("WATCHDOG=1"); }

void SystemdNotifier::stopping(const std::string& s) {
  send("STOPPING=1\nSTATUS=" + withoutLineBreaks(s));
}

}  // namespace cspwatch::daemon
