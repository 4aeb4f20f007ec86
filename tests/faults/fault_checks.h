// SPDX-License-Identifier: Apache-2.0
// Checks the fault tests share: SQLite's own verdict on a database file, and the Message-ID a
// received message carries (what tells a repeat from a second message).
#pragma once

#include <string>

#include <catch2/catch.hpp>

#include "storage/database.h"

namespace cspwatch::testing {

// PRAGMA integrity_check on `path` over a read-only connection ("ok" when sound).
inline std::string integrityCheck(const std::string& path) {
  auto db = storage::Database::open(path, true);
  INFO((db ? "" : db.status().message()));
  REQUIRE(db);
  auto st = db->prepare("PRAGMA integrity_check");
  INFO((st ? "" : st.status().message()));
  REQUIRE(st);
  REQUIRE(st->step());
  return st->getText(0);
}

// The Message-ID header of a message as received ("" without one).
inline std::string messageIdOf(const std::string& data) {
  const size_t at = data.find("\r\nMessage-ID: ");
  if (at == std::string::npos) return "";
  const size_t end = data.find("\r\n", at + 2);
  return data.substr(at + 14, end - at - 14);
}

}  // namespace cspwatch::testing
