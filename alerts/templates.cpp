// SPDX-License-Identifier: Apache-2.0
#include "alerts/templates.h"

#include <algorithm>
#include <ctime>
#include <regex>

#include <kainjow/mustache.hpp>

#include "alerts/digest_view.h"
#include "alerts/text_wrap.h"
#include "common/file_util.h"
#include "common/text_position.h"

namespace cspwatch::alerts {

namespace mu = kainjow::mustache;

struct MailTemplates::Compiled {
  // kainjow's render() is not const; the parsed templates are reused for every message.
  mu::mustache text, html;
  Compiled(const std::string& t, const std::string& h) : text(t), html(h) {
    text.set_custom_escape([](const std::string& s) { return s; });  // plain text: as is
  }
};

namespace {

// kainjow reports "... at <offset>"; turn the offset into file:line:column.
std::string positioned(const std::string& name, const std::string& source,
                       const std::string& error) {
  static const std::regex kAt(" at ([0-9]+)$");
  std::smatch m;
  TextPosition at;
  std::string what = error;
  if (std::regex_search(error, m, kAt)) {
    at = textPosition(source, std::min<size_t>(std::stoul(m[1].str()), source.size()));
    what = error.substr(0, static_cast<size_t>(m.position(0)));
  }
  return name + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
         ": error: " + what + " [alerts.template-syntax]";
}

}  // namespace

std::string mailTime(Timestamp t) {
  std::time_t secs = static_cast<std::time_t>(toUnixSeconds(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

Result<MailTemplates> MailTemplates::parse(const std::string& text, const std::string& html,
                                           const std::string& text_name,
                                           const std::string& html_name) {
  auto compiled = std::make_shared<Compiled>(text, html);
  if (!compiled->text.is_valid())
    return Status::invalidArgument(positioned(text_name, text, compiled->text.error_message()));
  if (!compiled->html.is_valid())
    return Status::invalidArgument(positioned(html_name, html, compiled->html.error_message()));
  MailTemplates t;
  t.compiled_ = std::move(compiled);
  return t;
}

Result<MailTemplates> MailTemplates::load(const std::string& dir) {
  const std::string text_path = dir + "/" + kTextFile, html_path = dir + "/" + kHtmlFile;
  auto text = readWholeFile(text_path);
  if (!text) return text.status();
  auto html = readWholeFile(html_path);
  if (!html) return html.status();
  return parse(*text, *html, text_path, html_path);
}

RenderedBody MailTemplates::render(const RecipientMessage& message,
                                   const MailContext& context) const {
  mu::data root = messageData(message, context);
  RenderedBody out;
  out.text = wrapText(compiled_->text.render(root));
  out.html = compiled_->html.render(root);
  return out;
}

}  // namespace cspwatch::alerts
