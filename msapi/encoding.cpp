// SPDX-License-Identifier: Apache-2.0
#include "msapi/encoding.h"

#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/URI.h>

namespace cspwatch::msapi {

std::string formEncode(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "!#$&'()*+,/:;=?@[] ", out);
  return out;
}

std::string base64Url(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  enc << bytes;
  enc.close();
  return out.str();
}

}  // namespace cspwatch::msapi
