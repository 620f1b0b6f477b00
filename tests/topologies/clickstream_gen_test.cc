#include "topologies/clickstream_gen.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "processors/timestamp.h"

namespace topologies {
namespace {

// The value of "field":"..." in one generated event.
std::string Field(const std::string& json, const std::string& field) {
  const std::string needle = "\"" + field + "\":\"";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return "";
  const size_t begin = at + needle.size();
  return json.substr(begin, json.find('"', begin) - begin);
}

TEST(ClickstreamGenTest, WithoutSessionsEventTimesStepByTheInterval) {
  ClickstreamGenerator gen({.customers = 100, .seed = 7, .interval_ms = 250});
  std::string customer;
  for (int i = 0; i < 3; ++i) {
    const std::string event = gen.Next(&customer);
    EXPECT_EQ(Field(event, "customer_id"), customer);
    EXPECT_EQ(customer.rfind("cust-", 0), 0u) << customer;
    EXPECT_EQ(Field(event, "ts"),
              processors::FormatIso8601(state::TimeMs(1700000000000 + i * 250)));
  }
}

TEST(ClickstreamGenTest, TheSameSeedGivesTheSameEvents) {
  const ClickstreamOptions options{.customers = 1000, .seed = 3, .concurrent_sessions = 8};
  ClickstreamGenerator a(options);
  ClickstreamGenerator b(options);
  std::string ca;
  std::string cb;
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.Next(&ca), b.Next(&cb));
}

TEST(ClickstreamGenTest, AnExplicitEventTimeIsUsed) {
  ClickstreamGenerator gen({.customers = 10, .concurrent_sessions = 4});
  std::string customer;
  const state::TimeMs at(1795529606123);
  EXPECT_EQ(Field(gen.Next(&customer, at), "ts"), processors::FormatIso8601(at));
}

// One session at a time: the events come in runs of one customer, each run opens with
// an entry event, and runs average session_events_mean events.
TEST(ClickstreamGenTest, SessionsAreRunsOfOneCustomerThatOpenWithAnEntryEvent) {
  constexpr int kEvents = 60000;
  constexpr double kMean = 6.0;
  ClickstreamGenerator gen({.customers = 1000000,
                            .zipf_s = 0,  // uniform: the same customer twice in a row is rare
                            .seed = 11,
                            .concurrent_sessions = 1,
                            .session_events_mean = kMean,
                            .customer_prefix = "c"});
  const std::set<std::string> entry = {"page_view", "app_open", "email_open", "search"};
  std::string customer;
  std::string previous;
  int sessions = 0;
  int non_entry_openers = 0;
  for (int i = 0; i < kEvents; ++i) {
    const std::string event = gen.Next(&customer);
    EXPECT_EQ(customer.rfind("c", 0), 0u);
    if (customer != previous) {  // a new session
      ++sessions;
      if (!entry.contains(Field(event, "type"))) ++non_entry_openers;
    }
    previous = customer;
  }
  EXPECT_EQ(non_entry_openers, 0);
  const double mean = static_cast<double>(kEvents) / sessions;
  EXPECT_NEAR(mean, kMean, kMean * 0.15);
}

}  // namespace
}  // namespace topologies
