// SPDX-License-Identifier: Apache-2.0
// A reader for the protocol buffer text format, schema-less: the CEL conformance runner's way
// into google/cel-spec's tests/simple/testdata/*.textproto.
//
// Hand-written, not libprotobuf's TextFormat: Debian's libprotobuf reads text only against
// compiled descriptors, so the build would need protoc and cel-spec's .proto files (simple,
// checked, eval, value, syntax and the conformance TestAllTypes messages) compiled in, for 13
// data files that use a small subset of the format. Without a schema the reader keeps every
// scalar as written and converts it when the caller asks for a type (asInt64(), asDouble()...).
//
// Accepted: `#` comments; `name: scalar`; `name { ... }`, `name: { ... }` and `name < ... >`;
// repeated fields (a name given again, or `name: [a, b]`); optional `,` or `;` after a field;
// strings in single or double quotes with C escapes (\n \t \r \a \b \f \v \\ \' \" \? \xHH,
// octal \NNN, \uHHHH, \UHHHHHHHH), adjacent strings joined; numbers in decimal, hex or octal,
// negative, with fractions and exponents, `inf`, `infinity` and `nan` (any case, optionally
// negative); identifiers (enum values, true/false); and Any's expanded form
// `[type.googleapis.com/pkg.Message] { ... }`, whose field name is the bracketed type URL.
// Malformed input throws TextprotoError with "file:line:column: what".
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cspwatch::celconf {

class TextprotoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Field;

// A message: its fields in the order written (repeated fields appear once per value).
struct Message {
  std::vector<Field> fields;
  std::string where;  // "file:line:column" of its opening bracket (of the file: "file:1:1")

  // The first field called `name`, or null.
  const Field* find(const std::string& name) const;
  // The first field called `name`; throws TextprotoError at `where` when there is none.
  const Field& get(const std::string& name) const;
  // Every field called `name`, in order.
  std::vector<const Field*> all(const std::string& name) const;
  bool has(const std::string& name) const { return find(name) != nullptr; }
};

struct Field {
  enum class Kind { kMessage, kString, kNumber, kIdentifier };
  std::string name;  // "value", or "[type.googleapis.com/google.protobuf.Duration]" for an Any
  Kind kind = Kind::kIdentifier;
  std::string text;  // kString: the decoded bytes; kNumber/kIdentifier: as written ("-inf")
  Message message;   // kMessage
  std::string file;  // where the field's name starts, for errors
  int line = 0;
  int column = 0;

  bool isMessage() const { return kind == Kind::kMessage; }
  // "file:line:column".
  std::string where() const;

  // Typed views; each throws TextprotoError at the field's position when it does not fit.
  const Message& asMessage() const;
  const std::string& asString() const;  // a string literal
  int64_t asInt64() const;              // decimal, 0x hex or 0 octal; range-checked
  uint64_t asUint64() const;
  double asDouble() const;  // any number, inf, infinity, nan (any case, optional '-')
  bool asBool() const;      // true, false, True, False, t, f, 1, 0
  // An enum value: its identifier ("NULL_VALUE"), or a number as written ("0").
  const std::string& asEnum() const;
};

// Parses a whole file. `file` names it in error messages.
Message parseTextproto(const std::string& text, const std::string& file);

}  // namespace cspwatch::celconf
