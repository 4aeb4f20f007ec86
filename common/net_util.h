// SPDX-License-Identifier: Apache-2.0
// Host names and addresses. Pure; thread-safe.
#pragma once

#include <string>

namespace cspwatch {

// Whether `host` is this machine's loopback: an IPv4 address in 127.0.0.0/8, ::1 (bare or in
// brackets) or "localhost" (any case). Only literal addresses count: a name that merely starts
// with "127." (127.mail.example.com) is not loopback.
bool isLoopbackHost(const std::string& host);

}  // namespace cspwatch
