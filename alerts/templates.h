// SPDX-License-Identifier: Apache-2.0
// The mail templates: mustache files operators can edit (etc/templates/digest.txt.mustache and
// digest.html.mustache; the variables are listed in docs/alerts.md). One pair renders every
// message kind (digest, critical, test), from the data alerts/digest_view.h makes. The HTML
// template's {{variables}} are HTML-escaped, so tenant data cannot add markup (the *_html ones are
// escaped already, with their URLs linked); the text template's are not escaped, and the text
// part is wrapped at 78 columns afterwards (alerts/text_wrap.h).
//
// kainjow-mustache (Debian's libkainjow-mustache-dev, header-only) does the rendering. Loading
// checks the syntax and reports errors as file:line:column. Render is thread-compatible: use
// one MailTemplates per thread or guard it.
#pragma once

#include <memory>
#include <string>

#include "alerts/digest.h"
#include "common/status.h"
#include "common/time.h"

namespace cspwatch::alerts {

struct RenderedBody {
  std::string text, html;
};

// What a message says besides its items.
struct MailContext {
  std::string partner_name;  // "Example Partner Pty Ltd"
  std::string subject;
  int64_t scan_id = 0;
  Timestamp now;
  int could_not_check_after = 2;       // scans in a row before a check is reported unknown
  std::string intro;                   // free text at the top (test messages)
  size_t max_items_per_section = 200;  // the rest is summed up as "and N more"
};

class MailTemplates {
 public:
  inline static const char* kTextFile = "digest.txt.mustache";
  inline static const char* kHtmlFile = "digest.html.mustache";

  // Reads and checks <dir>/digest.txt.mustache and <dir>/digest.html.mustache.
  static Result<MailTemplates> load(const std::string& dir);
  // Checks templates given as text; `text_name`/`html_name` name them in errors.
  static Result<MailTemplates> parse(const std::string& text, const std::string& html,
                                     const std::string& text_name, const std::string& html_name);

  RenderedBody render(const RecipientMessage& message, const MailContext& context) const;

 private:
  struct Compiled;
  std::shared_ptr<Compiled> compiled_;
};

// "2026-11-25 14:00 UTC": how times appear in mail.
std::string mailTime(Timestamp t);

}  // namespace cspwatch::alerts
