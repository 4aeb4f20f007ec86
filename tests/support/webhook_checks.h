// SPDX-License-Identifier: Apache-2.0
// Checks of what cspwatch posts, made independently of the code that made it:
//   - opensslSignature(): the X-Cspwatch-Signature a receiver computes, with OpenSSL's HMAC
//     (cspwatch signs with Poco's HMACEngine), so a shared mistake cannot hide;
//   - schemaProblems(): events checked against docs/webhook-event.schema.json by Python's
//     jsonschema (Debian's python3-jsonschema, Draft 2020-12), not by cspwatch's own code.
// Test binaries that include this link OpenSSL::Crypto.
#pragma once

#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace cspwatch::testing {

// "sha256=" and the lowercase hex HMAC-SHA256 of `body` keyed with `secret`, by OpenSSL.
inline std::string opensslSignature(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &length);
  static const char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

// "" when every event in `events` (each a JSON text) is valid under the schema; otherwise what
// jsonschema says is wrong, event by event.
inline std::string schemaProblems(const std::vector<std::string>& events) {
  TempDir dir;
  std::vector<std::string> args = {
      "-c",
      "import json, sys\n"
      "from jsonschema import Draft202012Validator, FormatChecker\n"
      "schema = json.load(open(sys.argv[1]))\n"
      "Draft202012Validator.check_schema(schema)\n"
      "v = Draft202012Validator(schema, format_checker=FormatChecker())\n"
      "bad = 0\n"
      "for path in sys.argv[2:]:\n"
      "    for e in v.iter_errors(json.load(open(path))):\n"
      "        bad += 1\n"
      "        print(path, list(e.absolute_path), e.message)\n"
      "sys.exit(1 if bad else 0)\n",
      sourcePath("docs/webhook-event.schema.json")};
  for (size_t i = 0; i < events.size(); ++i)
    args.push_back(dir.write("event" + std::to_string(i) + ".json", events[i]));
  ProcessResult r = runCommand("/usr/bin/python3", args);
  return r.exit_code == 0 ? std::string() : r.out + r.err;
}

}  // namespace cspwatch::testing
