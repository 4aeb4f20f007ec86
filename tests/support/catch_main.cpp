// SPDX-License-Identifier: Apache-2.0
// The main() of every test executable: Catch2's, after one check of the test names. ctest's
// test discovery (catch_discover_tests) splits a name at ';', so a test so named would run as
// several filters that match nothing and "pass" without running; such a name fails the whole
// executable instead, naming the test. `--store sqlite|postgres` picks the backend of the stores
// tests ask for (tests/support/test_store.h).
#define CATCH_CONFIG_RUNNER
#include <iostream>

#include <catch2/catch.hpp>

#include "tests/support/test_store.h"

int main(int argc, char* argv[]) {
  Catch::Session session;
  std::string store = "sqlite";
  session.cli(session.cli() | Catch::clara::Opt(store, "sqlite|postgres")["--store"](
                                  "the backend of the tests' stores (tests/support/test_store.h)"));
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  bool bad = false;
  for (const auto& test : Catch::getAllTestCasesSorted(session.config())) {
    if (test.name.find(';') != std::string::npos) {
      std::cerr << "test name with ';' (ctest would split it): " << test.name << "\n";
      bad = true;
    }
  }
  if (bad) return 2;
  if (store != "sqlite" && store != "postgres") {
    std::cerr << "--store takes sqlite or postgres, not '" << store << "'\n";
    return 2;
  }
  cspwatch::testing::useStore(store);
  return session.run();
}
