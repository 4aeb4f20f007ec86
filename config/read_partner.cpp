// SPDX-License-Identifier: Apache-2.0
// The 'partner' section: who we are (config/section_readers.h).
#include "common/text.h"
#include "config/section_readers.h"

namespace cspwatch::config {

namespace detail {

namespace {

// Reads email_domains, lower-cased, each checked to be a domain ("contoso.com"), not a mailbox.
void readEmailDomains(const ReadContext& ctx, YamlMap& m, PartnerIdentity& p) {
  auto domains = m.getStringList("email_domains", true);
  if (!domains) return;
  YAML::Node list = m.get("email_domains");
  size_t i = 0;
  for (const auto& d : *domains) {
    YAML::Node item = list[i++];
    std::string lowered = toLowerAscii(trim(d));
    if (lowered.find('.') == std::string::npos || lowered.find('@') != std::string::npos ||
        lowered.find(' ') != std::string::npos) {
      m.error("bad-value", locationFromMark(ctx.file, item.Mark()),
              "'" + d + "' is not a mail domain", "write the part after '@', e.g. contoso.com");
      continue;
    }
    p.email_domains.push_back(lowered);
  }
  if (domains->empty())
    m.error("bad-value", m.valueLocation("email_domains"),
            "'email_domains' must name at least one domain whose mail we control");
}

}  // namespace

void readPartner(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                 PartnerIdentity& p) {
  YamlMap m = ctx.map(node, "section 'partner'", parent);
  if (!m.valid()) return;
  m.checkKeys({"name", "tenant_id", "mpn_ids", "distributor_tenant_ids",
               "trusted_partner_tenant_ids", "email_domains"});
  p.name = m.getString("name", true).value_or("");
  p.tenant_id = m.getGuid("tenant_id", true).value_or("");
  p.mpn_ids = m.getStringList("mpn_ids").value_or(std::vector<std::string>{});
  p.distributor_tenant_ids =
      m.getGuidList("distributor_tenant_ids").value_or(std::vector<std::string>{});
  p.trusted_partner_tenant_ids =
      m.getGuidList("trusted_partner_tenant_ids").value_or(std::vector<std::string>{});
  readEmailDomains(ctx, m, p);
}

}  // namespace detail

std::optional<PartnerIdentity> readPartnerSection(const YAML::Node& node, const std::string& file,
                                                  Diagnostics& diags) {
  const size_t errors = diags.errorCount();
  const std::string no_base_dir;  // the partner section names no paths
  PartnerIdentity partner;
  detail::readPartner({file, no_base_dir, diags}, node, node, partner);
  if (diags.errorCount() != errors) return std::nullopt;
  return partner;
}

}  // namespace cspwatch::config
