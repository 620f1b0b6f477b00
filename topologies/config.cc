#include "topologies/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include "fmt/format.h"
#include "processors/feature_catalog.h"
#include "processors/rules/expr_parser.h"
#include "state/store.h"
#include "topologies/config_env.h"

namespace topologies {
namespace {

// The keys of features.score.weights and features.score.saturation, in SubScore order.
constexpr std::array<const char*, processors::kSubScoreCount> kSubScoreNames = {
    "emotional", "contextual", "convenience", "social"};

// A node of the tree that an environment variable put there.
struct OverrideSite {
  YAML::Node node;
  std::string variable;
};

// Parses the YAML tree into a Config, collecting every error. Errors in a value that an
// environment variable gave name the variable instead of a line and column, and such
// values are taken literally (no ${VAR} interpolation).
class Loader {
 public:
  Loader(ConfigLoad* out, std::vector<OverrideSite> overrides)
      : out_(out), overrides_(std::move(overrides)) {}

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
            {"churn", [&](const YAML::Node& n) { Churn(n); }},
            {"features",
             [&](const YAML::Node& n) {
               const size_t before = out_->errors.size();
               Features(n);
               features_invalid_ = out_->errors.size() != before;
             }},
        });
    CompileSegments();
    CheckCrossFields(root);
  }

 private:
  using Handler = std::function<void(const YAML::Node&)>;

  void Error(const YAML::Node& n, std::string message) {
    if (current_override_ != nullptr) {
      out_->errors.push_back({0, 0, fmt::format("{}: {}", *current_override_, message)});
      return;
    }
    const YAML::Mark m = n.Mark();
    const bool known = m.line >= 0 && !m.is_null();
    out_->errors.push_back({known ? m.line + 1 : 0, known ? m.column + 1 : 0, std::move(message)});
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
      Dispatch(kv.second, it->second);
    }
  }

  // Calls `handler` on `value`, naming the variable in errors when one set the value.
  void Dispatch(const YAML::Node& value, const Handler& handler) {
    const auto site = std::find_if(overrides_.begin(), overrides_.end(),
                                   [&](const OverrideSite& o) { return o.node.is(value); });
    if (site == overrides_.end()) {
      handler(value);
      return;
    }
    const std::string* outer = current_override_;
    current_override_ = &site->variable;
    handler(value);
    current_override_ = outer;
  }

  // ${VAR} and ${VAR:-default}.
  bool Interpolate(const YAML::Node& n, const std::string& in, std::string* out) {
    out->clear();
    if (current_override_ != nullptr) {  // already the environment's value
      *out = in;
      return true;
    }
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

  void Fraction(const YAML::Node& n, double& field, double min, double max) {
    std::string v;
    if (!Scalar(n, &v)) return;
    char* end = nullptr;
    const double parsed = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0') {
      Error(n, fmt::format("expected a number, got '{}'", v));
    } else if (!(parsed >= min && parsed <= max)) {
      Error(n, fmt::format("must be between {} and {}, got {}", min, max, parsed));
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
      Dispatch(kv.second, [&](const YAML::Node& value) {
        std::string v;
        if (Scalar(value, &v)) out_->config.kafka[kv.first.as<std::string>()] = v;
      });
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
            {"format", [&](const YAML::Node& v) { ReadFormat(v, in); }},
            {"identity", [&](const YAML::Node& v) { InputIdentity(v, in); }},
            {"fields", [&](const YAML::Node& v) { InputFields(v, in); }},
            {"taxonomy", [&](const YAML::Node& v) { InputTaxonomy(v, in); }},
            {"dedup_horizon_ms", [&](const YAML::Node& v) { Int(v, in.dedup_horizon_ms, 0); }},
            {"keyed_by_customer", [&](const YAML::Node& v) { Bool(v, in.keyed_by_customer); }},
        });
    if (n.IsMap()) {
      if (auto error = processors::CheckDecoderOptions(ToDecoderOptions(in))) {
        Error(n, "input: " + *error);
      }
    }
  }

  void ReadFormat(const YAML::Node& v, InputConfig& in) {
    std::string text;
    if (!Scalar(v, &text)) return;
    const auto format = processors::InputFormatFromName(text);
    if (!format) {
      Error(v, fmt::format("input.format must be auto, segment, snowplow or flat, got '{}'", text));
      return;
    }
    in.format = *format;
  }

  void InputIdentity(const YAML::Node& v, InputConfig& in) {
    if (!v.IsSequence() || v.size() == 0) {
      Error(
          v,
          "'input.identity' must be a non-empty list of dotted paths, e.g. [userId, anonymousId]");
      return;
    }
    for (const auto& item : v) {
      std::string path;
      if (!Scalar(item, &path)) continue;
      if (!processors::IsValidFieldPath(path)) {
        Error(item, fmt::format("'{}' is not a dotted path of 1 to {} keys", path,
                                processors::kMaxPathDepth));
        continue;
      }
      in.identity.push_back(path);
    }
  }

  void InputFields(const YAML::Node& v, InputConfig& in) {
    if (!v.IsMap()) {
      Error(v,
            "'input.fields' must be a map of field to dotted path, e.g. customer_id: "
            "properties.account_id");
      return;
    }
    for (const auto& kv : v) {
      std::string field, path;
      if (!Scalar(kv.first, &field) || !Scalar(kv.second, &path)) continue;
      if (!processors::MappableFieldFromName(field)) {
        std::string known;
        for (int i = 0; i < processors::kMappableFieldCount; ++i) {
          known +=
              (i == 0 ? "" : ", ") +
              std::string(processors::MappableFieldName(static_cast<processors::MappableField>(i)));
        }
        Error(kv.first, fmt::format("unknown field 'input.fields.{}' (known: {})", field, known));
        continue;
      }
      if (!processors::IsValidFieldPath(path)) {
        Error(kv.second, fmt::format("'{}' is not a dotted path of 1 to {} keys", path,
                                     processors::kMaxPathDepth));
        continue;
      }
      in.fields.emplace_back(field, path);
    }
  }

  void InputTaxonomy(const YAML::Node& v, InputConfig& in) {
    if (!v.IsMap()) {
      Error(v,
            "'input.taxonomy' must be a map of event name to canonical type, e.g. \"Trial "
            "Started\": signup");
      return;
    }
    for (const auto& kv : v) {
      std::string name, target;
      if (!Scalar(kv.first, &name) || !Scalar(kv.second, &target)) continue;
      char buf[processors::kMaxEventNameLength];
      if (!processors::NormalizeEventName(name, buf)) {
        Error(kv.first,
              fmt::format("'{}' is not a usable event name (empty, or longer than {} characters)",
                          name, processors::kMaxEventNameLength));
        continue;
      }
      if (!processors::Taxonomy::IsValidTarget(target)) {
        Error(kv.second,
              fmt::format("'{}' is not a canonical event type (page_view, ..., custom) or ignore",
                          target));
        continue;
      }
      in.taxonomy.emplace_back(name, target);
    }
  }

  void Output(const YAML::Node& n) {
    OutputConfig& o = out_->config.output;
    Map(n, "output",
        {
            {"segment_changes_topic",
             [&](const YAML::Node& v) { String(v, o.segment_changes_topic); }},
            {"dead_letters_topic", [&](const YAML::Node& v) { String(v, o.dead_letters_topic); }},
            {"churn_risk_topic", [&](const YAML::Node& v) { String(v, o.churn_risk_topic); }},
            {"segment_changes_format",
             [&](const YAML::Node& v) {
               std::string text;
               if (!Scalar(v, &text)) return;
               if (text == "engaged") {
                 o.segment_changes_format = SegmentChangeFormat::kEngaged;
               } else if (text == "segment_audience") {
                 o.segment_changes_format = SegmentChangeFormat::kSegmentAudience;
               } else {
                 Error(v, fmt::format("output.segment_changes_format must be engaged or "
                                      "segment_audience, got '{}'",
                                      text));
               }
             }},
        });
  }

  void Churn(const YAML::Node& n) {
    processors::churn::ChurnOptions& c = out_->config.churn;
    Map(n, "churn",
        {
            {"model_file", [&](const YAML::Node& v) { String(v, c.model_file); }},
            {"session_model_file", [&](const YAML::Node& v) { String(v, c.session_model_file); }},
            {"inactivity_half_life_ms",
             [&](const YAML::Node& v) { Int(v, c.inactivity_half_life_ms, 1); }},
            {"medium", [&](const YAML::Node& v) { Fraction(v, c.medium, 0.0, 1.0); }},
            {"high", [&](const YAML::Node& v) { Fraction(v, c.high, 0.0, 1.0); }},
            {"hysteresis", [&](const YAML::Node& v) { Fraction(v, c.hysteresis, 0.0, 0.5); }},
        });
  }

  void State(const YAML::Node& n) {
    StateConfig& s = out_->config.state;
    Map(n, "state",
        {
            {"dir", [&](const YAML::Node& v) { String(v, s.dir); }},
            {"memory_budget_bytes",
             [&](const YAML::Node& v) { Int(v, s.memory_budget_bytes, int64_t{16} << 20); }},
            {"cache_share", [&](const YAML::Node& v) { Fraction(v, s.cache_share, 0.0, 0.9); }},
            {"cache_read_blocks", [&](const YAML::Node& v) { Bool(v, s.cache_read_blocks); }},
            {"compression",
             [&](const YAML::Node& v) {
               std::string text;
               if (!Scalar(v, &text)) return;
               if (const auto named = state::CompressionNamed(text)) {
                 s.compression = *named;
               } else {
                 Error(v,
                       fmt::format("state.compression must be none, lz4 or zstd, got '{}'", text));
               }
             }},
            {"retention_ms", [&](const YAML::Node& v) { Int(v, s.retention_ms, 0); }},
            {"sync_commits", [&](const YAML::Node& v) { Bool(v, s.sync_commits); }},
            {"changelog_topic", [&](const YAML::Node& v) { String(v, s.changelog_topic); }},
            {"changelog_replication_factor",
             [&](const YAML::Node& v) { Int(v, s.changelog_replication_factor, -1); }},
            {"local_copy_max_age_ms",
             [&](const YAML::Node& v) { Int(v, s.local_copy_max_age_ms, 0); }},
            {"changelog_check_interval_ms",
             [&](const YAML::Node& v) { Int(v, s.changelog_check_interval_ms, 0); }},
        });
  }

  void Processing(const YAML::Node& n) {
    ProcessingConfig& p = out_->config.processing;
    Map(n, "processing",
        {
            {"guarantee",
             [&](const YAML::Node& v) {
               std::string text;
               if (!Scalar(v, &text)) return;
               if (text == "at_least_once") {
                 p.guarantee = Guarantee::kAtLeastOnce;
               } else if (text == "exactly_once") {
                 p.guarantee = Guarantee::kExactlyOnce;
               } else {
                 Error(v,
                       fmt::format(
                           "processing.guarantee must be at_least_once or exactly_once, got '{}'",
                           text));
               }
             }},
            {"commit_interval_ms",
             [&](const YAML::Node& v) {
               Int(v, p.commit_interval_ms, 1);
               commit_interval_set_ = true;
             }},
            {"instance_id", [&](const YAML::Node& v) { String(v, p.instance_id); }},
            {"allowed_lateness_ms", [&](const YAML::Node& v) { Int(v, p.allowed_lateness_ms, 0); }},
            {"max_future_ms", [&](const YAML::Node& v) { Int(v, p.max_future_ms, 0); }},
            {"shutdown_grace_ms", [&](const YAML::Node& v) { Int(v, p.shutdown_grace_ms, 1); }},
            {"idle_timer_ms", [&](const YAML::Node& v) { Int(v, p.idle_timer_ms, 0); }},
            {"silence_horizon_ms", [&](const YAML::Node& v) { Int(v, p.silence_horizon_ms, 0); }},
        });
  }

  void Http(const YAML::Node& n) {
    HttpConfig& h = out_->config.http;
    Map(n, "http",
        {
            {"enabled", [&](const YAML::Node& v) { Bool(v, h.enabled); }},
            {"host", [&](const YAML::Node& v) { String(v, h.host); }},
            {"port",
             [&](const YAML::Node& v) {
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
                 Error(v,
                       fmt::format("log.level must be debug, info, warn or error, got '{}'", text));
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
      std::optional<YAML::Node> min_events;  // the min_events value, when given
      const size_t index = out_->config.segments.size();
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
              {"min_events",
               [&](const YAML::Node& v) {
                 Int(v, d.min_events, 1);
                 min_events.emplace(v);
               }},
              {"enter", [&](const YAML::Node& v) { Expression(v, index, true, d.enter); }},
              {"exit", [&](const YAML::Node& v) { Expression(v, index, false, d.exit); }},
              {"min_dwell_ms", [&](const YAML::Node& v) { Int(v, d.min_dwell_ms, 0); }},
          });
      if (!has_name && item.IsMap()) Error(item, "a segment needs a non-empty 'name'");
      if (min_events && !d.enter.empty()) {
        Error(*min_events, fmt::format("segment '{}' has both 'min_events' and 'enter'; "
                                       "min_events is sugar for enter: \"events_total >= N\"",
                                       d.name));
      }
      out_->config.segments.push_back(std::move(d));
    }
  }

  // An expression scalar; compiled by CompileSegments once the features are known.
  void Expression(const YAML::Node& v, size_t segment, bool enter, std::string& field) {
    if (!v.IsScalar()) {
      Error(v, "an expression must be a single string, for example \"events_total >= 3\"");
      return;
    }
    field = v.Scalar();  // no ${VAR} interpolation: columns must match the file
    if (field.empty()) Error(v, "an expression must not be empty");
    expressions_.push_back({v.Mark(), v.Tag() == "!", segment, enter});
  }

  // Compiles every segment expression against the configured feature catalogue, and
  // reports errors at their line and column in the file.
  void CompileSegments() {
    if (features_invalid_ || expressions_.empty()) return;  // the catalogue is unknown
    const processors::FeatureCatalog catalog(out_->config.features);
    for (const ExpressionSite& e : expressions_) {
      const processors::SegmentDefinition& d = out_->config.segments[e.segment];
      const std::string& text = e.enter ? d.enter : d.exit;
      if (text.empty()) continue;
      const processors::rules::Compiled c = processors::rules::Compile(text, catalog);
      if (c.ok()) continue;
      // Columns are exact for single-line scalars; a quote adds one.
      const bool known = e.mark.line >= 0 && !e.mark.is_null();
      const int column = e.mark.column + 1 + (e.quoted ? 1 : 0) + static_cast<int>(c.error->offset);
      out_->errors.push_back({known ? e.mark.line + 1 : 0, known ? column : 0,
                              fmt::format("segment '{}' {}: {}", d.name, e.enter ? "enter" : "exit",
                                          c.error->message)});
    }
  }

  // ---- features: (processors/feature_options.h) ------------------------------------

  void Features(const YAML::Node& n) {
    processors::FeatureOptions& f = out_->config.features;
    Map(n, "features",
        {
            {"half_lives_days", [&](const YAML::Node& v) { FeatureHalfLives(v, f); }},
            {"session_gap_ms", [&](const YAML::Node& v) { Int(v, f.session_gap_ms, 1); }},
            {"conversion_types", [&](const YAML::Node& v) { FeatureTypes(v, f.conversion_types); }},
            {"score", [&](const YAML::Node& v) { FeatureScore(v, f.score); }},
            {"rfm", [&](const YAML::Node& v) { FeatureRfm(v, f.rfm); }},
        });
    const auto& h = f.half_lives_days;
    if (n.IsMap() && std::find(h.begin(), h.end(), f.score.half_life_days) == h.end()) {
      Error(n, fmt::format("features.score.half_life_days ({}) must be one of "
                           "features.half_lives_days",
                           f.score.half_life_days));
    }
  }

  void FeatureHalfLives(const YAML::Node& v, processors::FeatureOptions& f) {
    constexpr int64_t kMaxHalfLifeDays = 3650;
    if (!v.IsSequence() || v.size() == 0 || v.size() > state::kMaxHalfLives) {
      Error(v, fmt::format("'features.half_lives_days' must be a list of 1 to {} whole numbers "
                           "of days",
                           state::kMaxHalfLives));
      return;
    }
    f.half_lives_days.clear();
    for (const auto& item : v) {
      int64_t days = 0;
      Int(item, days, 1);
      if (days > kMaxHalfLifeDays) Error(item, "a half-life must be at most 3650 days");
      if (std::find(f.half_lives_days.begin(), f.half_lives_days.end(), days) !=
          f.half_lives_days.end()) {
        Error(item, fmt::format("half-life {} is listed twice", days));
      }
      if (days >= 1 && days <= kMaxHalfLifeDays) f.half_lives_days.push_back(days);
    }
  }

  void FeatureTypes(const YAML::Node& v, std::vector<processors::EventType>& types) {
    if (!v.IsSequence()) {
      Error(v, "'features.conversion_types' must be a list of canonical event types");
      return;
    }
    types.clear();
    for (const auto& item : v) {
      std::string name;
      if (!Scalar(item, &name)) continue;
      if (auto t = processors::EventTypeFromName(name)) {
        types.push_back(*t);
      } else {
        Error(item, fmt::format("'{}' is not a canonical event type", name));
      }
    }
  }

  // A number >= min (> min when `exclusive`).
  void FeatureDouble(const YAML::Node& n, double& field, double min, bool exclusive) {
    std::string v;
    if (!Scalar(n, &v)) return;
    char* end = nullptr;
    const double parsed = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !std::isfinite(parsed)) {
      Error(n, fmt::format("expected a number, got '{}'", v));
    } else if (parsed < min || (exclusive && parsed == min)) {
      Error(n, fmt::format("must be {} {}, got {}", exclusive ? "above" : "at least", min, parsed));
    } else {
      field = parsed;
    }
  }

  // A map emotional/contextual/convenience/social -> number.
  void FeatureSubScores(const YAML::Node& n, const std::string& section,
                        std::array<double, processors::kSubScoreCount>& out, bool exclusive) {
    std::vector<std::pair<std::string, Handler>> handlers;
    handlers.reserve(processors::kSubScoreCount);
    for (int k = 0; k < processors::kSubScoreCount; ++k) {
      handlers.emplace_back(kSubScoreNames[k], [&, k](const YAML::Node& v) {
        FeatureDouble(v, out[k], 0, exclusive);
      });
    }
    Map(n, section, handlers);
  }

  void FeatureScore(const YAML::Node& n, processors::ScoreOptions& s) {
    Map(n, "features.score",
        {
            {"half_life_days", [&](const YAML::Node& v) { Int(v, s.half_life_days, 1); }},
            {"weights",
             [&](const YAML::Node& v) {
               FeatureSubScores(v, "features.score.weights", s.weights, false);
             }},
            {"saturation",
             [&](const YAML::Node& v) {
               FeatureSubScores(v, "features.score.saturation", s.saturation, true);
             }},
            {"type_weights", [&](const YAML::Node& v) { FeatureTypeWeights(v, s.type_weights); }},
        });
    double sum = 0;
    for (const double w : s.weights) sum += w;
    if (n.IsMap() && sum <= 0) Error(n, "features.score.weights must not all be 0");
  }

  void FeatureTypeWeights(const YAML::Node& v,
                          std::array<double, processors::kEventTypeCount>& weights) {
    if (!v.IsMap()) {
      Error(v, "'features.score.type_weights' must be a map of event type to weight");
      return;
    }
    for (const auto& kv : v) {
      std::string name;
      if (!Scalar(kv.first, &name)) continue;
      const auto t = processors::EventTypeFromName(name);
      if (!t) {
        Error(kv.first, fmt::format("'{}' is not a canonical event type", name));
        continue;
      }
      FeatureDouble(kv.second, weights[static_cast<int>(*t)], 0, false);
    }
  }

  void FeatureCuts(const YAML::Node& v, const std::string& key, processors::CutPoints& cuts) {
    if (!v.IsSequence() || v.size() != cuts.size()) {
      Error(v, fmt::format("'{}' must be a list of {} ascending numbers", key, cuts.size()));
      return;
    }
    processors::CutPoints parsed = cuts;
    for (size_t i = 0; i < cuts.size(); ++i) {
      FeatureDouble(v[i], parsed[i], -std::numeric_limits<double>::max(), false);
      if (i > 0 && parsed[i] <= parsed[i - 1]) Error(v[i], "cut points must be ascending");
    }
    cuts = parsed;
  }

  void FeatureRfm(const YAML::Node& n, processors::RfmOptions& r) {
    Map(n, "features.rfm",
        {
            {"quantiles", [&](const YAML::Node& v) { Bool(v, r.quantiles); }},
            {"min_samples", [&](const YAML::Node& v) { Int(v, r.min_samples, 1); }},
            {"recency_days",
             [&](const YAML::Node& v) {
               FeatureCuts(v, "features.rfm.recency_days", r.recency_days);
             }},
            {"frequency",
             [&](const YAML::Node& v) { FeatureCuts(v, "features.rfm.frequency", r.frequency); }},
            {"monetary",
             [&](const YAML::Node& v) { FeatureCuts(v, "features.rfm.monetary", r.monetary); }},
        });
  }

  void CheckCrossFields(const YAML::Node& root) {
    const Config& c = out_->config;
    if (c.application_id.empty()) Error(root, "application_id must not be empty");
    if (c.churn.high <= c.churn.medium) {
      const YAML::Node churn = root["churn"];
      Error(churn ? churn : root, fmt::format("churn.high ({}) must be above churn.medium ({})",
                                              c.churn.high, c.churn.medium));
    }
    if (c.output.segment_changes_topic.empty() || c.output.dead_letters_topic.empty() ||
        c.output.churn_risk_topic.empty()) {
      Error(root, "output topics must not be empty");
    }
    if (c.processing.guarantee == Guarantee::kExactlyOnce) {
      if (!commit_interval_set_)
        out_->config.processing.commit_interval_ms = kExactlyOnceCommitIntervalMs;
      if (c.state.changelog_topic.empty()) {
        const YAML::Node state = root["state"];
        Error(state ? state : root,
              "state.changelog_topic must not be empty under processing.guarantee: exactly_once "
              "(the changelog is how state is rewound after an aborted transaction)");
      }
    }
  }

  // Where a segment expression sits in the file.
  struct ExpressionSite {
    YAML::Mark mark;
    bool quoted;  // the scalar starts with a quote, one column before its text
    size_t segment;
    bool enter;  // else exit
  };

  ConfigLoad* out_;
  std::vector<OverrideSite> overrides_;
  const std::string* current_override_ = nullptr;  // the variable being read, if any
  std::vector<ExpressionSite> expressions_;
  bool features_invalid_ = false;
  bool commit_interval_set_ = false;  // processing.commit_interval_ms was given
};

}  // namespace

ConfigLoad LoadConfigText(const std::string& yaml) {
  return LoadConfigText(yaml, ProcessEnvironment());
}

ConfigLoad LoadConfigText(const std::string& yaml, const Environment& env) {
  ConfigLoad out;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    out.errors.push_back({e.mark.line + 1, e.mark.column + 1, e.msg});
    return out;
  }
  const std::vector<EnvOverride> overrides = ParseEnvOverrides(env, &out.errors);
  std::vector<OverrideSite> sites;
  if (root.IsMap()) {  // otherwise the loader reports the file's shape
    const std::vector<YAML::Node> placed = MergeEnvOverrides(overrides, root, &out.errors);
    for (size_t i = 0; i < overrides.size(); ++i) {
      if (!placed[i].IsDefined()) continue;
      sites.push_back({placed[i], overrides[i].variable});
      out.overridden_by.push_back(overrides[i].variable);
    }
  }
  Loader(&out, std::move(sites)).Load(root);
  return out;
}

ConfigLoad LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ConfigLoad out;
    out.errors.push_back(
        {0, 0, fmt::format("cannot read the config file: {}", std::strerror(errno))});
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

processors::DecoderOptions ToDecoderOptions(const InputConfig& input) {
  processors::DecoderOptions o;
  o.max_message_bytes = static_cast<size_t>(input.max_message_bytes);
  o.format = input.format;
  o.identity = input.identity;
  o.fields = input.fields;
  o.taxonomy = input.taxonomy;
  return o;
}

std::string EnvVariableForKey(std::string_view dotted_key) {
  std::string out = "ENGAGED_";
  const bool kafka = dotted_key.starts_with("kafka.");
  for (size_t i = 0; i < dotted_key.size(); ++i) {
    const char c = dotted_key[i];
    if (c == '.') {
      out += (kafka && i > 5) ? "_" : "__";
    } else {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

std::string KafkaPropertyNamesForLog(const Config& config) {
  std::string names;
  for (const auto& kv : config.kafka) names += (names.empty() ? "" : ",") + kv.first;
  return names;
}

ChangelogTopicConfigs ReadChangelogTopicConfigs(std::string_view topic,
                                                const std::map<std::string, std::string>& configs) {
  ChangelogTopicConfigs out;
  const auto policy = configs.find("cleanup.policy");
  if (policy != configs.end() && policy->second != "compact") {
    out.problem = fmt::format(
        "changelog topic '{}' has cleanup.policy={}: the broker would delete customers' "
        "state by age, and restores would lose it; set cleanup.policy=compact on it "
        "(kafka-configs.sh --alter --entity-type topics --entity-name {} --add-config "
        "cleanup.policy=compact), or point state.changelog_topic at a new topic",
        topic, policy->second, topic);
  }
  const auto retention = configs.find("delete.retention.ms");
  if (retention != configs.end()) {
    int64_t ms = 0;
    const std::string& v = retention->second;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
    if (ec == std::errc() && end == v.data() + v.size() && ms >= 0) out.delete_retention_ms = ms;
  }
  return out;
}

std::vector<std::string> KnownConfigKeys() {
  return {
      "application_id",
      "kafka",
      "input.topics",
      "input.max_message_bytes",
      "input.format",
      "input.identity",
      "input.fields",
      "input.taxonomy",
      "input.dedup_horizon_ms",
      "input.keyed_by_customer",
      "output.segment_changes_topic",
      "output.dead_letters_topic",
      "output.churn_risk_topic",
      "output.segment_changes_format",
      "state.dir",
      "state.memory_budget_bytes",
      "state.cache_share",
      "state.cache_read_blocks",
      "state.compression",
      "state.retention_ms",
      "state.sync_commits",
      "state.changelog_topic",
      "state.changelog_replication_factor",
      "state.local_copy_max_age_ms",
      "state.changelog_check_interval_ms",
      "processing.guarantee",
      "processing.commit_interval_ms",
      "processing.instance_id",
      "processing.allowed_lateness_ms",
      "processing.max_future_ms",
      "processing.shutdown_grace_ms",
      "processing.idle_timer_ms",
      "processing.silence_horizon_ms",
      "http.enabled",
      "http.host",
      "http.port",
      "log.level",
      "segments[].name",
      "segments[].min_events",
      "segments[].enter",
      "segments[].exit",
      "segments[].min_dwell_ms",
      "churn.model_file",
      "churn.session_model_file",
      "churn.inactivity_half_life_ms",
      "churn.medium",
      "churn.high",
      "churn.hysteresis",
      "features.half_lives_days",
      "features.session_gap_ms",
      "features.conversion_types",
      "features.score.half_life_days",
      "features.score.weights.emotional",
      "features.score.weights.contextual",
      "features.score.weights.convenience",
      "features.score.weights.social",
      "features.score.saturation.emotional",
      "features.score.saturation.contextual",
      "features.score.saturation.convenience",
      "features.score.saturation.social",
      "features.score.type_weights",
      "features.rfm.quantiles",
      "features.rfm.min_samples",
      "features.rfm.recency_days",
      "features.rfm.frequency",
      "features.rfm.monetary",
  };
}

state::StoreOptions StoreOptionsFor(const StateConfig& s) {
  return {.dir = s.dir,
          .sync_commits = s.sync_commits,
          .memory_bytes = StoreMemoryBytes(s),
          .cache_read_blocks = s.cache_read_blocks,
          .compression = s.compression};
}

}  // namespace topologies
