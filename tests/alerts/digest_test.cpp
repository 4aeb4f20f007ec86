// SPDX-License-Identifier: Apache-2.0
#include "alerts/digest.h"

#include <catch2/catch.hpp>

using namespace cspwatch;
using namespace cspwatch::alerts;

namespace {

AlertItem finding(const std::string& rule, const std::string& severity, const std::string& tenant,
                  std::vector<std::string> tenant_tags = {},
                  std::vector<std::string> rule_tags = {}) {
  AlertItem i;
  static int64_t next_id = 1;
  i.finding_id = next_id++;
  i.rule_id = rule;
  i.rule_title = "Our company is not listed as the tenant's partner";
  i.severity = severity;
  i.tenant_id = "id-" + tenant;
  i.tenant_name = tenant;
  i.tenant_tags = std::move(tenant_tags);
  i.rule_tags = std::move(rule_tags);
  return i;
}

Route route(std::string name, std::vector<std::string> to, RouteMatch match = {},
            bool is_default = false) {
  Route r;
  r.name = std::move(name);
  r.to = std::move(to);
  r.match = std::move(match);
  r.is_default = is_default;
  return r;
}

std::vector<AlertItem>& sec(DigestInput& in, Section s) { return in.sections[static_cast<int>(s)]; }
const std::vector<AlertItem>& sec(const RecipientMessage& m, Section s) {
  return m.sections[static_cast<int>(s)];
}

const RecipientMessage* find(const std::vector<RecipientMessage>& all, const std::string& kind,
                             const std::string& to) {
  for (const auto& m : all)
    if (m.kind == kind && m.recipient == to) return &m;
  return nullptr;
}

}  // namespace

TEST_CASE("digest: routes by severity, rule, rule tag and tenant tag, the default gets the rest",
          "[digest]") {
  AlertPolicy policy;
  policy.routes = {route("security", {"sec@p.example"}, {{"critical", "high"}, {}, {}, {}}),
                   route("gdap", {"gdap@p.example"}, {{}, {}, {"gdap"}, {}}),
                   route("vip", {"vip@p.example"}, {{}, {}, {}, {"vip"}}),
                   route("one-rule", {"r@p.example"}, {{}, {"email-domain-unverified"}, {}, {}}),
                   route("ops", {"ops@p.example"}, {}, true)};
  DigestInput in;
  sec(in, Section::kNew) = {finding("partner-not-listed", "high", "Contoso"),
                            finding("gdap-expiring", "medium", "Fabrikam", {}, {"gdap"}),
                            finding("partner-not-listed", "medium", "Tailspin", {"vip"}),
                            finding("email-domain-unverified", "low", "Adatum"),
                            finding("partner-not-listed", "low", "Litware")};
  auto out = routeScan(in, policy);
  auto names = [](const RecipientMessage* m) {
    std::vector<std::string> n;
    if (m)
      for (const auto& i : sec(*m, Section::kNew)) n.push_back(i.tenant_name);
    return n;
  };
  CHECK(names(find(out, "digest", "sec@p.example")) == std::vector<std::string>{"Contoso"});
  CHECK(names(find(out, "digest", "gdap@p.example")) == std::vector<std::string>{"Fabrikam"});
  CHECK(names(find(out, "digest", "vip@p.example")) == std::vector<std::string>{"Tailspin"});
  CHECK(names(find(out, "digest", "r@p.example")) == std::vector<std::string>{"Adatum"});
  // The default route gets only what no other route matched.
  CHECK(names(find(out, "digest", "ops@p.example")) == std::vector<std::string>{"Litware"});
  CHECK(out.size() == 5);
}

TEST_CASE("digest: a recipient of several routes gets one digest with each item once", "[digest]") {
  AlertPolicy policy;
  policy.routes = {route("high", {"a@p.example", "b@p.example"}, {{"high"}, {}, {}, {}}),
                   route("contoso", {"a@p.example"}, {{}, {}, {}, {"contoso"}}),
                   route("ops", {"ops@p.example"}, {}, true)};
  DigestInput in;
  sec(in, Section::kNew) = {finding("r1", "high", "Contoso", {"contoso"}),
                            finding("r2", "low", "Contoso", {"contoso"})};
  auto out = routeScan(in, policy);
  const RecipientMessage* a = find(out, "digest", "a@p.example");
  REQUIRE(a);
  CHECK(sec(*a, Section::kNew).size() == 2);  // r1 via both routes, listed once
  const RecipientMessage* b = find(out, "digest", "b@p.example");
  REQUIRE(b);
  CHECK(sec(*b, Section::kNew).size() == 1);
  CHECK_FALSE(find(out, "digest", "ops@p.example"));  // everything matched elsewhere: no email
}

TEST_CASE("digest: each route chooses its sections", "[digest]") {
  AlertPolicy policy;
  Route quiet = route("quiet", {"quiet@p.example"}, {}, true);
  quiet.sections = {Section::kNew};
  Route all = route("all", {"all@p.example"}, {{"low", "medium", "high", "critical"}, {}, {}, {}});
  policy.routes = {quiet, all};
  DigestInput in;
  sec(in, Section::kResolved) = {finding("r1", "low", "Contoso")};
  auto out = routeScan(in, policy);
  REQUIRE(out.size() == 1);
  CHECK(out[0].recipient == "all@p.example");
  CHECK(sec(out[0], Section::kResolved).size() == 1);
}

TEST_CASE("digest: nothing newsworthy, no email, unknowns ride along when one goes out",
          "[digest]") {
  AlertPolicy policy;
  policy.routes = {route("ops", {"ops@p.example"}, {}, true)};
  DigestInput in;
  AlertItem still_unknown = finding("r1", "high", "Contoso");
  still_unknown.finding_id = 0;
  still_unknown.newsworthy = false;  // reported before, still unknown
  sec(in, Section::kCouldNotCheck) = {still_unknown};
  CHECK(routeScan(in, policy).empty());

  sec(in, Section::kResolved) = {finding("r2", "low", "Fabrikam")};
  auto out = routeScan(in, policy);
  REQUIRE(out.size() == 1);
  CHECK(sec(out[0], Section::kCouldNotCheck).size() == 1);  // never reads as all-clear
  CHECK(sec(out[0], Section::kResolved).size() == 1);
}

TEST_CASE("digest: critical findings also go out at once, in their own message, first",
          "[digest]") {
  AlertPolicy policy;
  policy.routes = {route("ops", {"ops@p.example"}, {}, true)};
  DigestInput in;
  sec(in, Section::kNew) = {finding("r1", "critical", "Contoso"), finding("r2", "low", "Adatum")};
  sec(in, Section::kReminders) = {finding("r3", "critical", "Litware")};  // not new: no alarm
  auto out = routeScan(in, policy);
  REQUIRE(out.size() == 2);
  CHECK(out[0].kind == "critical");
  REQUIRE(sec(out[0], Section::kNew).size() == 1);
  CHECK(sec(out[0], Section::kNew)[0].tenant_name == "Contoso");
  CHECK(sec(out[0], Section::kReminders).empty());
  CHECK(out[1].kind == "digest");
  CHECK(sec(out[1], Section::kNew).size() == 2);
}

TEST_CASE("digest: a whole-tenant unknown is not filtered by rule matchers", "[digest]") {
  Route r = route("sec", {"s@p.example"}, {{"critical"}, {"x"}, {"gdap"}, {"vip"}});
  AlertItem whole;
  whole.rule_id = "*";
  whole.tenant_id = "t";
  whole.tenant_tags = {"vip"};
  CHECK(routeMatches(r, whole));
  whole.tenant_tags = {"other"};
  CHECK_FALSE(routeMatches(r, whole));
}

TEST_CASE("digest: the subject says what matters", "[digest]") {
  RecipientMessage m;
  m.kind = "digest";
  m.sections[static_cast<int>(Section::kNew)] = {finding("p", "high", "Contoso Ltd"),
                                                 finding("p", "high", "Fabrikam"),
                                                 finding("p", "high", "Adatum")};
  m.sections[static_cast<int>(Section::kResolved)] = {finding("p", "high", "Litware")};
  CHECK(subjectFor(m) ==
        "[cspwatch] 3 new, 1 resolved: our company is not listed as the tenant's partner on "
        "Contoso Ltd and 3 more");
  RecipientMessage c;
  c.kind = "critical";
  c.sections[static_cast<int>(Section::kNew)] = {finding("p", "critical", "Contoso Ltd")};
  CHECK(subjectFor(c) ==
        "[cspwatch] CRITICAL: our company is not listed as the tenant's partner on Contoso Ltd");
  RecipientMessage r;
  r.kind = "digest";
  r.sections[static_cast<int>(Section::kReminders)] = {finding("p", "high", "Contoso Ltd")};
  CHECK(subjectFor(r) ==
        "[cspwatch] 1 reminder: our company is not listed as the tenant's partner on Contoso Ltd");
}

TEST_CASE("digest: section names round-trip", "[digest]") {
  for (Section s : allSections()) CHECK(sectionFromName(sectionName(s)) == s);
  CHECK_FALSE(sectionFromName("news"));
}

TEST_CASE("digest: an item a route matches but does not want in that section goes to the default",
          "[digest]") {
  AlertPolicy policy;
  Route security = route("security", {"sec@p.example"}, {{"critical", "high"}, {}, {}, {}});
  security.sections = {Section::kNew, Section::kReopened, Section::kResolved};
  policy.routes = {security, route("desk", {"desk@p.example"}, {}, true)};
  DigestInput in;
  sec(in, Section::kReminders) = {finding("r1", "high", "Contoso")};
  AlertItem unknown = finding("r1", "high", "Fabrikam");
  sec(in, Section::kCouldNotCheck) = {unknown};
  sec(in, Section::kNew) = {finding("r1", "high", "Adatum")};
  auto out = routeScan(in, policy);
  const RecipientMessage* desk = find(out, "digest", "desk@p.example");
  REQUIRE(desk);
  CHECK(sec(*desk, Section::kReminders).size() == 1);
  CHECK(sec(*desk, Section::kCouldNotCheck).size() == 1);
  CHECK(sec(*desk, Section::kNew).empty());  // security took it
  const RecipientMessage* s = find(out, "digest", "sec@p.example");
  REQUIRE(s);
  CHECK(sec(*s, Section::kNew).size() == 1);
  CHECK(sec(*s, Section::kReminders).empty());
}

TEST_CASE("digest: the same gap in many tenants is one could-not-check line naming them",
          "[digest]") {
  DigestInput in;
  auto gap = [](const std::string& tenant, const std::string& reason, int scans) {
    AlertItem i;
    i.rule_id = "admin-email-unverified";
    i.rule_title = "A contact address is on a domain we cannot vouch for";
    i.tenant_id = "id-" + tenant;
    i.tenant_name = tenant;
    i.reason = reason;
    i.scans_in_a_row = scans;
    i.since = *parseTimestamp("2026-11-20T00:00:00Z") + std::chrono::hours(scans);
    return i;
  };
  const std::string hidden = "company email hidden: our GDAP lacks Global Reader";
  const std::string tech = "technical contacts hidden: Organization.Read.All missing";
  sec(in, Section::kCouldNotCheck) = {gap("Acme", hidden, 2), gap("Acme", tech, 2),
                                      gap("Beta", hidden, 5), gap("Gamma", hidden, 3)};
  auto out = routeScan(in, {{route("all", {"ops@x"}, {}, true)}});
  const RecipientMessage* m = find(out, "digest", "ops@x");
  REQUIRE(m != nullptr);
  const auto& items = sec(*m, Section::kCouldNotCheck);
  REQUIRE(items.size() == 2);  // one per (rule, reason), in order
  CHECK(items[0].reason == hidden);
  CHECK(items[0].group_tenants == std::vector<std::string>{"Acme", "Beta", "Gamma"});
  CHECK(items[0].scans_in_a_row == 5);
  CHECK(items[0].since == *parseTimestamp("2026-11-20T02:00:00Z"));
  CHECK(items[1].reason == tech);
  CHECK(items[1].group_tenants == std::vector<std::string>{"Acme"});
  CHECK_THAT(subjectFor(*m), Catch::Contains("2 could not be checked"));
  CHECK_THAT(subjectFor(*m), Catch::Contains("on Acme and 2 other tenants"));
}

TEST_CASE("digest: a failed sign-in sends every recipient a message of its own, first",
          "[digest]") {
  DigestInput in;
  sec(in, Section::kNew) = {finding("dap-enabled", "medium", "Acme")};
  in.sign_in_failure = "AADSTS700082: the refresh token has expired due to inactivity";
  auto out = routeScan(
      in, {{route("sec", {"sec@x"}, {{"medium"}, {}, {}, {}}), route("all", {"ops@x"}, {}, true)}});
  REQUIRE(out.size() == 3);
  CHECK(out[0].kind == "signin");
  CHECK(out[0].recipient == "sec@x");
  CHECK(out[1].kind == "signin");
  CHECK(out[1].recipient == "ops@x");
  CHECK(out[0].reason == *in.sign_in_failure);
  CHECK(subjectFor(out[0]) == "[cspwatch] CRITICAL: cspwatch cannot sign in to Partner Center");
  CHECK(out[2].kind == "digest");
  in.sign_in_failure.reset();
  for (const auto& m : routeScan(in, {{route("all", {"ops@x"}, {}, true)}}))
    CHECK(m.kind != "signin");
}
