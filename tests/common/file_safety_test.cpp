// SPDX-License-Identifier: Apache-2.0
// The one rule for reading a secret from a file (common/file_safety.h: secretText,
// readSecretFile): line ends at the end go, everything else stays.
#include "common/file_safety.h"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/support/temp_dir.h"

using namespace cspwatch;

TEST_CASE("secrets: the line ends at the end of the file are not part of the secret") {
  CHECK(secretText("s3cret") == "s3cret");
  CHECK(secretText("s3cret\n") == "s3cret");
  CHECK(secretText("s3cret\r\n") == "s3cret");
  CHECK(secretText("s3cret\n\n\r\n") == "s3cret");
  CHECK(secretText("") == "");
  CHECK(secretText("\n") == "");
}

TEST_CASE("secrets: spaces and inner line ends are part of the secret") {
  CHECK(secretText("pass word  \n") == "pass word  ");
  CHECK(secretText(" leading\n") == " leading");
  CHECK(secretText("\ttab") == "\ttab");
  CHECK(secretText("two\nlines\n") == "two\nlines");
}

TEST_CASE("secrets: readSecretFile checks the file, then applies the same rule") {
  testing::TempDir dir;
  const std::string path = dir.write("smtp_password", "pass word \r\n");
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  auto read = readSecretFile(path, "the SMTP password file");
  REQUIRE(read);
  CHECK(*read == "pass word ");
  REQUIRE(::chmod(path.c_str(), 0666) == 0);  // anyone may change it: refused, not read
  auto refused = readSecretFile(path, "the SMTP password file");
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.status().message(), Catch::Contains("the SMTP password file"));
}
