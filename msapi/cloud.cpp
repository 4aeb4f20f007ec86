// SPDX-License-Identifier: Apache-2.0
#include "msapi/cloud.h"

namespace cspwatch::msapi {

namespace {

std::string trimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

const std::vector<std::string>& cloudNames() {
  static const std::vector<std::string> names = {"public", "usgov", "usgov-dod", "china"};
  return names;
}

std::optional<CloudEndpoints> cloudEndpoints(const std::string& cloud) {
  // Partner Center for the US Government clouds is the global endpoint (Partner Center REST
  // URLs); Graph differs (graph.microsoft.us, dod-graph.microsoft.us).
  if (cloud == "public")
    return CloudEndpoints{"https://login.microsoftonline.com",
                          "https://api.partnercenter.microsoft.com", "https://graph.microsoft.com"};
  if (cloud == "usgov")
    return CloudEndpoints{"https://login.microsoftonline.us",
                          "https://api.partnercenter.microsoft.com", "https://graph.microsoft.us"};
  if (cloud == "usgov-dod")
    return CloudEndpoints{"https://login.microsoftonline.us",
                          "https://api.partnercenter.microsoft.com",
                          "https://dod-graph.microsoft.us"};
  if (cloud == "china")
    return CloudEndpoints{"https://login.partner.microsoftonline.cn",
                          "https://partner.partnercenterapi.microsoftonline.cn",
                          "https://microsoftgraph.chinacloudapi.cn"};
  return std::nullopt;
}

std::string defaultScope(const std::string& api_url) { return trimSlash(api_url) + "/.default"; }

std::string userImpersonationScope(const std::string& api_url) {
  return trimSlash(api_url) + "/user_impersonation";
}

}  // namespace cspwatch::msapi
