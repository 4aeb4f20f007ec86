// SPDX-License-Identifier: Apache-2.0
// The test code's precompiled header (tests/CMakeLists.txt builds it once and compiles every test
// file with it): the heavy third-party and standard headers the test files include, parsed once
// instead of once a file. Only headers that never change belong here, never the project's own
// (an edit to one would rebuild the whole suite). Each test file still includes what it uses.
//
// Catch2 is in nearly every test file. The rest only for clang: clang reads from a precompiled
// header only what a file uses, so there more is cheaper everywhere (the sanitizer build's test
// files: 26% less to compile with all of these, 18% with Catch2 alone), while gcc reads all of it
// in every file, which costs the half of the files that do not use Poco JSON more than it saves
// the others (the release build's: 13% less with Catch2 alone, 5% with all of these).
#pragma once

#include <catch2/catch.hpp>

#if defined(__clang__)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#endif
