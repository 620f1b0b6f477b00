#include "tests/testutil/json_schema.h"

#include <set>

#include "tests/testutil/files.h"

namespace testutil {
namespace {

// The types a schema property allows ("type": "x" or ["x", "y"]); empty when unstated.
std::set<std::string> AllowedTypes(simdjson::dom::element property) {
  std::set<std::string> out;
  simdjson::dom::element type;
  if (property["type"].get(type) != simdjson::SUCCESS) return out;
  if (type.is_string()) {
    out.insert(std::string(std::string_view(type)));
  } else {
    for (simdjson::dom::element t : simdjson::dom::array(type)) {
      out.insert(std::string(std::string_view(t)));
    }
  }
  return out;
}

}  // namespace

SchemaChecker::SchemaChecker(const std::string& path)
    : schema_text_(ReadFile(std::string(ENGAGED_SOURCE_DIR) + "/" + path)) {
  schema_ = schema_parser_.parse(schema_text_).value();
}

std::string SchemaChecker::JsonType(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::STRING:
      return "string";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    case simdjson::dom::element_type::OBJECT:
      return "object";
    case simdjson::dom::element_type::ARRAY:
      return "array";
    case simdjson::dom::element_type::BOOL:
      return "boolean";
    default:
      return "number";
  }
}

std::vector<std::string> SchemaChecker::Violations(const std::string& json) {
  std::vector<std::string> out;
  simdjson::dom::element doc;
  parsed_ = parser_.parse(json).get(doc) == simdjson::SUCCESS &&
            doc.get_object().get(last_) == simdjson::SUCCESS;
  if (!parsed_) return {"not a JSON object: " + json};
  const simdjson::dom::object& event = last_;
  const simdjson::dom::object properties = schema_["properties"];
  for (simdjson::dom::element r : simdjson::dom::array(schema_["required"])) {
    const std::string_view key = r;
    if (event[key].error() != simdjson::SUCCESS) out.push_back("missing " + std::string(key));
  }
  for (auto [key, value] : event) {
    simdjson::dom::element property;
    if (properties[key].get(property) != simdjson::SUCCESS) {
      out.push_back("additional property " + std::string(key));
      continue;
    }
    const std::set<std::string> allowed = AllowedTypes(property);
    if (!allowed.empty() && !allowed.count(JsonType(value))) {
      out.push_back(std::string(key) + " has type " + JsonType(value));
    }
  }
  return out;
}

}  // namespace testutil
