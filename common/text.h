// SPDX-License-Identifier: Apache-2.0
// Small string helpers shared by the loaders and the rules engine. All ASCII-only by design:
// the identifiers, domains and keys they handle are ASCII, and locale-dependent case mapping
// would make a rule's outcome depend on the machine.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cspwatch {

std::string toLowerAscii(std::string_view s);
std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
bool startsWith(std::string_view s, std::string_view prefix);
// `s` with every occurrence of `from` (not empty) replaced by `to`.
std::string replaceAll(std::string s, std::string_view from, std::string_view to);
bool endsWith(std::string_view s, std::string_view suffix);
// `s` on one line: each CR and LF replaced by a space (a status line, a response's reason).
std::string withoutLineBreaks(std::string s);

// Edit distance with insertions, deletions, substitutions and adjacent transpositions each
// costing 1 (optimal string alignment), in O(|a|*|b|) time and O(|b|) space. Used for
// did-you-mean hints and for lookalike-domain checks.
size_t editDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` if it is close enough to be a likely typo (distance at most
// a third of the word's length, at least 1, and smaller than the word itself), else the only
// candidate that begins with `word` (4 characters or more), else "".
std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates);

// "did you mean 'x'?" or "" when nothing is close; the standard hint text for typos.
std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates);

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF). When it is not and `bad_offset` is given, it receives the first bad byte's offset.
bool isValidUtf8(std::string_view s, size_t* bad_offset = nullptr);
// The code point `cp` (at most U+10FFFF) appended to `out` in UTF-8.
void appendUtf8(std::string& out, uint32_t cp);

// `s` made safe to show in one line of a terminal or log: control characters other than tab
// become '?', and so does each byte of a malformed UTF-8 sequence (one byte for one, so byte
// columns still line up). Valid UTF-8 is kept.
std::string printable(std::string_view s);

// `s` with every character that changes how text around it is shown, or shows nothing, written
// as an escape ("\\u202e", "\\U000e0041") so that a name cannot disguise itself: bidirectional
// overrides, embeddings and isolates, zero-width spaces and joiners, the byte-order mark, soft
// hyphens and the other format characters (Unicode category Cf), line and paragraph separators
// (Zl, Zp) and the C1 controls (U+0080 to U+009F). Everything else, malformed UTF-8 and the
// ASCII controls included, is kept as it is: each sink already has its rule for those.
std::string showInvisible(std::string_view s);

// `s` itself when at most `max` bytes, else its first bytes (not splitting a UTF-8 character)
// and "... (N bytes)": for quoting operator-written values in messages.
std::string abbreviate(std::string_view s, size_t max = 200);

// The lower-cased domain of an email address ("" if it is not of the form local@domain).
std::string emailDomain(std::string_view address);
// A syntactic check of an address: one '@', non-empty local part, a dotted domain, no spaces.
bool looksLikeEmail(std::string_view address);
// `text` with &, <, >, " and ' as entities, for text put into HTML (the digest, the sign-in
// pages of `auth login` and of the simulator).
std::string htmlEscape(std::string_view text);

}  // namespace cspwatch
