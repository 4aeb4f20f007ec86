// SPDX-License-Identifier: Apache-2.0
// What the mail templates see (docs/alerts.md#templates): a message and its context turned into
// mustache data. The summary first (alerts/digest_summary.h); then each section, its findings
// both as a flat `items` list and grouped by rule (`groups`: the rule's title, severity and why
// once, then its findings); each finding with the tenant by name, the subject by name, what is
// wrong and the fix, as plain text (HTML-escaped by the template) and as HTML with its URLs
// linked (`*_html`, escaped here: alerts/links.h), and the tenant's deep links.
//
// Every text value is redacted (common/redact.h) and made one line (control characters as
// spaces), the last line of defence before a message leaves. Pure.
#pragma once

#include <kainjow/mustache.hpp>

#include "alerts/digest.h"
#include "alerts/templates.h"

namespace cspwatch::alerts {

kainjow::mustache::data messageData(const RecipientMessage& message, const MailContext& context);

}  // namespace cspwatch::alerts
