// SPDX-License-Identifier: Apache-2.0
// Telling systemd how the service is doing (sd_notify(3), Type=notify): READY=1 once the first
// configuration is loaded, RELOADING=1 ... READY=1 around a reload, STATUS= lines for
// `systemctl status`, WATCHDOG=1 keep-alives while the scheduler runs, STOPPING=1 on shutdown.
// Without $NOTIFY_SOCKET (not under systemd, or a test that did not set one) every call does
// nothing. Thread-safe (libsystemd's sd_notify is).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace cspwatch::daemon {

class SystemdNotifier {
 public:
  SystemdNotifier();

  void ready(const std::string& status);
  void reloading(const std::string& status);
  void status(const std::string& status);
  void watchdog();
  void stopping(const std::string& status);

  // The keep-alive period systemd asked for ($WATCHDOG_USEC, for this process): half of
  // WatchdogSec=, as sd_watchdog_enabled(3) advises. nullopt when there is no watchdog.
  std::optional<std::chrono::milliseconds> watchdogInterval() const { return watchdog_; }

 private:
  void send(const std::string& state);
  std::optional<std::chrono::milliseconds> watchdog_;
};

}  // namespace cspwatch::daemon
