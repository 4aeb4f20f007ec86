// SPDX-License-Identifier: Apache-2.0
#include "cli/diagnostics_json.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "tenants/tenant_json.h"

namespace cspwatch::cli {

std::string diagnosticsToJson(const Diagnostics& diags) {
  using Poco::JSON::Array;
  using Poco::JSON::Object;
  Object::Ptr doc = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  doc->set("schema_version", 1);
  doc->set("errors", static_cast<int>(diags.errorCount()));
  doc->set("warnings", static_cast<int>(diags.warningCount()));
  Array::Ptr list = new Array();
  for (const auto& d : diags.items()) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("severity", std::string(severityName(d.severity)));
    o->set("code", d.code);
    o->set("file", d.location.file);
    o->set("line", d.location.line);
    o->set("column", d.location.column);
    o->set("context", d.context);
    o->set("message", d.message);
    o->set("hint", d.hint);
    list->add(o);
  }
  doc->set("diagnostics", list);
  return tenants::jsonText(doc, true);
}

}  // namespace cspwatch::cli
