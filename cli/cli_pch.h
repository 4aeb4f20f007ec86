// SPDX-License-Identifier: Apache-2.0
// The CLI library's precompiled header (cli/CMakeLists.txt): the heavy third-party headers its
// command files include, parsed once instead of once a file. CLI11 is header-only and in 17 of
// its 25 files; yaml-cpp and spdlog come with config/app_config.h and common/logging.h in about
// half; Poco JSON in 11. Only headers that never change belong here, never the project's own (an
// edit to one would rebuild the whole library). Each file still includes what it uses.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>
