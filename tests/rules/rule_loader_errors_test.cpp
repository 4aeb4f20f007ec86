// SPDX-License-Identifier: Apache-2.0
// Broken rule files, one mistake each: the loader must reject every one and report the first
// error with its stable code at the exact 1-based line and column of the offending text (inside
// the expression for condition, subject and template errors, also in block and quoted scalars).
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "rules/rule_loader.h"
#include "tenants/tenant_value.h"

using cspwatch::Diagnostic;
using cspwatch::Severity;
using cspwatch::rules::LoadResult;
using cspwatch::rules::RuleSource;

namespace {

struct Expect {
  Expect(std::string code_, int line_, int column_, std::string says_ = {},
         std::string file_ = "broken.yaml")
      : code(std::move(code_)),
        line(line_),
        column(column_),
        says(std::move(says_)),
        file(std::move(file_)) {}
  std::string code;
  int line;
  int column;
  std::string says;  // a substring of the message or the hint; may be empty
  std::string file;  // the file the error points into
};

struct Case {
  Case(std::string name_, std::string text_, Expect first_, std::string earlier_ = {})
      : name(std::move(name_)),
        text(std::move(text_)),
        first(std::move(first_)),
        earlier(std::move(earlier_)) {}
  std::string name;
  std::string text;     // broken.yaml
  Expect first;         // its first error
  std::string earlier;  // base.yaml, loaded before broken.yaml when not empty
};

LoadResult load(const std::vector<RuleSource>& sources) {
  return cspwatch::rules::loadRules(sources, {&cspwatch::tenants::tenantType()});
}

LoadResult load(const Case& c) {
  std::vector<RuleSource> sources;
  if (!c.earlier.empty()) sources.push_back({"base.yaml", c.earlier});
  sources.push_back({"broken.yaml", c.text});
  return load(sources);
}

std::vector<Diagnostic> errorsOf(const LoadResult& r) {
  std::vector<Diagnostic> out;
  for (const auto& d : r.diagnostics.items())
    if (d.severity == Severity::kError) out.push_back(d);
  return out;
}

void checkDiagnostic(const Diagnostic& d, const Expect& e) {
  CHECK(d.code == e.code);
  CHECK(d.location.file == e.file);
  CHECK(d.location.line == e.line);
  CHECK(d.location.column == e.column);
  if (!e.says.empty()) CHECK_THAT(d.message + " | " + d.hint, Catch::Contains(e.says));
}

// The same text with Windows line endings.
std::string crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// A valid rule, for the earlier file of the override and duplicate cases.
const char* const kBaseRule = R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    for_each: r in tenant.admin_relationships
    subject: r.id
    when: r.kind == "dap"
    message: M
    remediation: R
)";

// clang-format off
const std::vector<Case> kCases = {
    // ---- YAML ----
    {"yaml-syntax: a second ': ' in a plain scalar",
     R"(rules:
  - id: r1
    title: a: b
)",
     {"rules.yaml-syntax", 3, 13, "YAML syntax error"}},

    {"yaml-syntax: unclosed flow sequence",
     R"(rules:
  - id: r1
    tags: [a, b
    title: T
)",
     // yaml-cpp notices the missing ']' at the ':' of the next key, and reports it there.
     {"rules.yaml-syntax", 4, 10, "end of sequence flow not found"}},

    // ---- keys ----
    {"unknown-key: misspelt rule key 'severty'",
     R"(rules:
  - id: r1
    title: T
    severty: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
)",
     {"rules.unknown-key", 4, 5, "did you mean 'severity'?"}},

    {"unknown-key: misspelt top-level key 'rule'",
     R"(rule:
  - id: r1
)",
     {"rules.unknown-key", 1, 1, "did you mean 'rules'?"}},

    {"unknown-key: misspelt exception key",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
    exceptions:
      - name: known
        fields: [tenant.name]
        valus: [Contoso]
)",
     {"rules.unknown-key", 12, 9, "did you mean 'values'?"}},

    {"duplicate-key: 'title' twice in a rule",
     R"(rules:
  - id: r1
    title: T
    title: T2
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
)",
     {"rules.duplicate-key", 4, 5, "'title' appears more than once"}},

    {"duplicate-key: a macro twice in one file",
     R"(macros:
  is_dap: tenant.dap_enabled
  is_dap: tenant.dap_enabled == true
)",
     {"rules.duplicate-key", 3, 3, "macro 'is_dap' appears twice"}},

    {"missing-key: no 'when'",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    message: M
    remediation: R
)",
     {"rules.missing-key", 2, 5, "'when' is missing"}},

    {"missing-key: no 'remediation'",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
)",
     {"rules.missing-key", 2, 5, "'remediation' is missing"}},

    {"missing-key: for_each without subject",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    for_each: r in tenant.admin_relationships
    when: r.kind == "dap"
    message: M
    remediation: R
)",
     {"rules.missing-key", 6, 5, "needs a 'subject'"}},

    {"missing-key: empty quoted 'when'",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: ""
    message: M
    remediation: R
)",
     {"rules.missing-key", 6, 11, "'when' is empty"}},

    // ---- YAML types and values ----
    {"wrong-type: tags as a scalar",
     R"(rules:
  - id: r1
    title: T
    severity: low
    tags: admin
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
)",
     {"rules.wrong-type", 5, 11, "tags: [admin]"}},

    {"wrong-type: rules is a mapping, not a list",
     R"(rules:
  id: r1
  title: T
)",
     {"rules.wrong-type", 2, 3, "'rules' must be a list"}},

    {"wrong-type: enabled is not a bool",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
    enabled: yes
)",
     {"rules.wrong-type", 9, 14, "true or false"}},

    {"bad-value: severity 'urgent'",
     R"(rules:
  - id: r1
    title: T
    severity: urgent
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
)",
     {"rules.bad-value", 4, 15, "found 'urgent'"}},

    {"bad-value: severity 'hihg' suggests 'high'",
     R"(rules:
  - id: r1
    title: T
    severity: hihg
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
)",
     {"rules.bad-value", 4, 15, "did you mean 'high'?"}},

    {"bad-value: subject without for_each",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    subject: tenant.id
    when: tenant.dap_enabled
    message: M
    remediation: R
)",
     {"rules.bad-value", 6, 5, "'subject' only applies with 'for_each'"}},

    // ---- names and ids ----
    {"bad-id: CamelCase id",
     R"(rules:
  - id: DapEnabled
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
)",
     {"rules.bad-id", 2, 9, "e.g. dap-enabled"}},

    {"bad-name: list name with a dash",
     R"(lists:
  free-mail: [gmail.com]
)",
     {"rules.bad-name", 2, 3, "lower_snake_case"}},

    {"bad-name: macro name with a capital",
     R"(macros:
  isDap: tenant.dap_enabled
)",
     {"rules.bad-name", 2, 3, "found 'isDap'"}},

    {"duplicate-id: same id twice in one file",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
)",
     {"rules.duplicate-id", 9, 9, "already defined at broken.yaml:2:5"}},

    {"duplicate-id: same id in two files",
     kBaseRule,
     {"rules.duplicate-id", 2, 9, "already defined at base.yaml:2:5"},
     kBaseRule},

    {"duplicate-list: same list in two files",
     R"(lists:
  domains: [b.example]
)",
     {"rules.duplicate-list", 2, 3, "already defined at base.yaml:3:3"},
     R"(lists:
  other: [x]
  domains: [a.example]
)"},

    {"duplicate-macro: same macro in two files",
     R"(# a comment line
macros:
  is_dap: tenant.dap_enabled
)",
     {"rules.duplicate-macro", 3, 3, "already defined at base.yaml:2:3"},
     R"(macros:
  is_dap: tenant.dap_enabled
)"},

    // ---- overrides ----
    {"no-previous: override: replace of an undefined rule",
     R"(rules:
  - id: r1
    override: replace
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
)",
     {"rules.no-previous", 3, 5, "no earlier file defines rule 'r1'"}},

    {"no-previous: list override with no earlier list",
     R"(lists:
  domains:
    items: [a.example]
    override: append
)",
     {"rules.no-previous", 2, 3, "no earlier file defines list 'domains'"}},

    {"bad-override: partial override of for_each",
     R"(rules:
  - id: r1
    override: {for_each: replace}
    for_each: p in tenant.partners
)",
     {"rules.bad-override", 3, 16, "'for_each' cannot be overridden on its own"},
     kBaseRule},

    {"bad-override: a key set but not listed in override",
     R"(rules:
  - id: r1
    override:
      title: replace
    title: New title
    severity: high
)",
     {"rules.bad-override", 6, 5, "'severity' is set here but not listed in override"},
     kBaseRule},

    {"bad-override: title cannot be appended",
     R"(rules:
  - id: r1
    override:
      title: append
    title: More
)",
     {"rules.bad-override", 4, 14, "found 'append'"},
     kBaseRule},

    // ---- condition syntax ----
    {"syntax: unclosed parenthesis",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: (tenant.dap_enabled && tenant.in_customer_list
    message: M
    remediation: R
)",
     {"rules.syntax", 6, 11, "'(' is never closed"}},

    {"syntax: '=' instead of '=='",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.name = "x"
    message: M
    remediation: R
)",
     {"rules.syntax", 6, 23, "compare with '=='"}},

    {"syntax: 'and' instead of '&&'",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled and tenant.in_customer_list
    message: M
    remediation: R
)",
     {"rules.syntax", 6, 30, "use '&&'"}},

    {"syntax: unterminated string",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.name == "abc
    message: M
    remediation: R
)",
     {"rules.syntax", 6, 26, "never closed"}},

    // ---- names in conditions ----
    {"unknown-variable: 'tenat'",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenat.name == "x"
    message: M
    remediation: R
)",
     {"rules.unknown-variable", 6, 11, "did you mean 'tenant'?"}},

    {"unknown-variable: in the subject",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    for_each: r in tenant.admin_relationships
    subject: rel.id
    when: r.kind == "dap"
    message: M
    remediation: R
)",
     {"rules.unknown-variable", 7, 14, "unknown name 'rel'"}},

    {"unknown-field: tenant.dap_enable",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enable
    message: M
    remediation: R
)",
     {"rules.unknown-field", 6, 18, "did you mean 'dap_enabled'?"}},

    {"unknown-field: r.end_date of the for_each element",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    for_each: r in tenant.admin_relationships
    subject: r.id
    when: r.end_date < now
    message: M
    remediation: R
)",
     {"rules.unknown-field", 8, 13, "did you mean 'end_at'?"}},

    {"unknown-list: lists.free_mail suggests free_mail_domains",
     R"(lists:
  free_mail_domains: [gmail.com]
rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.default_domain in lists.free_mail
    message: M
    remediation: R
)",
     {"rules.unknown-list", 8, 42, "did you mean 'free_mail_domains'?"}},

    {"unknown-list: lists.free_mail_domain (one letter off)",
     R"(lists:
  free_mail_domains: [gmail.com]
rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.default_domain in lists.free_mail_domain
    message: M
    remediation: R
)",
     {"rules.unknown-list", 8, 42, "did you mean 'free_mail_domains'?"}},

    // ---- functions ----
    {"unknown-function: startWith",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.name.startWith("A")
    message: M
    remediation: R
)",
     {"rules.unknown-function", 6, 23, "did you mean 'startsWith'?"}},

    {"unknown-function: daysUntill",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: daysUntill(tenant.created_at) < 30
    message: M
    remediation: R
)",
     {"rules.unknown-function", 6, 11, "did you mean 'daysUntil'?"}},

    {"bad-call: startsWith called globally",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: startsWith(tenant.name, "A")
    message: M
    remediation: R
)",
     {"rules.bad-call", 6, 11, "startsWith() is a method"}},

    {"wrong-arity: size with two arguments",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: size(tenant.tags, 2) > 0
    message: M
    remediation: R
)",
     {"rules.wrong-arity", 6, 11, "found 2"}},

    {"bad-macro: exists without a variable name",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.contacts.exists(c.address == "x")
    message: M
    remediation: R
)",
     {"rules.bad-macro", 6, 27, "exists()"}},

    // ---- types ----
    {"type-mismatch: tenant.name < 3",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.name < 3
    message: M
    remediation: R
)",
     {"rules.type-mismatch", 6, 23, "no operator"}},

    {"type-mismatch: tenant.created_at + 30",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.created_at + 30 > now
    message: M
    remediation: R
)",
     {"rules.type-mismatch", 6, 29, "duration(\"30d\")"}},

    {"type-mismatch: 'x' in 'xyz' (single-quoted YAML with '' escapes)",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: '''x'' in ''xyz'''
    message: M
    remediation: R
)",
     {"rules.type-mismatch", 6, 18, "s.contains(part)"}},

    {"type-mismatch: when is a string",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.name
    message: M
    remediation: R
)",
     {"rules.type-mismatch", 6, 11, "must be a condition (bool)"}},

    {"type-mismatch: for_each over a string",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    for_each: x in tenant.name
    subject: x
    when: x == "a"
    message: M
    remediation: R
)",
     {"rules.type-mismatch", 6, 20, "for_each needs a list"}},

    {"bad-regex: matches(\"([a-z\")",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.name.matches("([a-z")
    message: M
    remediation: R
)",
     {"rules.bad-regex", 6, 31, "invalid regular expression"}},

    // ---- templates ----
    {"bad-template: '{{' never closed",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: Hello {{ tenant.name
    remediation: R
)",
     {"rules.bad-template", 7, 20, "'{{' is never closed"}},

    {"unknown-field: in a template hole",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: Hello {{ tenant.nam }}
    remediation: R
)",
     {"rules.unknown-field", 7, 30, "did you mean 'name'?"}},

    {"syntax: in a remediation template hole",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: Call {{ tenant.name + }} today
)",
     {"rules.syntax", 8, 40, "where a value was expected"}},

    // ---- for_each ----
    {"bad-for-each: no 'in'",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    for_each: tenant.admin_relationships
    subject: tenant.id
    when: tenant.dap_enabled
    message: M
    remediation: R
)",
     {"rules.bad-for-each", 6, 15, "r in tenant.admin_relationships"}},

    {"bad-for-each: element named like a variable",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    for_each: tenant in tenant.partners
    subject: tenant.tenant_id
    when: tenant.is_service_provider
    message: M
    remediation: R
)",
     {"rules.bad-for-each", 6, 15, "'tenant' is already a variable"}},

    // ---- exceptions ----
    {"bad-exception: comps length differs from fields",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
    exceptions:
      - name: known
        fields: [tenant.name, tenant.id]
        comps: [==]
        values: [[Contoso, abc]]
)",
     {"rules.bad-exception", 12, 16, "'comps' has 1 entries but 'fields' has 2"}},

    {"bad-exception: row with the wrong number of values",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
    exceptions:
      - name: known
        fields: [tenant.name, tenant.id]
        values:
          - [Contoso, abc]
          - [Fabrikam]
)",
     {"rules.bad-exception", 14, 13, "needs 2 value(s)"}},

    {"bad-exception: unknown comparison",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
    exceptions:
      - name: known
        fields: [tenant.name, tenant.id]
        comps: [==, like]
        values: [[Contoso, abc]]
)",
     {"rules.bad-exception", 12, 21, "unknown comparison 'like'"}},

    {"unknown-field: in an exception field",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
    exceptions:
      - name: known
        fields: [tenant.name, tenant.default_domian]
        values: [[Contoso, contoso.example]]
)",
     {"rules.unknown-field", 11, 38, "did you mean 'default_domain'?"}},

    // ---- macros ----
    {"macro-cycle: two macros using each other",
     R"(macros:
  is_a: is_b && true
  is_b: is_a || false
rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: is_a
    message: M
    remediation: R
)",
     {"rules.macro-cycle", 3, 9, "is_a -> is_b"}},

    {"too-complex: macros that double 17 times",
     R"(macros:
  m0: tenant.name
  m1: m0 + m0
  m2: m1 + m1
  m3: m2 + m2
  m4: m3 + m3
  m5: m4 + m4
  m6: m5 + m5
  m7: m6 + m6
  m8: m7 + m7
  m9: m8 + m8
  m10: m9 + m9
  m11: m10 + m10
  m12: m11 + m11
  m13: m12 + m12
  m14: m13 + m13
  m15: m14 + m14
  m16: m15 + m15
  m17: m16 + m16
rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: size(m17) > 0
    message: M
    remediation: R
)",
     {"rules.too-complex", 25, 11, "too large once its macros are expanded"}},

    {"unknown-field: inside a macro, reported in the macro",
     R"(macros:
  is_dap: tenant.dap_enabeld
rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: is_dap
    message: M
    remediation: R
)",
     {"rules.unknown-field", 2, 18, "did you mean 'dap_enabled'?"}},

    // ---- positions inside block scalars and quoted strings ----
    {"folded block (>-): unknown field on the second line",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: >-
      tenant.in_customer_list
      && tenant.dap_enable
    message: M
    remediation: R
)",
     {"rules.unknown-field", 8, 17, "did you mean 'dap_enabled'?"}},

    {"folded block (>) with a blank line: '=' on the last line",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: >
      tenant.in_customer_list &&

      tenant.name = "x"
    message: M
    remediation: R
)",
     {"rules.syntax", 9, 19, "compare with '=='"}},

    {"literal block (|) template: unknown field on the second line",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: |
      Tenant {{ tenant.name }}
      has DAP {{ tenant.dap_enabld }}.
    remediation: R
)",
     {"rules.unknown-field", 9, 25, "did you mean 'dap_enabled'?"}},

    {"folded block macro: syntax error on its second line",
     R"(macros:
  bad_m: >-
    tenant.dap_enabled &&
    tenant.name = "x"
)",
     {"rules.syntax", 4, 17, "compare with '=='"}},

    {"double-quoted with escaped quotes: unknown field after them",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: "tenant.name == \"a\" && tenant.dap_enable"
    message: M
    remediation: R
)",
     {"rules.unknown-field", 6, 43, "did you mean 'dap_enabled'?"}},

    {"double-quoted over two lines: unknown field on the second",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: "tenant.dap_enabled &&
      tenant.nme == \"x\""
    message: M
    remediation: R
)",
     {"rules.unknown-field", 7, 14, "did you mean 'name'?"}},

    {"double-quoted with \\t escape: unknown field after it",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: "tenant.dap_enabled &&\tpartner.nam == \"x\""
    message: M
    remediation: R
)",
     {"rules.unknown-field", 6, 43, "did you mean 'name'?"}},

    {"double-quoted with an escaped line break: unknown field on the next line",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: "tenant.dap_enabled && \
      tenant.nme == 'x'"
    message: M
    remediation: R
)",
     {"rules.unknown-field", 7, 14, "did you mean 'name'?"}},

    {"double-quoted with \\x escape: unknown field after it",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: "tenant.name == \"\x41\" && tenant.nme == \"x\""
    message: M
    remediation: R
)",
     {"rules.unknown-field", 6, 46, "did you mean 'name'?"}},

    {"double-quoted with \\u escapes (non-ASCII): unknown field after them",
     R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: "tenant.name == \"Soci\u00e9t\u00e9\" && tenant.nme == \"x\""
    message: M
    remediation: R
)",
     {"rules.unknown-field", 6, 59, "did you mean 'name'?"}},

    {"folded block (>-) in a CRLF file: unknown field on the second line",
     crlf(R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: >-
      tenant.in_customer_list
      && tenant.dap_enable
    message: M
    remediation: R
)"),
     {"rules.unknown-field", 8, 17, "did you mean 'dap_enabled'?"}},
};
// clang-format on

}  // namespace

TEST_CASE("rule loader: each broken file reports its first error at the exact position",
          "[rules][loader][errors]") {
  REQUIRE(kCases.size() >= 35);
  for (const auto& c : kCases) {
    DYNAMIC_SECTION(c.name) {
      LoadResult r = load(c);
      INFO(c.name);
      INFO(r.diagnostics.renderText());
      CHECK_FALSE(r.ok());
      CHECK(r.rules == nullptr);
      auto errors = errorsOf(r);
      REQUIRE_FALSE(errors.empty());
      checkDiagnostic(errors.front(), c.first);
    }
  }
}

TEST_CASE("rule loader: the broken files cover every error code the loader documents",
          "[rules][loader][errors]") {
  std::set<std::string> covered;
  for (const auto& c : kCases) covered.insert(c.first.code);
  for (const auto& [code, meaning] : cspwatch::rules::ruleDiagnosticCodes()) {
    if (meaning.rfind("(warning)", 0) == 0) continue;
    INFO(code << ": " << meaning);
    CHECK(covered.count(code) == 1);
  }
}

TEST_CASE("rule loader: three mistakes in three rules are all reported",
          "[rules][loader][errors]") {
  const std::string text = R"(rules:
  - id: r1
    title: T
    severity: urgent
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
  - id: r2
    title: T
    severity: low
    description: D
    when: tenant.dap_enable
    message: M
    remediation: R
  - id: r3
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: Hello {{ tenant.name
    remediation: R
)";
  LoadResult r = load({{"broken.yaml", text}});
  INFO(r.diagnostics.renderText());
  CHECK_FALSE(r.ok());
  auto errors = errorsOf(r);
  REQUIRE(errors.size() == 3);
  checkDiagnostic(errors[0], {"rules.bad-value", 4, 15, "found 'urgent'"});
  checkDiagnostic(errors[1], {"rules.unknown-field", 13, 18, "did you mean 'dap_enabled'?"});
  checkDiagnostic(errors[2], {"rules.bad-template", 21, 20, "'{{' is never closed"});
}

TEST_CASE("rule loader: three mistakes in one rule are all reported", "[rules][loader][errors]") {
  // A wrong severity must not hide the mistakes in the same rule's condition and message: the
  // loader promises to collect every problem, so that one run shows everything to fix.
  const std::string text = R"(rules:
  - id: r1
    title: T
    severity: urgent
    description: D
    when: tenant.dap_enable
    message: Hello {{ tenant.name
    remediation: R
)";
  LoadResult r = load({{"broken.yaml", text}});
  INFO(r.diagnostics.renderText());
  CHECK_FALSE(r.ok());
  auto errors = errorsOf(r);
  CHECK(errors.size() == 3);
  REQUIRE_FALSE(errors.empty());
  checkDiagnostic(errors[0], {"rules.bad-value", 4, 15, "found 'urgent'"});
  if (errors.size() > 1)
    checkDiagnostic(errors[1], {"rules.unknown-field", 6, 18, "did you mean 'dap_enabled'?"});
  if (errors.size() > 2)
    checkDiagnostic(errors[2], {"rules.bad-template", 7, 20, "'{{' is never closed"});
}

TEST_CASE("rule loader: mistakes in several rules and files are all reported",
          "[rules][loader][errors]") {
  const std::string first = R"(rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenat.dap_enabled
    message: M
    remediation: R
  - id: r2
    title: T
    severity: low
    description: D
    when: tenant.name.startWith("A")
    message: M
    remediation: R
)";
  const std::string second = R"(rules:
  - id: r3
    title: T
    severty: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
)";
  LoadResult r = load({{"10-a.yaml", first}, {"20-b.yaml", second}});
  INFO(r.diagnostics.renderText());
  CHECK_FALSE(r.ok());
  auto errors = errorsOf(r);
  // 20-b.yaml: the misspelt key, then 'severity' missing; then the two conditions of 10-a.yaml.
  REQUIRE(errors.size() == 4);
  checkDiagnostic(errors[0], {"rules.unknown-key", 4, 5, "did you mean 'severity'?", "20-b.yaml"});
  checkDiagnostic(errors[1], {"rules.missing-key", 2, 5, "'severity' is missing", "20-b.yaml"});
  checkDiagnostic(errors[2],
                  {"rules.unknown-variable", 6, 11, "did you mean 'tenant'?", "10-a.yaml"});
  checkDiagnostic(errors[3],
                  {"rules.unknown-function", 13, 23, "did you mean 'startsWith'?", "10-a.yaml"});
}

TEST_CASE("rule loader: a file with only a warning still loads", "[rules][loader][errors]") {
  const std::string text = R"(lists:
  spare_domains: [a.example]
rules:
  - id: r1
    title: T
    severity: low
    description: D
    when: tenant.dap_enabled
    message: M
    remediation: R
)";
  LoadResult r = load({{"warn.yaml", text}});
  INFO(r.diagnostics.renderText());
  REQUIRE(r.ok());
  CHECK(r.diagnostics.errorCount() == 0);
  REQUIRE(r.diagnostics.items().size() == 1);
  const Diagnostic& d = r.diagnostics.items().front();
  CHECK(d.severity == Severity::kWarning);
  CHECK(d.code == "rules.unused-list");
  CHECK(d.location.file == "warn.yaml");
  CHECK(d.location.line == 2);
  CHECK(d.location.column == 3);
  CHECK_THAT(d.message, Catch::Contains("spare_domains"));
}
