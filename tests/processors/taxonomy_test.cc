#include "processors/taxonomy.h"

#include <gtest/gtest.h>

#include <string>

namespace processors {
namespace {

std::string Normalize(std::string_view raw) {
  char buf[kMaxEventNameLength];
  const auto n = NormalizeEventName(raw, buf);
  return n ? std::string(*n) : std::string("<none>");
}

TEST(TaxonomyTest, NormalizesCaseSeparatorsAndCamelCase) {
  EXPECT_EQ(Normalize("Order Completed"), "order_completed");
  EXPECT_EQ(Normalize("order_completed"), "order_completed");
  EXPECT_EQ(Normalize("OrderCompleted"), "order_completed");
  EXPECT_EQ(Normalize("orderCompleted"), "order_completed");
  EXPECT_EQ(Normalize("  Email -- Opened. "), "email_opened");
  EXPECT_EQ(Normalize("ORDER COMPLETED"), "order_completed");
  EXPECT_EQ(Normalize("step2Done"), "step2_done");
  EXPECT_EQ(Normalize("Café Visité"), "café_visité");
  EXPECT_EQ(Normalize(""), "<none>");
  EXPECT_EQ(Normalize(" - _ "), "<none>");
  EXPECT_EQ(Normalize(std::string(kMaxEventNameLength, 'a')),
            std::string(kMaxEventNameLength, 'a'));
  EXPECT_EQ(Normalize(std::string(kMaxEventNameLength + 1, 'a')), "<none>");
}

struct Case {
  const char* raw;
  EventType type;
};

TEST(TaxonomyTest, DefaultsCoverSegmentSpecs) {
  const Taxonomy t;
  const Case cases[] = {
      {"Order Completed", EventType::kPurchase},
      {"Email Opened", EventType::kEmailOpen},
      {"Product Viewed", EventType::kProductView},
      {"Products Searched", EventType::kSearch},
      {"Product Added", EventType::kAddToCart},
      {"Checkout Started", EventType::kCheckout},
      {"Email Link Clicked", EventType::kEmailClick},
      {"Email Delivered", EventType::kEmailDelivered},
      {"Product Reviewed", EventType::kReview},
      {"Signed Up", EventType::kSignup},
      {"Product Clicked", EventType::kClick},
      {"Promotion Viewed", EventType::kImpression},
      {"Product Shared", EventType::kShare},
      {"Application Opened", EventType::kAppOpen},
      {"page", EventType::kPageView},
      {"screen", EventType::kPageView},
      {"transaction", EventType::kPurchase},
      {"link_click", EventType::kClick},
      {"purchase", EventType::kPurchase},  // canonical names map to themselves
      {"app_open", EventType::kAppOpen},
  };
  for (const Case& c : cases) {
    const TaxonomyResult r = t.Lookup(c.raw);
    EXPECT_EQ(r.match, TaxonomyMatch::kMapped) << c.raw;
    EXPECT_EQ(r.type, c.type) << c.raw;
  }
}

TEST(TaxonomyTest, SnakeAndTitleCaseAreTheSameName) {
  const Taxonomy t;
  for (const char* raw :
       {"order_completed", "Order Completed", "OrderCompleted", "order-completed"}) {
    EXPECT_EQ(t.Lookup(raw).type, EventType::kPurchase) << raw;
  }
}

TEST(TaxonomyTest, IdentifyAndPagePingAreIgnored) {
  const Taxonomy t;
  for (const char* raw : {"identify", "alias", "group", "page_ping", "transaction_item"}) {
    EXPECT_EQ(t.Lookup(raw).match, TaxonomyMatch::kIgnored) << raw;
  }
}

TEST(TaxonomyTest, UnknownIsUnmappedCustom) {
  const Taxonomy t;
  const TaxonomyResult r = t.Lookup("Rocket Launched");
  EXPECT_EQ(r.match, TaxonomyMatch::kUnmapped);
  EXPECT_EQ(r.type, EventType::kCustom);
  EXPECT_EQ(t.Lookup("").match, TaxonomyMatch::kUnmapped);
  EXPECT_EQ(t.Lookup("custom").match, TaxonomyMatch::kMapped);  // explicitly custom
}

TEST(TaxonomyTest, OverridesReplaceAndAdd) {
  const Taxonomy t({{"Order Completed", "checkout"},
                    {"trial-started", "signup"},
                    {"Rocket Launched", "custom"},
                    {"identify", "signup"},
                    {"Bad", "not_a_type"}});
  EXPECT_EQ(t.Lookup("order_completed").type, EventType::kCheckout);
  EXPECT_EQ(t.Lookup("Trial Started").type, EventType::kSignup);
  EXPECT_EQ(t.Lookup("Rocket Launched").match, TaxonomyMatch::kMapped);
  EXPECT_EQ(t.Lookup("identify").type, EventType::kSignup);
  EXPECT_EQ(t.Lookup("Bad").match, TaxonomyMatch::kUnmapped);       // invalid entry skipped
  EXPECT_EQ(t.Lookup("Email Opened").type, EventType::kEmailOpen);  // defaults stay
}

TEST(TaxonomyTest, ManyOverridesGrowTheTable) {
  std::vector<Taxonomy::Entry> many;
  for (int i = 0; i < 1000; ++i) many.emplace_back("Event " + std::to_string(i), "click");
  const Taxonomy t(many);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(t.Lookup("event_" + std::to_string(i)).type, EventType::kClick) << i;
  }
  EXPECT_EQ(t.Lookup("Order Completed").type, EventType::kPurchase);
}

TEST(TaxonomyTest, ValidTargets) {
  EXPECT_TRUE(Taxonomy::IsValidTarget("page_view"));
  EXPECT_TRUE(Taxonomy::IsValidTarget("custom"));
  EXPECT_TRUE(Taxonomy::IsValidTarget("ignore"));
  EXPECT_FALSE(Taxonomy::IsValidTarget("Page View"));
  EXPECT_FALSE(Taxonomy::IsValidTarget(""));
  for (const auto& [raw, target] : Taxonomy::Defaults()) {
    EXPECT_TRUE(Taxonomy::IsValidTarget(target)) << raw;
  }
}

}  // namespace
}  // namespace processors
