#include "processors/taxonomy.h"

namespace processors {
namespace {

// Initial table size (a power of two); grown to keep the load factor at most 1/2.
constexpr size_t kInitialSlots = 256;
// FNV-1a, 64-bit.
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

uint64_t HashName(std::string_view s) {
  uint64_t h = kFnvOffset;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordByte(char c) {
  return IsLower(c) || IsUpper(c) || IsDigit(c) || static_cast<unsigned char>(c) >= 0x80;
}

// Raw name -> target. Segment's semantic-event specs (e-commerce v2, email, mobile,
// B2B SaaS, video) and Snowplow's built-in events; docs/input-formats.md explains the
// choices. Every canonical type name also maps to itself (added in the constructor).
const std::vector<std::pair<std::string_view, std::string_view>> kDefaults = {
    // Segment call types (page/screen/identify/alias/group carry no `event` name).
    {"page", "page_view"},
    {"screen", "page_view"},  // a mobile screen is the app's page (Segment's own analogy)
    {"identify", "ignore"},   // traits, not an interaction
    {"alias", "ignore"},
    {"group", "ignore"},
    // Segment e-commerce spec v2.
    {"Products Searched", "search"},
    {"Product List Filtered", "search"},
    {"Product List Viewed", "impression"},  // products shown in a list are impressions
    {"Promotion Viewed", "impression"},
    {"Promotion Clicked", "click"},
    {"Product Clicked", "click"},
    {"Product Viewed", "product_view"},
    {"Product Added", "add_to_cart"},
    {"Wishlist Product Added to Cart", "add_to_cart"},
    {"Cart Viewed", "page_view"},
    {"Checkout Started", "checkout"},
    {"Order Completed", "purchase"},
    {"Product Added to Wishlist", "like"},
    {"Product Shared", "share"},
    {"Cart Shared", "share"},
    {"Product Reviewed", "review"},
    // Segment email spec.
    {"Email Delivered", "email_delivered"},
    {"Email Opened", "email_open"},
    {"Email Link Clicked", "email_click"},
    // Segment mobile and B2B SaaS specs; common conversions.
    {"Application Opened", "app_open"},
    {"Signed Up", "signup"},
    {"Account Created", "signup"},
    {"Invite Sent", "referral"},
    {"Referral Sent", "referral"},
    {"Subscribed", "subscribe"},
    {"Newsletter Subscribed", "subscribe"},
    {"Subscription Started", "subscribe"},
    {"Survey Submitted", "survey"},
    {"Survey Completed", "survey"},
    {"Survey Responded", "survey"},
    {"Review Submitted", "review"},
    {"Comment Posted", "comment"},
    {"Content Liked", "like"},
    {"Content Shared", "share"},
    {"Loyalty Points Earned", "loyalty"},
    {"Loyalty Reward Redeemed", "loyalty"},
    {"Loyalty Program Joined", "loyalty"},
    {"Support Ticket Created", "support"},
    {"Live Chat Started", "support"},
    // Snowplow built-in events (`event_name`, or `event` for legacy types).
    {"page_ping", "ignore"},         // heartbeats: time on site comes from sessions
    {"transaction_item", "ignore"},  // one per line item of a `transaction` (counted once)
    {"transaction", "purchase"},
    {"link_click", "click"},
    {"site_search", "search"},
    {"remove_from_cart", "custom"},
    {"ad_impression", "impression"},
    {"ad_click", "click"},
    {"social_interaction", "share"},
    {"screen_view", "page_view"},
    {"application_foreground", "app_open"},
};

}  // namespace

std::optional<std::string_view> NormalizeEventName(std::string_view raw,
                                                   char (&buf)[kMaxEventNameLength]) {
  size_t n = 0;
  bool pending_sep = false;  // a separator seen since the last word byte
  char prev = '\0';          // the previous raw byte
  for (const char c : raw) {
    if (!IsWordByte(c)) {
      pending_sep = true;
      prev = c;
      continue;
    }
    // A camelCase boundary: an upper-case letter after a lower-case letter or a digit.
    if (IsUpper(c) && (IsLower(prev) || IsDigit(prev))) pending_sep = true;
    if (pending_sep && n > 0) {
      if (n == kMaxEventNameLength) return std::nullopt;
      buf[n++] = '_';
    }
    pending_sep = false;
    if (n == kMaxEventNameLength) return std::nullopt;
    buf[n++] = IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c;
    prev = c;
  }
  if (n == 0) return std::nullopt;
  return std::string_view(buf, n);
}

const std::vector<std::pair<std::string_view, std::string_view>>& Taxonomy::Defaults() {
  return kDefaults;
}

bool Taxonomy::IsValidTarget(std::string_view target) {
  return target == kIgnoreTarget || EventTypeFromName(target).has_value();
}

Taxonomy::Taxonomy(const std::vector<Entry>& overrides) : slots_(kInitialSlots) {
  for (int i = 0; i < kEventTypeCount; ++i) {
    const std::string_view name = EventTypeName(static_cast<EventType>(i));
    Insert(name, name);
  }
  for (const auto& [name, target] : kDefaults) Insert(name, target);
  for (const auto& [name, target] : overrides) Insert(name, target);
}

void Taxonomy::Insert(std::string_view raw_name, std::string_view target) {
  char buf[kMaxEventNameLength];
  const auto key = NormalizeEventName(raw_name, buf);
  if (!key || !IsValidTarget(target)) return;
  TaxonomyResult result;
  if (target == kIgnoreTarget) {
    result.match = TaxonomyMatch::kIgnored;
  } else {
    result.match = TaxonomyMatch::kMapped;
    result.type = *EventTypeFromName(target);
  }
  if ((used_ + 1) * 2 > slots_.size()) Grow();
  const uint64_t hash = HashName(*key);
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.key.empty()) {
      s.key = std::string(*key);
      s.hash = hash;
      s.result = result;
      ++used_;
      return;
    }
    if (s.hash == hash && s.key == *key) {
      s.result = result;  // an override replaces the default
      return;
    }
  }
}

void Taxonomy::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_ = std::vector<Slot>(old.size() * 2);
  const size_t mask = slots_.size() - 1;
  for (Slot& s : old) {
    if (s.key.empty()) continue;
    size_t i = s.hash & mask;
    while (!slots_[i].key.empty()) i = (i + 1) & mask;
    slots_[i] = std::move(s);
  }
}

const Taxonomy::Slot* Taxonomy::Find(std::string_view key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.key.empty()) return nullptr;
    if (s.hash == hash && s.key == key) return &s;
  }
}

TaxonomyResult Taxonomy::Lookup(std::string_view raw_name) const {
  char buf[kMaxEventNameLength];
  const auto key = NormalizeEventName(raw_name, buf);
  if (!key) return {};
  const Slot* s = Find(*key, HashName(*key));
  return s != nullptr ? s->result : TaxonomyResult{};
}

}  // namespace processors
