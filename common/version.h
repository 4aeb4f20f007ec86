// SPDX-License-Identifier: Apache-2.0
// The version, from project(VERSION ...) in CMakeLists.txt (one place: the .deb uses it too).
#pragma once

namespace cspwatch {
#ifndef CSPWATCH_VERSION
#error "CSPWATCH_VERSION comes from CMake (common/CMakeLists.txt)"
#endif
inline constexpr const char* kVersion = CSPWATCH_VERSION;
}  // namespace cspwatch
