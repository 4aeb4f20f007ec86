// SPDX-License-Identifier: Apache-2.0
#include "sim/world.h"

#include <algorithm>
#include <functional>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/file_util.h"
#include "common/text.h"
#include "common/yaml_util.h"
#include "tenants/tenant_json.h"

namespace cspwatch::sim {

const tenants::Tenant* World::find(const std::string& id) const {
  for (const auto& t : tenants)
    if (t.id == id) return &t;
  return nullptr;
}

TenantAccess World::accessOf(const std::string& tenant_id) const {
  auto it = access.find(tenant_id);
  return it == access.end() ? TenantAccess{} : it->second;
}

bool World::companyDetailsVisible(const tenants::Tenant& t) const {
  if (t.dap_enabled.value_or(false)) return true;
  static const char* kRoles[] = {kGlobalAdminRole,
                                 "9360feb5-f418-4baa-8175-e2a00bac4301",   // Directory Writers
                                 "f2ef992c-3afb-46b9-b7cf-a126ee74c451",   // Global Reader
                                 "8329153b-31d0-4727-b945-745eb3bc5f31"};  // Domain Name Admin.
  for (const auto& r : t.admin_relationships.value_or(std::vector<tenants::AdminRelationship>{})) {
    if (r.partner_tenant_id != partner.tenant_id ||
        (r.status != "active" && r.status != "expiring"))
      continue;
    for (const char* role : kRoles)
      if (std::find(r.role_definition_ids.begin(), r.role_definition_ids.end(), role) !=
          r.role_definition_ids.end())
        return true;
  }
  return false;
}

std::optional<DirectoryEntry> World::lookup(const std::string& tenant_id) const {
  for (const auto& d : directory)
    if (d.tenant_id == tenant_id) return d;
  if (const tenants::Tenant* t = find(tenant_id))
    return DirectoryEntry{t->id, t->name, t->default_domain};
  return std::nullopt;
}

const Mailbox* World::findMailbox(const std::string& upn_or_id) const {
  if (!mailboxes) return nullptr;
  const std::string key = toLowerAscii(upn_or_id);
  for (const auto& m : *mailboxes)
    if (toLowerAscii(m.address) == key || (!m.id.empty() && m.id == key)) return &m;
  return nullptr;
}

namespace {

// One world file being read: where diagnostics go and the document's top mapping.
struct WorldReader {
  const std::string& file;
  Diagnostics& d;
  const YAML::Node& doc;
  YamlMap& top;
  World& w;

  void partner();
  void tenantList();
  void mailboxes();
  // An optional list under `key` whose items are mappings, each given to `item_fn`.
  void listOf(const char* key, const std::function<void(YamlMap&)>& item_fn);
  void access();
  void directory();
};

void WorldReader::partner() {
  YamlMap p(top.get("partner"), file, "world", "partner", d, doc);
  if (!p.valid()) return;
  p.checkKeys({"name", "tenant_id", "mpn_ids", "distributor_tenant_ids",
               "trusted_partner_tenant_ids", "email_domains"});
  w.partner.name = p.getString("name", true).value_or("");
  w.partner.tenant_id = p.getGuid("tenant_id", true).value_or("");
  w.partner.mpn_ids = p.getStringList("mpn_ids").value_or(std::vector<std::string>{});
  w.partner.distributor_tenant_ids =
      p.getGuidList("distributor_tenant_ids").value_or(std::vector<std::string>{});
  w.partner.trusted_partner_tenant_ids =
      p.getGuidList("trusted_partner_tenant_ids").value_or(std::vector<std::string>{});
  w.partner.email_domains =
      p.getStringList("email_domains", true).value_or(std::vector<std::string>{});
}

void WorldReader::tenantList() {
  YAML::Node list = top.get("tenants");
  if (!list.IsSequence()) {
    top.error("missing-key", top.location(), "a world needs a 'tenants' list");
    return;
  }
  for (const auto& item : list)
    if (auto t = tenants::tenantFromNode(item, file, "world", d))
      w.tenants.push_back(std::move(*t));
}

// Optional: the partner tenant's mailboxes (absent or null: every mailbox exists).
void WorldReader::mailboxes() {
  YAML::Node boxes = top.get("mailboxes");
  if (!boxes.IsDefined() || boxes.IsNull()) return;
  if (!boxes.IsSequence()) {
    top.error(
        "wrong-type", top.valueLocation("mailboxes"),
        "'mailboxes' must be a list of {address, id, app_access}, found " + describeNode(boxes));
    return;
  }
  w.mailboxes.emplace();
  for (const auto& item : boxes) {
    YamlMap m(item, file, "world", "mailbox", d, boxes);
    if (!m.valid()) continue;
    m.checkKeys({"address", "id", "app_access"});
    Mailbox box;
    box.address = m.getString("address", true).value_or("");
    if (m.has("address") && !looksLikeEmail(box.address))
      m.error("bad-value", m.valueLocation("address"),
              "'" + box.address + "' is not an email address");
    box.id = m.getGuid("id").value_or("");
    box.app_access = m.getBool("app_access").value_or(true);
    w.mailboxes->push_back(std::move(box));
  }
}

void WorldReader::listOf(const char* key, const std::function<void(YamlMap&)>& item_fn) {
  YAML::Node items = top.get(key);
  if (!items.IsDefined() || items.IsNull()) return;
  if (!items.IsSequence()) {
    top.error("wrong-type", top.valueLocation(key),
              std::string("'") + key + "' must be a list, found " + describeNode(items));
    return;
  }
  for (const auto& item : items) {
    YamlMap m(item, file, "world", key, d, items);
    if (m.valid()) item_fn(m);
  }
}

// Optional: what our access shows of some tenants.
void WorldReader::access() {
  listOf("access", [this](YamlMap& m) {
    m.checkKeys({"tenant_id", "organization"});
    auto id = m.getGuid("tenant_id", true);
    TenantAccess a;
    if (auto org = m.getString("organization")) {
      if (*org != "full" && *org != "basic")
        m.error("bad-value", m.valueLocation("organization"),
                "'organization' must be full or basic, found '" + *org + "'");
      a.organization_basic_only = *org == "basic";
    }
    if (id) w.access[*id] = a;
  });
}

// Optional: other tenants' names.
void WorldReader::directory() {
  listOf("directory", [this](YamlMap& m) {
    m.checkKeys({"tenant_id", "display_name", "default_domain"});
    DirectoryEntry e;
    e.tenant_id = m.getGuid("tenant_id", true).value_or("");
    e.display_name = m.getString("display_name", true).value_or("");
    e.default_domain = toLowerAscii(m.getString("default_domain", true).value_or(""));
    w.directory.push_back(std::move(e));
  });
}

}  // namespace

Result<World> parseWorld(const std::string& text, const std::string& file) {
  Diagnostics d;
  auto doc = parseYamlDocument(file, text, "world", d);
  if (!doc) return Status::invalidArgument(d.renderText());
  YamlMap top(*doc, file, "world", "world", d);
  World w;
  if (top.valid()) {
    top.checkKeys({"schema_version", "partner", "tenants", "mailboxes", "access", "directory"});
    WorldReader reader{file, d, *doc, top, w};
    reader.partner();
    reader.tenantList();
    reader.mailboxes();
    reader.access();
    reader.directory();
  }
  if (d.hasErrors()) return Status::invalidArgument(d.renderText());
  return w;
}

Result<World> loadWorld(const std::string& path) {
  auto text = readWholeFile(path);
  if (!text) return text.status();
  return parseWorld(*text, path);
}

namespace {

Poco::JSON::Array::Ptr strings(const std::vector<std::string>& v) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array();
  for (const auto& s : v) a->add(s);
  return a;
}

}  // namespace

std::string worldToJson(const World& w) {
  Poco::JSON::Object::Ptr doc = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  doc->set("schema_version", 1);
  Poco::JSON::Object::Ptr p = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  p->set("name", w.partner.name);
  p->set("tenant_id", w.partner.tenant_id);
  p->set("mpn_ids", strings(w.partner.mpn_ids));
  p->set("distributor_tenant_ids", strings(w.partner.distributor_tenant_ids));
  p->set("trusted_partner_tenant_ids", strings(w.partner.trusted_partner_tenant_ids));
  p->set("email_domains", strings(w.partner.email_domains));
  doc->set("partner", p);
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
  for (const auto& t : w.tenants) list->add(tenants::tenantToJson(t));
  doc->set("tenants", list);
  if (w.mailboxes) {
    Poco::JSON::Array::Ptr boxes = new Poco::JSON::Array();
    for (const auto& m : *w.mailboxes) {
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      o->set("address", m.address);
      if (!m.id.empty()) o->set("id", m.id);
      o->set("app_access", m.app_access);
      boxes->add(o);
    }
    doc->set("mailboxes", boxes);
  }
  if (!w.access.empty()) {
    Poco::JSON::Array::Ptr access = new Poco::JSON::Array();
    for (const auto& [id, a] : w.access) {
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      o->set("tenant_id", id);
      o->set("organization", a.organization_basic_only ? "basic" : "full");
      access->add(o);
    }
    doc->set("access", access);
  }
  if (!w.directory.empty()) {
    Poco::JSON::Array::Ptr dir = new Poco::JSON::Array();
    for (const auto& e : w.directory) {
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      o->set("tenant_id", e.tenant_id);
      o->set("display_name", e.display_name);
      o->set("default_domain", e.default_domain);
      dir->add(o);
    }
    doc->set("directory", dir);
  }
  return tenants::jsonText(doc, true);
}

std::string inventoryJson(const World& w) {
  Poco::JSON::Object::Ptr doc = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  doc->set("schema_version", 1);
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
  for (const auto& t : w.tenants) {
    if (!t.hasSource(tenants::kSourceInventory)) continue;
    // The export knows identity, tags, onboarding and the addresses given to the distributor.
    tenants::Tenant e;
    e.id = t.id;
    e.name = t.name;
    e.default_domain = t.default_domain;
    e.tags = t.tags;
    e.onboarded_at = t.onboarded_at;
    std::vector<tenants::ContactEmail> contacts;
    if (t.contacts)
      for (const auto& c : *t.contacts)
        if (c.source == tenants::kSourceInventory) contacts.push_back(c);
    e.contacts = contacts;
    list->add(tenants::tenantToJson(e));
  }
  doc->set("tenants", list);
  return tenants::jsonText(doc, true);
}

}  // namespace cspwatch::sim
