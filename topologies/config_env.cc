#include "topologies/config_env.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <variant>

#include "fmt/format.h"

extern char** environ;  // POSIX

namespace topologies {
namespace {

constexpr std::string_view kPrefix = "ENGAGED_";
constexpr std::string_view kSeparator = "__";
// Overrides whose variable has no "__": the one top-level scalar, and the variable
// engaged read before overrides existed.
constexpr std::string_view kApplicationIdVariable = "ENGAGED_APPLICATION_ID";
constexpr std::string_view kLegacyLogLevelVariable = "ENGAGED_LOG_LEVEL";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> Split(std::string_view s, std::string_view separator) {
  std::vector<std::string> parts;
  for (size_t at = s.find(separator);; at = s.find(separator)) {
    parts.emplace_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + separator.size());
  }
  return parts;
}

bool IsKnownKey(const std::string& dotted) {
  static const std::vector<std::string> keys = KnownConfigKeys();
  return std::find(keys.begin(), keys.end(), dotted) != keys.end();
}

// The key path that `variable` overrides, or an error message.
std::variant<std::vector<std::string>, std::string> PathOf(std::string_view variable) {
  if (variable == kApplicationIdVariable) return std::vector<std::string>{"application_id"};
  if (variable == kLegacyLogLevelVariable) return std::vector<std::string>{"log", "level"};
  const std::string rest = Lower(variable.substr(kPrefix.size()));
  const size_t first = rest.find(kSeparator);
  if (rest.substr(0, first) == "kafka") {
    std::string property = rest.substr(first + kSeparator.size());
    if (property.empty() || property.find(kSeparator) != std::string::npos) {
      return std::string(
          "write a kafka property with single underscores for its dots, "
          "e.g. ENGAGED_KAFKA__SASL_PASSWORD for kafka.sasl.password");
    }
    std::replace(property.begin(), property.end(), '_', '.');
    return std::vector<std::string>{"kafka", property};
  }
  if (rest.substr(0, first) == "segments") {
    return std::string("segments cannot be set from the environment; set them in the file");
  }
  std::vector<std::string> path = Split(rest, kSeparator);
  std::string dotted;
  for (const auto& p : path) dotted += (dotted.empty() ? "" : ".") + p;
  if (!IsKnownKey(dotted)) {
    return fmt::format("no config key '{}' to override (docs/configuration.md lists them)", dotted);
  }
  return path;
}

bool IsOverrideVariable(std::string_view name) {
  if (!name.starts_with(kPrefix)) return false;
  return name.find(kSeparator, kPrefix.size()) != std::string_view::npos ||
         name == kApplicationIdVariable || name == kLegacyLogLevelVariable;
}

// A node for an override's value: a flow list or map when it starts with '[' or '{',
// otherwise the string itself.
std::optional<YAML::Node> ValueNode(const EnvOverride& o, std::vector<ConfigError>* errors) {
  if (o.value.front() != '[' && o.value.front() != '{') return YAML::Node(o.value);
  try {
    return YAML::Load(o.value);
  } catch (const YAML::Exception& e) {
    errors->push_back(
        {0, 0, fmt::format("{}: not a YAML flow list or map: {}", o.variable, e.msg)});
    return std::nullopt;
  }
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

std::vector<EnvOverride> ParseEnvOverrides(const Environment& env,
                                           std::vector<ConfigError>* errors) {
  std::vector<EnvOverride> out;
  for (const auto& [name, value] : env) {
    if (!IsOverrideVariable(name) || value.empty()) continue;
    auto path = PathOf(name);
    if (auto* message = std::get_if<std::string>(&path)) {
      errors->push_back({0, 0, fmt::format("{}: {}", name, *message)});
      continue;
    }
    out.push_back({name, std::get<std::vector<std::string>>(std::move(path)), value});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.variable < b.variable; });
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].path == out[i - 1].path) {
      errors->push_back({0, 0,
                         fmt::format("{} and {} override the same key; set one",
                                     out[i - 1].variable, out[i].variable)});
    }
  }
  return out;
}

std::vector<YAML::Node> MergeEnvOverrides(const std::vector<EnvOverride>& overrides,
                                          YAML::Node& root, std::vector<ConfigError>* errors) {
  std::vector<YAML::Node> placed;
  for (const EnvOverride& o : overrides) {
    placed.emplace_back();  // undefined until placed
    YAML::Node section = root;
    bool ok = true;
    for (size_t i = 0; ok && i + 1 < o.path.size(); ++i) {
      YAML::Node child = section[o.path[i]];
      if (!child.IsDefined() || child.IsNull()) {
        section[o.path[i]] = YAML::Node(YAML::NodeType::Map);
        child.reset(section[o.path[i]]);
      }
      ok = child.IsMap();
      section.reset(child);
    }
    if (!ok) continue;
    auto value = ValueNode(o, errors);
    if (!value) continue;
    section[o.path.back()] = *value;
    placed.back().reset(section[o.path.back()]);
  }
  return placed;
}

}  // namespace topologies
