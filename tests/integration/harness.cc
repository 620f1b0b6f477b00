#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "state/store.h"
#include "tests/testutil/files.h"
#include "tests/testutil/metrics_text.h"

namespace integration {

Topics CreateTopics(testutil::KafkaClient& kafka, const std::string& prefix, int partitions) {
  Topics t{testutil::KafkaClient::UniqueTopic(prefix + "-in"),
           testutil::KafkaClient::UniqueTopic(prefix + "-segments"),
           testutil::KafkaClient::UniqueTopic(prefix + "-dlq"),
           testutil::KafkaClient::UniqueTopic(prefix + "-churn")};
  kafka.CreateTopic(t.input, partitions);
  kafka.CreateTopic(t.segment_changes, partitions);
  kafka.CreateTopic(t.dead_letters, 1);
  kafka.CreateTopic(t.churn_risk, partitions);
  return t;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

int HttpGet(int port, const std::string& path, std::string* body) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return 0;
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (write(fd, req.data(), req.size()) < 0) {
    close(fd);
    return 0;
  }
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t sp = resp.find(' ');
  const size_t hdr_end = resp.find("\r\n\r\n");
  if (sp == std::string::npos || hdr_end == std::string::npos) return 0;
  if (body != nullptr) *body = resp.substr(hdr_end + 4);
  return std::stoi(resp.substr(sp + 1, 3));
}

bool WaitForCounts(int port, const std::map<std::string, int64_t>& expected, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto it = expected.begin();
  while (it != expected.end()) {
    std::string body;
    if (HttpGet(port, "/customers/" + it->first, &body) == 200 &&
        JsonInt(body, "events_total") == it->second) {
      ++it;
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

std::string SlidingCustomer(int64_t i, int64_t events, int customers, int window,
                            std::mt19937& rng) {
  const int64_t base = i * customers / events;
  return "u" + std::to_string((base + rng() % window) % customers);
}

std::string ClickEvent(const std::string& customer, int64_t ts_ms, int64_t seq) {
  std::string json = R"({"customer_id":")";
  json.append(customer).append(R"(","type":"click","ts":)").append(std::to_string(ts_ms));
  json.append(R"(,"event_id":")").append(customer).append("-").append(std::to_string(seq));
  return json.append(R"("})");
}

std::string MakeConfig(const std::string& bootstrap, const Topics& topics,
                       const std::string& state_dir, int http_port, const std::string& extra_yaml) {
  std::ostringstream c;
  c << "application_id: " << topics.input << "-app\n"
    << "kafka:\n  bootstrap.servers: \"" << bootstrap
    << "\"\n"
    // A killed member holds its partitions until its session times out; the broker's
    // minimum keeps restarts in the tests quick.
    << "  session.timeout.ms: 6000\n  heartbeat.interval.ms: 1000\n"
    << "input:\n  topics: [" << topics.input << "]\n"
    << "output:\n  segment_changes_topic: " << topics.segment_changes << "\n"
    << "  dead_letters_topic: " << topics.dead_letters << "\n"
    << "  churn_risk_topic: " << topics.churn_risk << "\n"
    << "state:\n  dir: " << state_dir << "\n"
    << "processing:\n  commit_interval_ms: 200\n  shutdown_grace_ms: 20000\n"
    << "http:\n  host: 127.0.0.1\n  port: " << http_port << "\n"
    << "segments:\n  - name: active\n    min_events: 3\n  - name: engaged\n    min_events: 6\n"
    << extra_yaml;
  return c.str();
}

std::string AddToSection(std::string config, const std::string& section, const std::string& lines) {
  const std::string header = "\n" + section + ":\n";
  const size_t at = config.find(header);
  if (at == std::string::npos) std::abort();  // a test names a section MakeConfig lacks
  config.insert(at + header.size(), lines);
  return config;
}

std::string WithApplicationId(std::string config, const std::string& id) {
  const std::string key = "application_id: ";
  const size_t at = config.find(key);
  if (at == std::string::npos) std::abort();
  const size_t end = config.find('\n', at);
  config.replace(at + key.size(), end - at - key.size(), id);
  return config;
}

std::string MakeExactlyOnceConfig(const std::string& bootstrap, const Topics& topics,
                                  const std::string& state_dir, int http_port,
                                  const std::string& instance, const std::string& extra_yaml) {
  std::string c = MakeConfig(bootstrap, topics, state_dir, http_port, extra_yaml);
  c = AddToSection(c, "kafka", "  group.instance.id: " + instance + "\n");
  return AddToSection(c, "processing",
                      "  guarantee: exactly_once\n  instance_id: " + instance + "\n");
}

double MetricValue(int port, const std::string& name) {
  std::string body;
  if (HttpGet(port, "/metrics", &body) != 200) return -1;
  return testutil::MetricSample(body, name).value_or(-1);
}

bool WaitUntil(const std::function<bool()>& done, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

Engaged::Engaged(const testutil::TempDir& dir, const std::string& config_yaml,
                 const std::string& name)
    : log_path_(dir.File(name + ".log")) {
  const std::string config = dir.File(name + ".yaml");
  testutil::WriteFile(config, config_yaml);
  process_ = std::make_unique<testutil::Process>(
      std::vector<std::string>{ENGAGED_BINARY, "run", "--config", config}, log_path_);
}

int Engaged::Terminate(int timeout_ms) {
  process_->Signal(SIGTERM);
  return process_->Wait(timeout_ms);
}

std::string Engaged::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool WaitUntilReady(Engaged& engaged, int port, int timeout_ms) {
  bool ready = false;
  WaitUntil(
      [&] {
        ready = HttpGet(port, "/readyz", nullptr) == 200;
        return ready || !engaged.process().running();
      },
      timeout_ms);
  return ready;
}

Restores RestoresInLog(const std::string& log) {
  Restores r;
  for (size_t at = 0; (at = log.find("\"partition restored\"", at)) != std::string::npos; ++at) {
    const size_t begin = log.rfind('\n', at) + 1;  // npos + 1 == 0 on the first line
    const std::string line = log.substr(begin, log.find('\n', at) - begin);
    ++r.partitions;
    r.records += JsonInt(line, "records");
  }
  return r;
}

std::map<std::string, int64_t> StoredCounts(const std::string& state_dir) {
  std::map<std::string, int64_t> counts;
  auto store = state::Store::Open({.dir = state_dir, .read_only = true});
  EXPECT_TRUE(store.ok()) << state_dir << ": " << store.status().ToString();
  if (!store.ok()) return counts;
  const ops::Status s = (*store)->ForEachCustomer(
      [&](state::Partition, std::string_view id, const state::CustomerState& c) {
        counts[std::string(id)] += c.events_total;
        return true;
      });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return counts;
}

int64_t InspectEventsTotal(const std::string& state_dir, const std::string& customer) {
  std::string out;
  const int rc = testutil::RunToCompletion(
      {ENGAGED_BINARY, "inspect", "--state-dir", state_dir, "--customer", customer}, &out);
  if (rc != 0) return -1;
  return JsonInt(out, "events_total");
}

std::string JsonString(const std::string& json, const std::string& field) {
  const std::string needle = "\"" + field + "\":\"";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return "";
  const size_t begin = at + needle.size();
  return json.substr(begin, json.find('"', begin) - begin);
}

int64_t JsonInt(const std::string& json, const std::string& field) {
  const std::string needle = "\"" + field + "\":";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return -1;
  const char* begin = json.c_str() + at + needle.size();
  char* end = nullptr;
  const long long v = std::strtoll(begin, &end, 10);
  return end == begin ? -1 : v;
}

}  // namespace integration
