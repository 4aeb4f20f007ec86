// SPDX-License-Identifier: Apache-2.0
#include "tenants/unknown_advice.h"

#include <optional>

#include "common/text.h"
#include "tenants/read_advice.h"
#include "tenants/tenant.h"

namespace cspwatch::tenants {

namespace {

// How reading the part failed, from the words the live source and the inventory use
// (read_advice.cpp's readFailure(), msapi's "HTTP <status>: ..." errors).
enum class Cause { kRefused, kSignIn, kSignInAgain, kPassing, kOther };

bool has(const std::string& text, const char* words) {
  return text.find(words) != std::string::npos;
}

Cause causeOf(const std::string& detail) {
  if (has(detail, "cspwatch auth login")) return Cause::kSignInAgain;
  if (has(detail, "sign-in to tenant")) return Cause::kSignIn;
  if (has(detail, "a passing fault") || startsWith(detail, "HTTP 429") ||
      startsWith(detail, "HTTP 5"))
    return Cause::kPassing;
  if (startsWith(detail, "HTTP 401") || startsWith(detail, "HTTP 403") ||
      has(detail, "Forbidden") || has(detail, "Authorization_RequestDenied") ||
      has(detail, "Insufficient privileges"))
    return Cause::kRefused;
  return Cause::kOther;
}

const char* partWords(Part part) {
  switch (part) {
    case Part::kCustomerList:
      return "whether the tenant is in our Partner Center customer list";
    case Part::kCustomerDetails:
      return "the customer's account in Partner Center: DAP, billing and company email";
    case Part::kIndirectRelationships:
      return "the customer's indirect reseller and provider relationships";
    case Part::kAdminRelationships:
      return "our DAP and GDAP relationships with the tenant";
    case Part::kOrganization:
      return "the tenant's organization profile: verified domains and technical contacts";
    case Part::kPartners:
      return "the partners the customer's tenant lists";
    case Part::kInventory:
      return "the tenant's record in the distributor's inventory";
  }
  return "the data this check needs";
}

std::optional<Call> callFor(Part part) {
  switch (part) {
    case Part::kCustomerList:
      return Call::kCustomerList;
    case Part::kCustomerDetails:
      return Call::kCustomerDetails;
    case Part::kIndirectRelationships:
      return Call::kRelationships;
    case Part::kAdminRelationships:
      return Call::kAdminRelationships;
    case Part::kOrganization:
      return Call::kOrganization;
    case Part::kPartners:
      return Call::kPartners;
    case Part::kInventory:
      break;
  }
  return std::nullopt;
}

const char* causeWords(Cause cause) {
  switch (cause) {
    case Cause::kRefused:
      return " (access was refused)";
    case Cause::kSignIn:
      return " (the partner user could not sign in to the tenant)";
    case Cause::kSignInAgain:
      return " (cspwatch's sign-in as the partner user is no longer accepted)";
    case Cause::kPassing:
      return " (a temporary error)";
    case Cause::kOther:
      break;
  }
  return "";
}

const UnknownAdvice kGeneral = {
    "the data this check needs",
    "the scan's output names what failed (cspwatch scans diff lists the checks that became "
    "unknown, with the technical reason)"};

}  // namespace

UnknownAdvice adviceForPart(const std::string& part_name, const std::string& detail) {
  const std::optional<Part> part = partFromName(part_name);
  if (!part) return kGeneral;
  const Cause cause = causeOf(detail);
  UnknownAdvice out;
  out.what = std::string(partWords(*part)) + causeWords(cause);
  switch (cause) {
    case Cause::kSignInAgain:
      out.fix =
          "sign in again as the partner user: run 'cspwatch auth login' on the cspwatch server";
      return out;
    case Cause::kSignIn:
      out.fix =
          "the partner user needs an active GDAP relationship with this tenant, with an access "
          "assignment for the user's security group";
      return out;
    case Cause::kPassing:
      out.fix = "nothing, unless it lasts: the next scan tries again";
      return out;
    case Cause::kRefused:
    case Cause::kOther:
      break;
  }
  if (auto call = callFor(*part))
    out.fix = whatWouldFix(*call);
  else
    out.fix =
        "the inventory export needs the tenant's record in full: check the file that "
        "sources.inventory names";
  return out;
}

UnknownAdvice adviceForUnknown(const std::string& reason) {
  if (startsWith(reason, "company email hidden"))
    return {"the company email address Partner Center holds for the customer",
            "hold DAP, or give the partner user's security group Global Reader or Directory "
            "Writer in our GDAP relationship with this tenant"};
  if (startsWith(reason, "technical contacts hidden"))
    return {"the tenant's technical contact addresses",
            "admin consent for the delegated permission Organization.Read.All on the cspwatch app, "
            "and a role that reads the directory (Directory Readers or Global Reader) for the "
            "partner user's security group in our GDAP relationship with this tenant"};
  // "tenant.<field> is unknown (<part> could not be read: <detail>)"
  static const std::string kUnknown = " is unknown (", kCouldNot = " could not be read: ";
  const size_t open = reason.find(kUnknown);
  if (!startsWith(reason, "tenant.") || open == std::string::npos) return kGeneral;
  const size_t part_at = open + kUnknown.size();
  const size_t colon = reason.find(kCouldNot, part_at);
  if (colon == std::string::npos) return kGeneral;
  std::string detail = reason.substr(colon + kCouldNot.size());
  if (!detail.empty() && detail.back() == ')') detail.pop_back();
  return adviceForPart(reason.substr(part_at, colon - part_at), detail);
}

}  // namespace cspwatch::tenants
