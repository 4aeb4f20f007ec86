// SPDX-License-Identifier: Apache-2.0
// The simulated Partner Center (/pc) and Microsoft Graph (/graph) APIs over a World, plus the
// simulator's own /_sim endpoints. Shapes, paging, status values and error bodies follow
// ../shared/reference/microsoft-csp-apis.md; docs/simulator.md lists every route.
// Graph's sendMail (MIME format) is accepted for the partner tenant's mailboxes and each
// accepted message is recorded, for tests and GET /_sim/mail.
// Thread-safe: the world is read-only; counters, the clock offset and the recorded mail are
// synchronised.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "sim/faults.h"
#include "sim/http_types.h"
#include "sim/login.h"
#include "sim/profile.h"
#include "sim/world.h"

namespace cspwatch::sim {

// A message Graph's sendMail accepted.
struct SentMail {
  std::string mailbox;     // as addressed in the URL, percent-decoded
  std::string mime;        // the MIME message, decoded from the request's base64, byte for byte
  Timestamp at;            // simulator time of acceptance
  std::string request_id;  // the request-id header of the 202
};

class SimApi {
 public:
  // `faults` may be null (no throttling, no faults); it must outlive the SimApi. `profile`
  // says how the answers vary where Microsoft's documentation leaves a choice (sim/profile.h);
  // the default is the realistic profile.
  SimApi(World world, LoginService& login, const Clock& clock, FaultInjector* faults = nullptr,
         SimProfile profile = {});

  // The fault this request meets (counted in the stats), and the answer a fault that is an
  // HTTP response gives. Drops and truncation are the server's to carry out.
  Fault decideFault(const Request& request);
  Response faultResponse(Fault fault, const Request& request);
  int latencyMs(const Request& request) {
    return faults_ != nullptr ? faults_->latencyMs(request) : 0;
  }

  Response handle(const Request& request);

  // Time as the simulator sees it: the clock plus whatever /_sim/advance added.
  Timestamp now() const;
  void count(const std::string& key, int64_t n = 1);
  std::string statsJson();
  const World& world() const { return world_; }
  // Every message sendMail accepted, oldest first; and as GET /_sim/mail serves them.
  std::vector<SentMail> sentMail();
  std::string mailJson();

  // Test-only: asked first about every Partner Center and Graph request that passed
  // authentication and throttling (`tenant` is the access token's tenant: ours for Partner
  // Center and partner-side Graph, the customer's for customer-side Graph). An answer it gives
  // is served instead of the simulated one: a malformed body for one tenant, say. Not
  // reachable from the command line.
  using Override =
      std::function<std::optional<Response>(const Request& request, const std::string& tenant)>;
  void setOverride(Override override_fn);

 private:
  Response faultAnswer(Fault fault, const Request& request);
  Response withRequestIds(Response answer, const Request& request);
  // Partner Center (sim/pc_routes.cpp).
  Response partnerCenter(const Request& r, const std::string& path);
  Response customers(const Request& r);
  Response customer(const tenants::Tenant& t);
  Response relationships(const Request& r, const tenants::Tenant& t);
  // Graph (sim/graph_routes.cpp, sim/graph_mail.cpp).
  Response graph(const Request& r, const std::string& path);
  Response adminRelationships(const Request& r);
  Response accessAssignments(const Request& r, const std::string& relationship_id);
  Response contracts(const Request& r);
  Response tenantInformation(const Request& r, const std::string& arguments);
  Response organization(const Request& r, const tenants::Tenant& t);
  Response partners(const Request& r, const tenants::Tenant& t);
  Response sendMail(const Request& r, const AccessToken& token, const std::string& mailbox);

  std::optional<Response> throttled(const std::string& scope, bool partner_center);
  // A 429 sent: counted in all ("throttled_429") and per API.
  void countThrottled(bool partner_center);
  std::optional<Response> overridden(const Request& r, const std::string& tenant);

  World world_;
  SimProfile profile_;
  LoginService& login_;
  const Clock& clock_;
  FaultInjector* faults_;
  std::atomic<int64_t> offset_seconds_{0};
  std::atomic<uint64_t> answers_{0};  // numbers Graph's request-ids
  std::mutex stats_mutex_;
  std::map<std::string, int64_t> stats_;
  std::vector<std::pair<const tenants::Tenant*, const tenants::AdminRelationship*>>
      our_relationships_;
  std::vector<const tenants::Tenant*> customers_;
  std::mutex mail_mutex_;
  std::vector<SentMail> mail_;
  std::mutex override_mutex_;
  Override override_;
};

// Graph's error body: {"error": {"code", "message", "innerError": {...}}}.
Response graphError(int status, const std::string& code, const std::string& message, Timestamp now);
// Partner Center's error body: {"code", "description", "data", "source"}.
Response partnerCenterError(int status, int code, const std::string& description);

}  // namespace cspwatch::sim
