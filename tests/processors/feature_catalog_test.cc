// The feature catalogue: stable, unique names; every name documented; JSON output.

#include "processors/feature_catalog.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "processors/features.h"
#include "processors/state_json.h"
#include "processors/timestamp.h"

namespace processors {
namespace {

using state::TimeMs;

std::string ReadDocs() {
  std::ifstream in(std::string(ENGAGED_SOURCE_DIR) + "/docs/features.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(FeatureCatalogTest, NamesAreUniqueAndFoundById) {
  const FeatureCatalog c{FeatureOptions{}};
  std::set<std::string> names;
  for (size_t i = 0; i < c.size(); ++i) {
    const std::string name(c.Name(static_cast<FeatureId>(i)));
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(c.Find(name), static_cast<FeatureId>(i));
  }
  EXPECT_FALSE(c.Find("no_such_feature").has_value());
  EXPECT_GT(c.size(), 150u);
}

TEST(FeatureCatalogTest, HasTheNamesRulesUse) {
  const FeatureCatalog c{FeatureOptions{}};
  for (const char* name : {"events_total",
                           "purchases_7d",
                           "page_views_28d",
                           "sessions_7d",
                           "score",
                           "score_emotional",
                           "score_contextual",
                           "score_convenience",
                           "score_social",
                           "ctr",
                           "ctr_28d",
                           "ctr_30d_decayed",
                           "conversion_rate",
                           "email_open_rate",
                           "days_since_last_purchase",
                           "days_since_last_event",
                           "nps_latest",
                           "nps_category",
                           "csat_latest",
                           "ces_latest",
                           "aov",
                           "rating_mean",
                           "revenue_30d_decayed",
                           "sessions_30d_decayed",
                           "social_interactions_total",
                           "interactions_total",
                           "time_on_site_s",
                           "rfm_r",
                           "rfm_f",
                           "rfm_m",
                           "rfm_score",
                           "rfm_r_score",
                           "bgnbd_purchase_x",
                           "bgnbd_purchase_t_x",
                           "bgnbd_purchase_T",
                           "bgnbd_session_x",
                           "bgnbd_session_t_x",
                           "bgnbd_session_T"}) {
    EXPECT_TRUE(c.Find(name).has_value()) << name;
  }
}

TEST(FeatureCatalogTest, EveryFeatureIsDocumented) {
  const std::string docs = ReadDocs();
  ASSERT_FALSE(docs.empty()) << "docs/features.md is missing";
  const FeatureCatalog c{FeatureOptions{}};
  for (size_t i = 0; i < c.size(); ++i) {
    const std::string name(c.Name(static_cast<FeatureId>(i)));
    EXPECT_NE(docs.find("`" + name + "`"), std::string::npos)
        << name << " is not in docs/features.md";
  }
}

TEST(FeatureCatalogTest, DecayedNamesFollowTheConfiguredHalfLives) {
  FeatureOptions o;
  o.half_lives_days = {3, 90};
  o.score.half_life_days = 90;
  const FeatureCatalog c(o);
  EXPECT_TRUE(c.Find("clicks_3d_decayed").has_value());
  EXPECT_TRUE(c.Find("revenue_90d_decayed").has_value());
  EXPECT_FALSE(c.Find("clicks_7d_decayed").has_value());
}

TEST(StateJsonTest, PrintsEveryFeatureWithNullForUndefined) {
  FeatureOptions o;
  FeatureUpdater u(o);
  state::CustomerState s;
  for (int i = 0; i < 10; ++i) {
    Event e;
    e.type = EventType::kPageView;
    e.time = TimeMs(1709632800000 + i * 1000);
    u.Apply(e, s);
  }
  std::string out;
  WriteCustomerStateJson("c9", state::Partition(3), s, &out);
  EXPECT_NE(out.find(R"("customer_id":"c9","partition":3)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("events_total":10,)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("page_views_total":10,)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("nps_latest":null,)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("first_seen":"2024-03-05T10:00:00.000Z")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("segment":null)"), std::string::npos) << out;
  const FeatureCatalog c(o);
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_NE(out.find("\"" + std::string(c.Name(static_cast<FeatureId>(i))) + "\":"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace processors
