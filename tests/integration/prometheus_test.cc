// A real Prometheus server scrapes a real engaged run against the real broker, and the
// series the dashboard and the alerts rely on hold sane values: consumer lag (records
// and seconds) that drains to 0, consumption throughput, and end-to-end latency
// quantiles from the histogram.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"
#include "tests/testutil/files.h"

namespace integration {
namespace {

constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";
constexpr int kEvents = 4000;
constexpr int kInvalid = 10;  // dead-lettered, so that the data-quality panels have data
constexpr int kBatches = 8;   // produced kBatchPauseMs apart, so that scrapes see the counters grow
constexpr int kBatchPauseMs = 1000;
constexpr int kCustomers = 300;
constexpr int kStartTimeoutMs = 30000;
constexpr int kDrainTimeoutMs = 30000;
constexpr double kSaneLatencySeconds = 60.0;

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// A Prometheus server on a free port, scraping engaged's /metrics every second.
class Prometheus {
 public:
  Prometheus(const testutil::TempDir& dir, int engaged_port) : port_(FreePort()) {
    const std::string config = dir.File("prometheus.yml");
    testutil::WriteFile(config,
                        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                        "  evaluation_interval: 1s\n"
                        "rule_files: ['" ENGAGED_SOURCE_DIR
                        "/ops/prometheus/alerts.yml']\n"
                        "scrape_configs:\n  - job_name: engaged\n    static_configs:\n"
                        "      - targets: ['127.0.0.1:" +
                            std::to_string(engaged_port) + "']\n");
    const std::string tsdb = dir.File("tsdb");
    std::filesystem::create_directories(tsdb);
    process_ = std::make_unique<testutil::Process>(
        std::vector<std::string>{
            kPrometheusBinary, "--config.file=" + config, "--storage.tsdb.path=" + tsdb,
            "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"},
        dir.File("prometheus.log"));
  }
  ~Prometheus() {
    process_->Signal(SIGTERM);
    process_->Wait(10000);
  }

  int port() const { return port_; }

  bool WaitReady(int timeout_ms) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::string body;
    while (HttpGet(port_, "/-/ready", &body) != 200) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
  }

  // The response of an instant query; "" when Prometheus did not answer 200.
  std::string Raw(const std::string& promql) const {
    std::string body;
    if (HttpGet(port_, "/api/v1/query?query=" + UrlEncode(promql), &body) != 200) return "";
    return body;
  }

  // The sample values of an instant query (one per series; NaN and Inf included);
  // empty when the query failed or matched nothing.
  std::vector<double> Query(const std::string& promql) const {
    const std::string body = Raw(promql);
    if (body.find(R"("status":"success")") == std::string::npos) return {};
    std::vector<double> values;
    const std::string needle = R"("value":[)";
    for (size_t at = body.find(needle); at != std::string::npos; at = body.find(needle, at + 1)) {
      const size_t quote = body.find('"', body.find(',', at));
      values.push_back(std::strtod(body.c_str() + quote + 1, nullptr));
    }
    return values;
  }

  // Polls `promql` until `ok` holds for its values (at least one series), or times out.
  std::vector<double> QueryUntil(const std::string& promql,
                                 const std::function<bool(const std::vector<double>&)>& ok,
                                 int timeout_ms) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::vector<double> last;
    for (;;) {
      last = Query(promql);
      if (!last.empty() && ok(last)) return last;
      if (std::chrono::steady_clock::now() > deadline) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }

 private:
  int port_;
  std::unique_ptr<testutil::Process> process_;
};

bool AllFiniteNonNegative(const std::vector<double>& v) {
  for (const double x : v) {
    if (!std::isfinite(x) || x < 0) return false;
  }
  return !v.empty();
}

// The PromQL of every panel of the Grafana dashboard, with its variables replaced as
// Grafana would for "all instances".
std::vector<std::string> DashboardQueries() {
  const std::string json = testutil::ReadFile(ENGAGED_SOURCE_DIR "/ops/grafana/engaged.json");
  std::vector<std::string> out;
  const std::string key = R"("expr": ")";
  for (size_t at = json.find(key); at != std::string::npos; at = json.find(key, at + 1)) {
    std::string expr;
    for (size_t i = at + key.size(); i < json.size() && json[i] != '"'; ++i) {
      if (json[i] == '\\') ++i;  // \" and \\ in the JSON string
      expr.push_back(json[i]);
    }
    for (const auto& [var, value] :
         {std::pair<std::string, std::string>{"$__rate_interval", "1m"}, {"$instance", ".*"}}) {
      for (size_t v = expr.find(var); v != std::string::npos; v = expr.find(var)) {
        expr.replace(v, var.size(), value);
      }
    }
    out.push_back(expr);
  }
  return out;
}

std::string Show(const std::vector<double>& v) {
  std::string out;
  for (const double x : v) out += std::to_string(x) + " ";
  return out.empty() ? "(no series)" : out;
}

TEST(PrometheusTest, ScrapesLagThroughputAndLatencyOfARealRun) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  ASSERT_TRUE(std::filesystem::exists(kPrometheusBinary))
      << "Prometheus is not installed: run ops/local/install-deps.sh";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "prom", 3);
  testutil::TempDir dir;
  const int port = FreePort();

  // Statistics every second, so that lag follows the run closely, and commits every 5 s,
  // so that records wait between commits for several statistics intervals and scrapes,
  // and the lag is seen above 0 before it drains (3 s was sometimes too short to catch).
  // Churn risk on, so that the churn panels have series (every customer starts low).
  testutil::WriteFile(dir.File("model.json"),
                      R"({"model":"bgnbd","r":0.24,"alpha":4.4,"a":0.79,"b":2.4,)"
                      R"("time_unit":"weeks"})");
  std::string config = MakeConfig(bootstrap, topics, dir.File("state"), port,
                                  "churn:\n  model_file: " + dir.File("model.json") + "\n");
  const std::string kafka_map = "kafka:\n";
  config.insert(config.find(kafka_map) + kafka_map.size(), "  statistics.interval.ms: \"1000\"\n");
  const std::string commit = "commit_interval_ms: 200";
  config.replace(config.find(commit), commit.size(), "commit_interval_ms: 5000");
  Engaged engaged(dir, config, "engaged");
  Prometheus prometheus(dir, port);
  ASSERT_TRUE(prometheus.WaitReady(kStartTimeoutMs))
      << testutil::ReadFile(dir.File("prometheus.log"));
  const auto up = prometheus.QueryUntil(R"(engaged_ready{job="engaged"})",
                                        [](const auto& v) { return v[0] == 1; }, kStartTimeoutMs);
  ASSERT_EQ(Show(up), Show({1.0})) << engaged.log();

  for (int b = 0; b < kBatches; ++b) {
    for (int i = b * kEvents / kBatches; i < (b + 1) * kEvents / kBatches; ++i) {
      const std::string id = "p" + std::to_string(i % kCustomers);
      kafka.Produce(topics.input, id,
                    R"({"customer_id":")" + id + R"(","type":"click","ts":)" +
                        std::to_string(1700000000000LL + i) + "}");
    }
    if (b == 0) {
      for (int i = 0; i < kInvalid; ++i) kafka.Produce(topics.input, "bad", "not json");
    }
    kafka.Flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(kBatchPauseMs));
  }

  const auto consumed = prometheus.QueryUntil(
      "sum(engaged_records_consumed_total)",
      [](const auto& v) { return v[0] == kEvents + kInvalid; }, kDrainTimeoutMs);
  EXPECT_EQ(Show(consumed), Show({kEvents + kInvalid}));

  // Lag in records drains to 0 on every partition once commits catch up.
  const auto lag = prometheus.QueryUntil(
      "engaged_consumer_lag_records",
      [](const auto& v) {
        return v.size() == 3 && std::all_of(v.begin(), v.end(), [](double x) { return x == 0; });
      },
      kDrainTimeoutMs);
  EXPECT_EQ(Show(lag), Show({0, 0, 0})) << "one series per assigned partition, all drained";
  const auto lag_seconds = prometheus.Query("engaged_consumer_lag_seconds");
  EXPECT_EQ(lag_seconds.size(), 3u) << Show(lag_seconds);
  EXPECT_TRUE(AllFiniteNonNegative(lag_seconds)) << Show(lag_seconds);
  const auto max_lag = prometheus.Query("max_over_time(sum(engaged_consumer_lag_records)[2m:1s])");
  const auto max_lag_seconds =
      prometheus.Query("max_over_time(max(engaged_consumer_lag_seconds)[2m:1s])");
  ASSERT_TRUE(AllFiniteNonNegative(max_lag)) << Show(max_lag);
  ASSERT_TRUE(AllFiniteNonNegative(max_lag_seconds)) << Show(max_lag_seconds);
  EXPECT_GT(max_lag[0], 0) << "records waited for a commit at some point";
  EXPECT_GT(max_lag_seconds[0], 0);
  EXPECT_LT(max_lag_seconds[0], kSaneLatencySeconds);

  // Throughput: what the dashboard's "consumed/s" panel plots.
  const auto rate = prometheus.Query("sum(rate(engaged_records_consumed_total[1m]))");
  ASSERT_TRUE(AllFiniteNonNegative(rate)) << Show(rate);
  EXPECT_GT(rate[0], 0);
  const auto produced = prometheus.Query("sum(engaged_records_produced_total)");
  ASSERT_TRUE(AllFiniteNonNegative(produced)) << Show(produced);
  EXPECT_GT(produced[0], 0) << "segment changes were delivered";

  // End-to-end latency quantiles from the histogram, as the dashboard computes them.
  const std::string q = "sum by (le) (rate(engaged_end_to_end_latency_seconds_bucket[1m]))";
  const auto p50 = prometheus.Query("histogram_quantile(0.5, " + q + ")");
  const auto p99 = prometheus.Query("histogram_quantile(0.99, " + q + ")");
  ASSERT_TRUE(AllFiniteNonNegative(p50)) << Show(p50);
  ASSERT_TRUE(AllFiniteNonNegative(p99)) << Show(p99);
  EXPECT_LE(p50[0], p99[0]);
  EXPECT_LT(p99[0], kSaneLatencySeconds);

  // "No progress" input: the last commit is recent.
  const auto since_commit = prometheus.Query("time() - engaged_last_commit_timestamp_seconds");
  ASSERT_TRUE(AllFiniteNonNegative(since_commit)) << Show(since_commit);
  EXPECT_LT(since_commit[0], 10);

  // Every dashboard query is valid PromQL that returns data, and Prometheus loaded the
  // alert rules (it refuses to start on a bad rule file, too).
  const auto queries = DashboardQueries();
  EXPECT_GE(queries.size(), 15u);
  for (const std::string& expr : queries) {
    EXPECT_NE(prometheus.Raw(expr).find(R"("status":"success")"), std::string::npos) << expr;
    EXPECT_FALSE(prometheus.Query(expr).empty()) << "no data for the panel query " << expr;
  }
  std::string rules;
  EXPECT_EQ(HttpGet(prometheus.port(), "/api/v1/rules", &rules), 200);
  for (const char* alert :
       {"EngagedInstanceDown", "EngagedLagGrowing", "EngagedNoProgress", "EngagedErrorRatioHigh",
        "EngagedRestoreStuck", "EngagedChangelogForeignWrites"}) {
    EXPECT_NE(rules.find(alert), std::string::npos) << alert;
  }

  std::printf(
      "prometheus: consumed=%s rate_1m=%s/s produced=%s lag_records_now=%s "
      "lag_records_max=%s lag_seconds_now=%s lag_seconds_max=%s e2e_p50=%ss e2e_p99=%ss "
      "since_commit=%ss\n",
      Show(consumed).c_str(), Show(rate).c_str(), Show(produced).c_str(), Show(lag).c_str(),
      Show(max_lag).c_str(), Show(lag_seconds).c_str(), Show(max_lag_seconds).c_str(),
      Show(p50).c_str(), Show(p99).c_str(), Show(since_commit).c_str());
  EXPECT_EQ(engaged.Terminate(), 0) << engaged.log();
}

}  // namespace
}  // namespace integration
