// ENGAGED_* environment overrides (docs/configuration.md#environment-overrides). The
// environment is passed explicitly, so these tests do not depend on the process's.

#include <gtest/gtest.h>

#include <algorithm>

#include "topologies/config.h"

namespace topologies {
namespace {

constexpr const char* kBase = R"(application_id: shop
kafka:
  bootstrap.servers: kafka-1:9092
input:
  topics: [clicks]
state:
  memory_budget_bytes: 67108864
)";

bool HasErrorContaining(const ConfigLoad& load, const std::string& text) {
  return std::any_of(load.errors.begin(), load.errors.end(), [&](const ConfigError& e) {
    return e.message.find(text) != std::string::npos;
  });
}

std::string AllErrors(const ConfigLoad& load) {
  std::string out;
  for (const auto& e : load.errors) out += e.message + "\n";
  return out;
}

TEST(ConfigEnvTest, VariableNamesFollowTheDocumentedMapping) {
  EXPECT_EQ(EnvVariableForKey("state.memory_budget_bytes"), "ENGAGED_STATE__MEMORY_BUDGET_BYTES");
  EXPECT_EQ(EnvVariableForKey("application_id"), "ENGAGED_APPLICATION_ID");
  EXPECT_EQ(EnvVariableForKey("features.score.weights.social"),
            "ENGAGED_FEATURES__SCORE__WEIGHTS__SOCIAL");
  EXPECT_EQ(EnvVariableForKey("kafka.sasl.password"), "ENGAGED_KAFKA__SASL_PASSWORD");
}

TEST(ConfigEnvTest, OverridesTakePrecedenceOverTheFile) {
  const ConfigLoad load =
      LoadConfigText(kBase, {{"ENGAGED_STATE__MEMORY_BUDGET_BYTES", "134217728"},
                             {"ENGAGED_APPLICATION_ID", "shop-2"},
                             {"ENGAGED_HTTP__PORT", "9999"},
                             {"ENGAGED_FEATURES__SCORE__WEIGHTS__SOCIAL", "2.5"},
                             {"ENGAGED_KAFKA__SASL_PASSWORD", "s3cret ${NOT_INTERPOLATED} #x"},
                             {"ENGAGED_KAFKA__BOOTSTRAP_SERVERS", "kafka-9:9093"}});
  ASSERT_TRUE(load.ok()) << AllErrors(load);
  const Config& c = load.config;
  EXPECT_EQ(c.state.memory_budget_bytes, 134217728);
  EXPECT_EQ(c.application_id, "shop-2");
  EXPECT_EQ(c.http.port, 9999);  // a section absent from the file
  EXPECT_EQ(c.features.score.weights[3], 2.5);
  EXPECT_EQ(c.kafka.at("sasl.password"), "s3cret ${NOT_INTERPOLATED} #x");  // literal
  EXPECT_EQ(c.kafka.at("bootstrap.servers"), "kafka-9:9093");
  EXPECT_EQ(c.input.topics, std::vector<std::string>{"clicks"});  // untouched
  EXPECT_EQ(load.overridden_by.size(), 6u);
}

TEST(ConfigEnvTest, ListsAndMapsAreYamlFlowValues) {
  const ConfigLoad load =
      LoadConfigText(kBase, {{"ENGAGED_INPUT__TOPICS", "[a, b]"},
                             {"ENGAGED_INPUT__FIELDS", "{customer_id: properties.account_id}"}});
  ASSERT_TRUE(load.ok()) << AllErrors(load);
  EXPECT_EQ(load.config.input.topics, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(load.config.input.fields.size(), 1u);
  EXPECT_EQ(load.config.input.fields[0].second, "properties.account_id");
}

TEST(ConfigEnvTest, AWrongTypeIsAnErrorNamingTheVariable) {
  const ConfigLoad load = LoadConfigText(kBase, {{"ENGAGED_STATE__MEMORY_BUDGET_BYTES", "lots"},
                                                 {"ENGAGED_STATE__CACHE_SHARE", "2"},
                                                 {"ENGAGED_HTTP__ENABLED", "maybe"}});
  ASSERT_EQ(load.errors.size(), 3u) << AllErrors(load);
  EXPECT_TRUE(HasErrorContaining(load, "ENGAGED_STATE__MEMORY_BUDGET_BYTES: expected an integer"));
  EXPECT_TRUE(HasErrorContaining(load, "ENGAGED_STATE__CACHE_SHARE: must be between 0 and 0.9"));
  EXPECT_TRUE(HasErrorContaining(load, "ENGAGED_HTTP__ENABLED: expected true or false"));
  for (const auto& e : load.errors) EXPECT_EQ(e.line, 0);  // no position in the file
}

TEST(ConfigEnvTest, AnUnknownKeyIsAnErrorNamingTheVariable) {
  const ConfigLoad load = LoadConfigText(kBase, {{"ENGAGED_STATE__MEMORY_BUDGET", "1"}});
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].message,
            "ENGAGED_STATE__MEMORY_BUDGET: no config key 'state.memory_budget' to override "
            "(docs/configuration.md lists them)");
}

TEST(ConfigEnvTest, SegmentsAndMalformedNamesAreErrors) {
  const ConfigLoad load = LoadConfigText(kBase, {{"ENGAGED_SEGMENTS__NAME", "x"},
                                                 {"ENGAGED_KAFKA__", "x"},
                                                 {"ENGAGED_STATE__", "x"},
                                                 {"ENGAGED_INPUT__TOPICS", "[a, b"}});
  EXPECT_EQ(load.errors.size(), 4u) << AllErrors(load);
  EXPECT_TRUE(HasErrorContaining(load, "ENGAGED_SEGMENTS__NAME: segments cannot be set"));
  EXPECT_TRUE(HasErrorContaining(load, "ENGAGED_INPUT__TOPICS: not a YAML flow list or map"));
}

TEST(ConfigEnvTest, OtherEngagedVariablesAndEmptyValuesAreNotOverrides) {
  const ConfigLoad load = LoadConfigText(kBase, {{"ENGAGED_BOOTSTRAP", "x"},
                                                 {"ENGAGED_STATE_DIR", "/elsewhere"},
                                                 {"ENGAGED_STATE__DIR", ""},
                                                 {"OTHER__STATE__DIR", "/x"}});
  ASSERT_TRUE(load.ok()) << AllErrors(load);
  EXPECT_EQ(load.config.state.dir, "./engaged-state");
  EXPECT_TRUE(load.overridden_by.empty());
}

TEST(ConfigEnvTest, TheLegacyLogLevelVariableStillWorks) {
  ConfigLoad load = LoadConfigText(kBase, {{"ENGAGED_LOG_LEVEL", "debug"}});
  ASSERT_TRUE(load.ok()) << AllErrors(load);
  EXPECT_EQ(load.config.log_level, ops::LogLevel::kDebug);
  load = LoadConfigText(kBase, {{"ENGAGED_LOG_LEVEL", "chatty"}});
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_NE(load.errors[0].message.find("ENGAGED_LOG_LEVEL: log.level must be"), std::string::npos);
  load = LoadConfigText(kBase, {{"ENGAGED_LOG_LEVEL", "debug"}, {"ENGAGED_LOG__LEVEL", "warn"}});
  EXPECT_TRUE(HasErrorContaining(load, "override the same key")) << AllErrors(load);
}

TEST(ConfigEnvTest, EveryKnownScalarKeyCanBeOverridden) {
  // The variable of every key except the segments[] items and the kafka map is
  // recognised; a value of the wrong type is then reported under the variable's name.
  for (const std::string& key : KnownConfigKeys()) {
    if (key.starts_with("segments[]") || key == "kafka") continue;
    const std::string variable = EnvVariableForKey(key);
    const ConfigLoad load = LoadConfigText(kBase, {{variable, "{not: valid, here: 1}"}});
    EXPECT_FALSE(HasErrorContaining(load, "no config key")) << variable;
    EXPECT_TRUE(HasErrorContaining(load, variable + ": ")) << variable << "\n" << AllErrors(load);
  }
}

TEST(ConfigEnvTest, KafkaValuesAreNeverInTheLogSummary) {
  const ConfigLoad load = LoadConfigText(kBase, {{"ENGAGED_KAFKA__SASL_PASSWORD", "hunter2"},
                                                 {"ENGAGED_KAFKA__SSL_KEY_PASSWORD", "swordfish"}});
  ASSERT_TRUE(load.ok()) << AllErrors(load);
  const std::string names = KafkaPropertyNamesForLog(load.config);
  EXPECT_EQ(names, "bootstrap.servers,sasl.password,ssl.key.password");
}

}  // namespace
}  // namespace topologies
