// SPDX-License-Identifier: Apache-2.0
// The heartbeat (monitoring.heartbeat, docs/operations.md#heartbeat): after each successful
// scan the service requests the configured URL, as push monitors (healthchecks.io, Uptime Kuma)
// expect, so that one that hears nothing for a while raises its own alarm: it catches what the
// Prometheus rules cannot, a machine or Prometheus itself gone.
//
// One GET through msapi/http_client.h (certificates verified, the configured proxy, plain http
// only to a loopback host), with short timeouts: a monitor that does not answer at once must
// not hold the service. The URL may hold the monitor's token (in its path or query): no
// message here shows more of it than heartbeatTarget(). A failure is the caller's to log; it
// never fails a scan. Thread-safe (each call makes its own client).
#pragma once

#include <string>

#include "common/status.h"
#include "msapi/http_client.h"

namespace cspwatch::daemon {

// How the heartbeat is sent: 5 s to connect, 10 s for the answer, whose first 64 KiB are read.
msapi::HttpOptions heartbeatHttpOptions(msapi::NetworkOptions network);

// What may be shown of a heartbeat URL: its scheme, host and port ("https://hc-ping.com",
// "http://127.0.0.1:8080"), never its path, query or user information.
std::string heartbeatTarget(const std::string& url);

// Requests `url` (GET) with `options`. Ok for a 2xx answer; otherwise unavailable, with why in
// words that name heartbeatTarget(url) and no more of the URL (the answer's start redacted, on
// one line).
Status sendHeartbeat(const std::string& url, const msapi::HttpOptions& options);

}  // namespace cspwatch::daemon
