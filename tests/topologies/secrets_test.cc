// Secrets in the kafka: map (from the file through ${VAR}, or from an ENGAGED_KAFKA__*
// override) never reach the output of engaged, even at debug level with librdkafka's
// own debug logging on (librdkafka prints its configuration, redacting secrets).

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/testutil/files.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"

namespace topologies {
namespace {

constexpr const char* kFileSecret = "hunter2-from-the-file";
constexpr const char* kEnvSecret = "swordfish-from-the-environment";

class SecretsTest : public testing::Test {
 protected:
  void SetUp() override {
    ::setenv("ENGAGED_TEST_SASL_PASSWORD", kFileSecret, 1);
    ::setenv("ENGAGED_KAFKA__SSL_KEY_PASSWORD", kEnvSecret, 1);
    testutil::WriteFile(dir_.File("c.yaml"), R"(kafka:
  bootstrap.servers: 127.0.0.1:1
  security.protocol: SASL_PLAINTEXT
  sasl.mechanisms: PLAIN
  sasl.username: engaged
  sasl.password: ${ENGAGED_TEST_SASL_PASSWORD}
  debug: all
input:
  topics: [clicks]
state:
  dir: )" + dir_.File("state") + R"(
http:
  enabled: false
log:
  level: debug
)");
  }
  void TearDown() override {
    ::unsetenv("ENGAGED_TEST_SASL_PASSWORD");
    ::unsetenv("ENGAGED_KAFKA__SSL_KEY_PASSWORD");
  }
  testutil::TempDir dir_;
};

TEST_F(SecretsTest, ValidateNamesTheOverrideButNotItsValue) {
  std::string out;
  ASSERT_EQ(testutil::RunToCompletion({ENGAGED_BINARY, "validate", "--config", dir_.File("c.yaml")},
                                      &out),
            0)
      << out;
  EXPECT_NE(out.find("overridden by ENGAGED_KAFKA__SSL_KEY_PASSWORD"), std::string::npos) << out;
  EXPECT_EQ(out.find(kEnvSecret), std::string::npos) << out;
  EXPECT_EQ(out.find(kFileSecret), std::string::npos) << out;
}

TEST_F(SecretsTest, RunNeverLogsThemEvenAtDebugLevel) {
  // No broker listens on port 1: engaged starts its clients (librdkafka dumps its
  // configuration), fails to reach the cluster within its start-up timeout and exits.
  std::string out;
  EXPECT_EQ(
      testutil::RunToCompletion({ENGAGED_BINARY, "run", "--config", dir_.File("c.yaml")}, &out), 1);
  EXPECT_NE(out.find("sasl.password = [redacted]"), std::string::npos) << "no config dump";
  EXPECT_NE(out.find("cannot reach the Kafka cluster"), std::string::npos);
  EXPECT_EQ(out.find(kEnvSecret), std::string::npos);
  EXPECT_EQ(out.find(kFileSecret), std::string::npos);
}

}  // namespace
}  // namespace topologies
