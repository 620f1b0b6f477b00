#include "topologies/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "fmt/format.h"

namespace topologies {
namespace {

// Parses the YAML tree into a Config, collecting every error.
class Loader {
 public:
  explicit Loader(ConfigLoad* out) : out_(out) {}

  void Load(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) {
      Error(root, "the config is empty");
      return;
    }
    if (!root.IsMap()) {
      Error(root, "the config must be a YAML map of sections");
      return;
    }
    Config& c = out_->config;
    Map(root, "",
        {
            {"application_id", [&](const YAML::Node& n) { String(n, c.application_id); }},
            {"kafka", [&](const YAML::Node& n) { Kafka(n); }},
            {"input", [&](const YAML::Node& n) { Input(n); }},
            {"output", [&](const YAML::Node& n) { Output(n); }},
            {"state", [&](const YAML::Node& n) { State(n); }},
            {"processing", [&](const YAML::Node& n) { Processing(n); }},
            {"http", [&](const YAML::Node& n) { Http(n); }},
            {"log", [&](const YAML::Node& n) { Log(n); }},
            {"segments", [&](const YAML::Node& n) { Segments(n); }},
        });
    CheckCrossFields(root);
  }

 private:
  using Handler = std::function<void(const YAML::Node&)>;

  void Error(const YAML::Node& n, std::string message) {
    const YAML::Mark m = n.Mark();
    const bool known = m.line >= 0 && !m.is_null();
    out_->errors.push_back(
        {known ? m.line + 1 : 0, known ? m.column + 1 : 0, std::move(message)});
  }

  // Walks a map whose keys must all be in `handlers`.
  void Map(const YAML::Node& node, const std::string& section,
           const std::vector<std::pair<std::string, Handler>>& handlers) {
    if (!node.IsMap()) {
      Error(node, fmt::format("'{}' must be a map", section));
      return;
    }
    for (const auto& kv : node) {
      const auto key = kv.first.as<std::string>();
      const auto it = std::find_if(handlers.begin(), handlers.end(),
                                   [&](const auto& h) { return h.first == key; });
      if (it == handlers.end()) {
        std::string known;
        for (const auto& h : handlers) known += (known.empty() ? "" : ", ") + h.first;
        Error(kv.first, fmt::format("unknown key '{}{}' (known here: {})",
                                    section.empty() ? "" : section + ".", key, known));
        continue;
      }
      it->second(kv.second);
    }
  }

  // ${VAR} and ${VAR:-default}.
  bool Interpolate(const YAML::Node& n, const std::string& in, std::string* out) {
    out->clear();
    size_t i = 0;
    while (i < in.size()) {
      const size_t start = in.find("${", i);
      if (start == std::string::npos) {
        out->append(in, i);
        break;
      }
      out->append(in, i, start - i);
      const size_t end = in.find('}', start);
      if (end == std::string::npos) {
        Error(n, fmt::format("unterminated '${{' in '{}'", in));
        return false;
      }
      const std::string expr = in.substr(start + 2, end - start - 2);
      const size_t dflt = expr.find(":-");
      const std::string var = expr.substr(0, dflt);
      const char* value = std::getenv(var.c_str());
      if (value != nullptr && (dflt == std::string::npos || *value != '\0')) {
        out->append(value);
      } else if (dflt != std::string::npos) {
        out->append(expr, dflt + 2);
      } else {
        Error(n, fmt::format("environment variable '{}' is not set (write ${{{}:-default}} to "
                             "give a default)",
                             var, var));
        return false;
      }
      i = end + 1;
    }
    return true;
  }

  bool Scalar(const YAML::Node& n, std::string* out) {
    if (!n.IsScalar()) {
      Error(n, "expected a single value");
      return false;
    }
    return Interpolate(n, n.Scalar(), out);
  }

  void String(const YAML::Node& n, std::string& field) {
    std::string v;
    if (Scalar(n, &v)) field = v;
  }

  void Int(const YAML::Node& n, int64_t& field, int64_t min) {
    std::string v;
    if (!Scalar(n, &v)) return;
    char* end = nullptr;
    errno = 0;
    const long long parsed = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0) {
      Error(n, fmt::format("expected an integer, got '{}'", v));
    } else if (parsed < min) {
      Error(n, fmt::format("must be at least {}, got {}", min, parsed));
    } else {
      field = parsed;
    }
  }

  void Bool(const YAML::Node& n, bool& field) {
    std::string v;
    if (!Scalar(n, &v)) return;
    if (v == "true" || v == "yes" || v == "on") {
      field = true;
    } else if (v == "false" || v == "no" || v == "off") {
      field = false;
    } else {
      Error(n, fmt::format("expected true or false, got '{}'", v));
    }
  }

  void Kafka(const YAML::Node& n) {
    if (!n.IsMap()) {
      Error(n, "'kafka' must be a map of librdkafka properties");
      return;
    }
    for (const auto& kv : n) {
      std::string v;
      if (Scalar(kv.second, &v)) out_->config.kafka[kv.first.as<std::string>()] = v;
    }
  }

  void Input(const YAML::Node& n) {
    InputConfig& in = out_->config.input;
    Map(n, "input",
        {
            {"topics",
             [&](const YAML::Node& t) {
               if (!t.IsSequence()) {
                 Error(t, "'input.topics' must be a list of topic names");
                 return;
               }
               for (const auto& item : t) {
                 std::string v;
                 if (Scalar(item, &v)) in.topics.push_back(v);
               }
             }},
            {"max_message_bytes", [&](const YAML::Node& v) { Int(v, in.max_message_bytes, 1); }},
        });
  }

  void Output(const YAML::Node& n) {
    OutputConfig& o = out_->config.output;
    Map(n, "output",
        {
            {"segment_changes_topic", [&](const YAML::Node& v) { String(v, o.segment_changes_topic); }},
            {"dead_letters_topic", [&](const YAML::Node& v) { String(v, o.dead_letters_topic); }},
        });
  }

  void State(const YAML::Node& n) {
    StateConfig& s = out_->config.state;
    Map(n, "state",
        {
            {"dir", [&](const YAML::Node& v) { String(v, s.dir); }},
            {"max_cached_customers", [&](const YAML::Node& v) { Int(v, s.max_cached_customers, 0); }},
            {"sync_commits", [&](const YAML::Node& v) { Bool(v, s.sync_commits); }},
        });
  }

  void Processing(const YAML::Node& n) {
    ProcessingConfig& p = out_->config.processing;
    Map(n, "processing",
        {
            {"commit_interval_ms", [&](const YAML::Node& v) { Int(v, p.commit_interval_ms, 1); }},
            {"allowed_lateness_ms", [&](const YAML::Node& v) { Int(v, p.allowed_lateness_ms, 0); }},
            {"max_future_ms", [&](const YAML::Node& v) { Int(v, p.max_future_ms, 0); }},
            {"shutdown_grace_ms", [&](const YAML::Node& v) { Int(v, p.shutdown_grace_ms, 1); }},
        });
  }

  void Http(const YAML::Node& n) {
    HttpConfig& h = out_->config.http;
    Map(n, "http",
        {
            {"enabled", [&](const YAML::Node& v) { Bool(v, h.enabled); }},
            {"host", [&](const YAML::Node& v) { String(v, h.host); }},
            {"port", [&](const YAML::Node& v) {
               Int(v, h.port, 0);
               if (h.port > 65535) Error(v, "http.port must be at most 65535");
             }},
        });
  }

  void Log(const YAML::Node& n) {
    Map(n, "log",
        {
            {"level",
             [&](const YAML::Node& v) {
               std::string text;
               if (Scalar(v, &text) && !ops::ParseLogLevel(text, &out_->config.log_level)) {
                 Error(v, fmt::format("log.level must be debug, info, warn or error, got '{}'", text));
               }
             }},
        });
  }

  void Segments(const YAML::Node& n) {
    if (!n.IsSequence()) {
      Error(n, "'segments' must be a list");
      return;
    }
    std::set<std::string> names;
    for (const auto& item : n) {
      processors::SegmentDefinition d;
      bool has_name = false;
      Map(item, "segments[]",
          {
              {"name",
               [&](const YAML::Node& v) {
                 String(v, d.name);
                 has_name = !d.name.empty();
                 if (has_name && !names.insert(d.name).second) {
                   Error(v, fmt::format("segment '{}' is declared twice", d.name));
                 }
               }},
              {"min_events", [&](const YAML::Node& v) { Int(v, d.min_events, 1); }},
          });
      if (!has_name && item.IsMap()) Error(item, "a segment needs a non-empty 'name'");
      out_->config.segments.push_back(std::move(d));
    }
  }

  void CheckCrossFields(const YAML::Node& root) {
    const Config& c = out_->config;
    if (c.application_id.empty()) Error(root, "application_id must not be empty");
    if (c.output.segment_changes_topic.empty() || c.output.dead_letters_topic.empty()) {
      Error(root, "output topics must not be empty");
    }
  }

  ConfigLoad* out_;
};

}  // namespace

ConfigLoad LoadConfigText(const std::string& yaml) {
  ConfigLoad out;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    out.errors.push_back({e.mark.line + 1, e.mark.column + 1, e.msg});
    return out;
  }
  Loader(&out).Load(root);
  if (const char* level = std::getenv("ENGAGED_LOG_LEVEL"); level != nullptr && *level != '\0') {
    if (!ops::ParseLogLevel(level, &out.config.log_level)) {
      out.errors.push_back({0, 0, fmt::format("ENGAGED_LOG_LEVEL '{}' is not a log level", level)});
    }
  }
  return out;
}

ConfigLoad LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ConfigLoad out;
    out.errors.push_back({0, 0, fmt::format("cannot read the config file: {}", std::strerror(errno))});
    return out;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return LoadConfigText(buf.str());
}

std::string FormatConfigError(const std::string& path, const ConfigError& e) {
  if (e.line == 0) return fmt::format("{}: {}", path, e.message);
  return fmt::format("{}:{}:{}: {}", path, e.line, e.column, e.message);
}

std::vector<std::string> KnownConfigKeys() {
  return {
      "application_id",
      "kafka",
      "input.topics",
      "input.max_message_bytes",
      "output.segment_changes_topic",
      "output.dead_letters_topic",
      "state.dir",
      "state.max_cached_customers",
      "state.sync_commits",
      "processing.commit_interval_ms",
      "processing.allowed_lateness_ms",
      "processing.max_future_ms",
      "processing.shutdown_grace_ms",
      "http.enabled",
      "http.host",
      "http.port",
      "log.level",
      "segments[].name",
      "segments[].min_events",
  };
}

}  // namespace topologies
