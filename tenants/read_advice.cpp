// SPDX-License-Identifier: Apache-2.0
#include "tenants/read_advice.h"

#include "common/text.h"

namespace cspwatch::tenants {

namespace {

// How the call failed, from its Status: ApiClient gives HTTP errors as "HTTP <status>: ...",
// TokenProvider a refused sign-in as "sign-in to tenant ... refused (...)".
enum class How { kRefused, kSignIn, kUnauthenticated, kMalformed, kPassing };

How howItFailed(const Status& s) {
  const std::string& m = s.message();
  if (s.code() == Status::Code::kUnauthenticated) return How::kUnauthenticated;
  if (s.code() == Status::Code::kCorruption) return How::kMalformed;
  if (m.find("sign-in to tenant") != std::string::npos) return How::kSignIn;
  if (startsWith(m, "HTTP 401") || startsWith(m, "HTTP 403")) return How::kRefused;
  return How::kPassing;
}

}  // namespace

std::string whatWouldFix(Call c) {
  switch (c) {
    case Call::kCustomerList:
      return "the partner user (or the app, signed in app-only) needs a Partner Center role that "
             "lists customers, such as Admin agent or Sales agent; the app needs the delegated "
             "permission Partner Center user_impersonation with admin consent";
    case Call::kCustomerDetails:
      return "the partner user needs the Admin agent or Sales agent role in Partner Center";
    case Call::kRelationships:
      return "needs App+User sign-in (cspwatch auth login) by a partner user with the Admin "
             "agent role";
    case Call::kAdminRelationships:
      return "the app needs the application permission DelegatedAdminRelationship.Read.All, "
             "admin-consented in our tenant";
    case Call::kOrganization:
      return "our GDAP relationship with this tenant needs a role that reads the directory "
             "(Directory Readers or Global Reader) for the partner user's security group, and "
             "the app the delegated permission Organization.Read.All";
    case Call::kPartners:
      return "our GDAP relationship with this tenant needs Security Reader or Global Reader for "
             "the partner user's security group, and the app the delegated permission "
             "Policy.Read.All";
  }
  return "";
}

std::string readFailure(Call call, const Status& failure) {
  const std::string& what = failure.message();
  switch (howItFailed(failure)) {
    case How::kUnauthenticated:
      return what;  // already says to run `cspwatch auth login`
    case How::kSignIn:
      return what +
             "; the partner user could not sign in to this tenant: it needs an active GDAP "
             "relationship with an access assignment for the user's security group (or, app-only, "
             "the app consented in the tenant)";
    case How::kRefused:
      return what + "; " + whatWouldFix(call);
    case How::kMalformed:
      return what;
    case How::kPassing:
      return what + "; a passing fault: the next scan tries again";
  }
  return what;
}

}  // namespace cspwatch::tenants
