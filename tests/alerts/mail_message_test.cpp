// SPDX-License-Identifier: Apache-2.0
#include "alerts/mail_message.h"

#include <sstream>

#include <Poco/Base64Decoder.h>
#include <catch2/catch.hpp>

#include "common/text.h"

using namespace cspwatch;
using namespace cspwatch::alerts;

namespace {

MailMessage sample() {
  MailMessage m;
  m.from = "cspwatch <cspwatch@northwind-it.com.au>";
  m.to = {"admins@northwind-it.com.au"};
  m.subject = "[cspwatch] 3 new, 1 resolved: partner not listed on Contoso Ltd";
  m.text = "Contoso Ltd does not list us.\nFix: send the invitation.\n";
  m.html = "<p>Contoso Ltd does not list us.</p>";
  m.message_id =
      stableMessageId("digest|2026-11-25|admins@northwind-it.com.au", "northwind-it.com.au");
  m.date = *parseTimestamp("2026-11-25T06:00:00Z");
  return m;
}

// The header block (up to the first empty line), unfolded.
std::vector<std::string> headers(const std::string& message) {
  std::string head = message.substr(0, message.find("\r\n\r\n"));
  std::vector<std::string> out;
  for (const auto& line : split(head, '\n')) {
    std::string l = line;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (!l.empty() && (l[0] == ' ' || l[0] == '\t') && !out.empty())
      out.back() += l;
    else
      out.push_back(l);
  }
  return out;
}

std::string decodeWords(const std::string& value) {
  std::string out;
  size_t pos = 0;
  while ((pos = value.find("=?UTF-8?B?", pos)) != std::string::npos) {
    size_t end = value.find("?=", pos + 10);
    std::istringstream in(value.substr(pos + 10, end - pos - 10));
    Poco::Base64Decoder dec(in);
    out += std::string(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
    pos = end + 2;
  }
  return out;
}

}  // namespace

TEST_CASE("mail: a multipart/alternative message with both parts and the usual headers") {
  auto text = renderMessage(sample());
  REQUIRE(text);
  auto h = headers(*text);
  CHECK(h[0] == "From: cspwatch <cspwatch@northwind-it.com.au>");
  CHECK(h[1] == "To: admins@northwind-it.com.au");
  CHECK(h[2] == "Subject: [cspwatch] 3 new, 1 resolved: partner not listed on Contoso Ltd");
  CHECK(h[3] == "Date: Wed, 25 Nov 2026 06:00:00 +0000");
  CHECK_THAT(h[4], Catch::StartsWith("Message-ID: <"));
  CHECK_THAT(*text, Catch::Contains("Content-Type: multipart/alternative; boundary="));
  CHECK_THAT(*text, Catch::Contains("Content-Type: text/plain; charset=UTF-8"));
  CHECK_THAT(*text, Catch::Contains("Content-Type: text/html; charset=UTF-8"));
  CHECK_THAT(*text, Catch::Contains("<p>Contoso Ltd does not list us.</p>"));
  for (const auto& line : split(*text, '\n')) CHECK(line.size() <= 78);
  // The same message renders the same bytes: a resend is recognisable.
  CHECK(*renderMessage(sample()) == *text);
  CHECK(stableMessageId("a", "x.com") == stableMessageId("a", "x.com"));
  CHECK(stableMessageId("a", "x.com") != stableMessageId("b", "x.com"));
}

TEST_CASE("mail: tenant data cannot inject headers, non-ASCII and long subjects are encoded") {
  MailMessage m = sample();
  m.subject = "New finding on <script>alert(1)</script>\r\nBcc: x@evil.example";
  auto text = renderMessage(m);
  REQUIRE(text);
  auto h = headers(*text);
  for (const auto& line : h) CHECK_FALSE(startsWith(toLowerAscii(line), "bcc:"));
  CHECK(std::count_if(h.begin(), h.end(),
                      [](const std::string& l) { return startsWith(l, "Subject:"); }) == 1);

  m.subject =
      "Partner nicht gelistet: Müller & Söhne GmbH — Auckland Ōtautahi Services, with a long tail "
      "of words";
  text = renderMessage(m);
  REQUIRE(text);
  for (const auto& line : split(*text, '\n')) CHECK(line.size() <= 78);
  std::string subject;
  for (const auto& l : headers(*text))
    if (startsWith(l, "Subject: ")) subject = l.substr(9);
  CHECK(decodeWords(subject) == m.subject);
}

TEST_CASE("mail: invisible characters in a subject are shown escaped") {
  MailMessage m = sample();
  m.subject = "New finding on Contoso \u202emoc.evil\u200b";
  auto text = renderMessage(m);
  REQUIRE(text);
  // Escaped, the subject is plain ASCII: it needs no encoded-words.
  std::string subject;
  for (const auto& l : headers(*text))
    if (startsWith(l, "Subject: ")) subject = l.substr(9);
  CHECK(subject == "New finding on Contoso \\u202emoc.evil\\u200b");
}

TEST_CASE("mail: invalid or injected addresses are refused, never written") {
  MailMessage m = sample();
  m.to = {"admins@northwind-it.com.au\r\nBcc: x@evil.example"};
  CHECK_FALSE(renderMessage(m));
  m.to = {"not an address"};
  CHECK_FALSE(renderMessage(m));
  m.to = {};
  CHECK_FALSE(renderMessage(m));
  m = sample();
  m.message_id = "<x@y>\r\nBcc: z@evil";
  CHECK_FALSE(renderMessage(m));
}

TEST_CASE("mail: quoted-printable keeps lines short and escapes what must be escaped") {
  const std::string long_line(200, 'a');
  std::string qp = quotedPrintable(long_line + "\nnaïve = yes \n");
  for (const auto& line : split(qp, '\n')) CHECK(line.size() <= 77);  // 76 + the CR
  CHECK_THAT(qp, Catch::Contains("na=C3=AFve =3D yes=20\r\n"));
}

TEST_CASE("mail: header encoding never splits a character, whatever the prefix") {
  const std::string emoji = "\xF0\x9F\x94\x92 locked \xF0\x9F\x94\x92";  // 4-byte characters
  for (size_t prefix : {0u, 9u, 60u, 70u, 90u}) {
    const std::string encoded = encodeHeaderValue(emoji + std::string(30, 'x') + emoji, prefix);
    CHECK(decodeWords(encoded) == emoji + std::string(30, 'x') + emoji);
  }
}
