// The shipped operational assets name only metrics that engaged exports: every
// engaged_* name in the Grafana dashboard and the alert rules, and every row of
// docs/metrics.md, is checked against the series that the real probes register on a
// MetricsRegistry (and the other way round for the docs). Alert runbook links must
// land on a heading of docs/runbook.md.

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "ops/metrics.h"
#include "state/store.h"
#include "tests/testutil/files.h"
#include "tests/testutil/temp_dir.h"
#include "topologies/kafka/kafka_probe.h"
#include "topologies/state_probe.h"
#include "topologies/topology_probe.h"

namespace {

const std::string kRoot = ENGAGED_SOURCE_DIR;
constexpr std::string_view kPrefix = "engaged_";

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

// The histogram series suffixes that PromQL names but the registry does not.
std::string BaseName(std::string name) {
  for (const std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.ends_with(suffix)) return name.substr(0, name.size() - suffix.size());
  }
  return name;
}

// Every `engaged_[a-z_]+` word in `text` (not preceded by a name character), with
// histogram suffixes stripped.
std::set<std::string> ReferencedMetrics(const std::string& text) {
  std::set<std::string> names;
  for (size_t at = text.find(kPrefix); at != std::string::npos; at = text.find(kPrefix, at + 1)) {
    if (at > 0 && (IsNameChar(text[at - 1]) || std::isdigit(text[at - 1]) != 0)) continue;
    size_t end = at + kPrefix.size();
    while (end < text.size() && IsNameChar(text[end])) ++end;
    names.insert(BaseName(text.substr(at, end - at)));
  }
  return names;
}

// name -> type of every family that the probes of `engaged run` register, after
// touching each lazily created series once.
std::map<std::string, std::string> ExportedMetrics() {
  ops::MetricsRegistry registry;
  topologies::TopologyProbe topology(&registry);
  topology.ConsumedCounter("in", state::Partition(0)).Inc();
  topology.OnSegmentChange("", "active");
  topology.SetMembers({{"segment:active", 1}, {"churn:high", 1}});
  topologies::kafka::KafkaProbe kafka(&registry);
  kafka.ProducedCounter("out").Inc();
  kafka.SetLag({"in", state::Partition(0)}, 1, 0.5);
  kafka.SetChangelogCompacted(true);
  kafka.OnChangelogCheckFailed();
  testutil::TempDir dir;
  auto store = state::Store::Open({.dir = dir.path().string()});
  EXPECT_TRUE(store.ok());
  const topologies::CacheCounters cache;
  topologies::StateProbe(&registry, store->get(), &cache).Collect();
  std::map<std::string, std::string> types;
  std::istringstream lines(registry.Serialize());
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("# TYPE ")) continue;
    std::istringstream fields(line.substr(7));
    std::string name;
    std::string type;
    fields >> name >> type;
    types[name] = type;
  }
  return types;
}

// name -> type of each row of the table in docs/metrics.md: | `name` | type | ...
std::map<std::string, std::string> DocumentedMetrics() {
  std::map<std::string, std::string> types;
  for (const std::string& line : testutil::ReadLines(kRoot + "/docs/metrics.md")) {
    if (!line.starts_with("| `engaged_")) continue;
    const size_t name_end = line.find('`', 3);
    const size_t type_begin = line.find('|', name_end) + 1;
    const size_t type_end = line.find('|', type_begin);
    std::string type = line.substr(type_begin, type_end - type_begin);
    type.erase(0, type.find_first_not_of(' '));
    type.erase(type.find_last_not_of(' ') + 1);
    types[line.substr(3, name_end - 3)] = type;
  }
  return types;
}

std::set<std::string> Keys(const std::map<std::string, std::string>& m) {
  std::set<std::string> keys;
  for (const auto& [k, v] : m) keys.insert(k);
  return keys;
}

std::set<std::string> Missing(const std::set<std::string>& wanted,
                              const std::set<std::string>& have) {
  std::set<std::string> out;
  for (const auto& n : wanted) {
    if (!have.contains(n)) out.insert(n);
  }
  return out;
}

std::string Join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += n + " ";
  return out;
}

TEST(AssetsTest, ScannerFindsNamesAndStripsHistogramSuffixes) {
  EXPECT_EQ(ReferencedMetrics("rate(engaged_a_total[1m]) / x_engaged_b + "
                              "engaged_c_seconds_bucket{le=\"1\"} engaged_c_seconds_count"),
            (std::set<std::string>{"engaged_a_total", "engaged_c_seconds"}));
}

TEST(AssetsTest, ProbesExportTheMetricsOfIssue9) {
  const auto exported = Keys(ExportedMetrics());
  for (const char* name :
       {"engaged_consumer_lag_records", "engaged_consumer_lag_seconds",
        "engaged_records_produced_total", "engaged_end_to_end_latency_seconds",
        "engaged_last_commit_timestamp_seconds", "engaged_ready", "engaged_build_info"}) {
    EXPECT_TRUE(exported.contains(name)) << name;
  }
}

TEST(AssetsTest, DashboardNamesOnlyExportedMetrics) {
  const std::string dashboard = testutil::ReadFile(kRoot + "/ops/grafana/engaged.json");
  const auto referenced = ReferencedMetrics(dashboard);
  EXPECT_GE(referenced.size(), 10u) << Join(referenced);
  EXPECT_EQ(Join(Missing(referenced, Keys(ExportedMetrics()))), "")
      << "the dashboard names metrics that engaged does not export";
  EXPECT_NE(dashboard.find(R"("uid": "engaged-overview")"), std::string::npos);
  EXPECT_NE(dashboard.find(R"("name": "datasource")"), std::string::npos);
  EXPECT_NE(dashboard.find(R"("name": "instance")"), std::string::npos);
}

TEST(AssetsTest, AlertsNameOnlyExportedMetrics) {
  const std::string alerts = testutil::ReadFile(kRoot + "/ops/prometheus/alerts.yml");
  const auto referenced = ReferencedMetrics(alerts);
  EXPECT_GE(referenced.size(), 5u) << Join(referenced);
  EXPECT_EQ(Join(Missing(referenced, Keys(ExportedMetrics()))), "")
      << "the alert rules name metrics that engaged does not export";
}

TEST(AssetsTest, MetricsDocListsExactlyTheExportedMetricsWithTheirTypes) {
  const auto exported = ExportedMetrics();
  const auto documented = DocumentedMetrics();
  EXPECT_EQ(Join(Missing(Keys(exported), Keys(documented))), "")
      << "exported but missing from docs/metrics.md";
  EXPECT_EQ(Join(Missing(Keys(documented), Keys(exported))), "")
      << "documented in docs/metrics.md but not exported";
  for (const auto& [name, type] : documented) {
    if (exported.contains(name)) {
      EXPECT_EQ(type, exported.at(name)) << name;
    }
  }
}

TEST(AssetsTest, EveryRunbookLinkLandsOnARunbookHeading) {
  std::set<std::string> anchors;  // GitHub's: lower case, spaces to '-', punctuation dropped
  for (const std::string& line : testutil::ReadLines(kRoot + "/docs/runbook.md")) {
    if (!line.starts_with("#")) continue;
    std::string anchor;
    for (const char c : line.substr(line.find(' ') + 1)) {
      if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_') {
        anchor.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      } else if (c == ' ') {
        anchor.push_back('-');
      }
    }
    anchors.insert(anchor);
  }
  const std::string alerts = testutil::ReadFile(kRoot + "/ops/prometheus/alerts.yml");
  const std::string link = "docs/runbook.md#";
  int links = 0;
  for (size_t at = alerts.find(link); at != std::string::npos; at = alerts.find(link, at + 1)) {
    const size_t begin = at + link.size();
    const std::string anchor = alerts.substr(begin, alerts.find('"', begin) - begin);
    EXPECT_TRUE(anchors.contains(anchor)) << anchor;
    ++links;
  }
  int rules = 0;
  for (size_t at = alerts.find("- alert:"); at != std::string::npos;
       at = alerts.find("- alert:", at + 1)) {
    ++rules;
  }
  EXPECT_EQ(rules, 7);
  EXPECT_EQ(links, rules) << "one runbook link per alert";
}

}  // namespace
