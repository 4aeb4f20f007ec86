// SPDX-License-Identifier: Apache-2.0
// The one redaction step: every text that may hold a secret passes through it before it is
// stored, printed, logged or mailed. Text from outside (a server's error body, its
// error_description, an exception's message) goes through outsideText(); anything about to
// reach a sink goes through redactSecrets() as a second line of defence.
//
// What is replaced with "[redacted]":
//  - each registered secret (client secrets, refresh tokens, access tokens, proxy passwords,
//    the endpoint token, one-off codes), found in the text plain; URL- or form-encoded (%XX in
//    either case, %25XX encoded twice, '+' or %20 for a space, whichever characters the encoder
//    chose to encode); JSON-escaped (\" \\ \/ and \uXXXX); and in base64 and base64url at each
//    of the three alignments, so that a secret inside a longer encoded string (HTTP Basic
//    "id:secret", a base64 echo of a whole request) is found too: what is replaced is the part
//    of the encoding that depends on the secret's bytes alone. A piece of a form (an echo cut
//    short) counts as the secret too: any beginning of 16 bytes or more, and any piece of 37
//    bytes or more. Forms shorter than 6 bytes are not looked for (registerSecret ignores
//    values that short: they would mask ordinary words). Not found: a secret with letters or
//    digits percent-encoded or \u-escaped (no encoder does that), encoded twice in other ways
//    than %25XX or JSON inside a URL-encoded text, base64 with line breaks inside, and shorter
//    pieces.
//  - by shape, with no registration: "Bearer <token>" (the scheme in any case, separated by
//    spaces, '+' or %20; a token of 16 characters or more, or one with a character other than a
//    letter), keeping "Bearer "; and anything shaped like a JWT (three base64url parts, the
//    first starting "eyJ").
//
// Cost: linear in the text, and independent of how many secrets are registered (each form's
// 6-byte windows at every 32nd byte are keys of a hash table; a hit is then extended byte by
// byte). Registering is O(length of the secret). Lasting secrets are kept for the life of the
// process; rotating ones (every access token and rotated refresh token) only the newest
// kMaxRotatingSecrets: an echo reflects the request just made, with the token just used (and
// msapi's TokenProvider registers a cached token again each time it hands it out). A secret
// takes about 9 times its length in memory: 128 rotating tokens of 1.5 KB, about 2 MB.
//
// Thread-safe: registration and redaction may run on any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cspwatch {

inline constexpr std::string_view kRedacted = "[redacted]";
// What outsideText() keeps of a server's text, in bytes.
inline constexpr size_t kOutsideTextMax = 300;
// Rotating secrets remembered; the oldest is forgotten when one more is registered.
inline constexpr size_t kMaxRotatingSecrets = 128;

// Registers a secret kept for the life of the process. Values shorter than 6 bytes are ignored.
void registerSecret(const std::string& secret);
// Registers a secret a newer one replaces (an access token, a rotated refresh token, a one-off
// code): only the newest kMaxRotatingSecrets are kept. One already registered as lasting stays
// lasting.
void registerRotatingSecret(const std::string& secret);

// `text` with every registered secret, in every form above, and every bearer token or JWT
// replaced with "[redacted]". Nothing else changes (line breaks stay).
std::string redactSecrets(std::string_view text);

// Text that came from outside, made fit for a one-line reason: redacted (redactSecrets), line
// breaks, tabs and other control characters as single spaces, malformed UTF-8 as '?', trimmed,
// and cut at `max_bytes` (never inside a UTF-8 character or a "[redacted]") with "…(cut)"
// added. Only the first max_bytes + 64 KiB of `text` are read: a huge body costs no more.
std::string outsideText(std::string_view text, size_t max_bytes = kOutsideTextMax);

// Tests: forgets every registered secret.
void forgetSecretsForTesting();
// Tests and benchmarks: how many secrets are registered (lasting + rotating).
size_t registeredSecretCount();

}  // namespace cspwatch
