// SPDX-License-Identifier: Apache-2.0
#include "sim/login_scope.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "common/net_util.h"
#include "common/text.h"
#include "msapi/cloud.h"

namespace cspwatch::sim {

std::string audienceOf(const std::string& scope) {
  for (const auto& item : split(scope, ' ')) {
    if (item.empty() || item == "openid" || item == "profile" || item == "offline_access" ||
        item == "email")
      continue;
    const size_t slash = item.rfind('/');
    if (slash == std::string::npos) return "";
    std::string resource = item.substr(0, slash);
    while (!resource.empty() && resource.back() == '/') resource.pop_back();
    try {
      Poco::URI uri(resource);
      if (isLoopbackHost(uri.getHost())) {
        if (uri.getPath() == "/graph") return "graph";
        if (uri.getPath() == "/pc") return "pc";
        return "";
      }
    } catch (const Poco::Exception&) {
      return "";
    }
    for (const auto& cloud : msapi::cloudNames()) {
      const auto endpoints = msapi::cloudEndpoints(cloud);
      if (resource == endpoints->graph) return "graph";
      if (resource == endpoints->partner_center) return "pc";
    }
    return "";
  }
  return "";
}

}  // namespace cspwatch::sim
