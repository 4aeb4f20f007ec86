// SPDX-License-Identifier: Apache-2.0
#include "alerts/text_util.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include <Poco/Base64Encoder.h>

namespace cspwatch::alerts {

std::string base64(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);  // one line: Poco breaks lines at 72 characters by default
  encoder << bytes;
  encoder.close();
  return out.str();
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

int severityRank(const std::string& severity) {
  static const std::vector<std::string> kOrder = {"critical", "high", "medium", "low", "info"};
  return static_cast<int>(std::find(kOrder.begin(), kOrder.end(), severity) - kOrder.begin());
}

}  // namespace cspwatch::alerts
