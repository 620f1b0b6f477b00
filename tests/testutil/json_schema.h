#pragma once

// A small JSON Schema check for the output schemas in schemas/: the required members,
// no members beyond `properties`, and each member's JSON type ("type": "x" or a list).
// Enough for the flat event schemas engaged publishes; not a general validator.

#include <simdjson.h>

#include <string>
#include <vector>

namespace testutil {

class SchemaChecker {
 public:
  // Reads the schema at `path` (relative to the source tree's root).
  explicit SchemaChecker(const std::string& path);

  // Every violation of the schema by `json`; empty when it conforms.
  std::vector<std::string> Violations(const std::string& json);
  // The event of the last Violations call, when it was a JSON object (valid until the
  // next call); nullptr otherwise.
  const simdjson::dom::object* last() const { return parsed_ ? &last_ : nullptr; }

  static std::string JsonType(simdjson::dom::element e);

 private:
  std::string schema_text_;
  simdjson::dom::parser schema_parser_;
  simdjson::dom::element schema_;
  simdjson::dom::parser parser_;
  simdjson::dom::object last_;
  bool parsed_ = false;
};

}  // namespace testutil
