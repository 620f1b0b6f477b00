// Decoding throughput over realistic Segment events (SPEC §10: >= 1 GB/s per core).
//
// The corpus is generated deterministically here: 10,000 Segment spec calls of 300 to
// 1000 bytes (track events from the e-commerce, email and mobile specs with realistic
// properties, page, screen and identify calls), each with a context object of the kind
// analytics.js and the mobile SDKs send. Run:
//   build/bench/decode_bench --benchmark_min_time=2
// Reports bytes/s and items/s for one core (one thread).

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "processors/decoder.h"

namespace {

constexpr size_t kEvents = 10000;
constexpr size_t kMinBytes = 300;
constexpr size_t kMaxBytes = 1000;

// A small deterministic generator (SplitMix64): the same corpus on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& a) {
    return a[Below(N)];
  }

 private:
  uint64_t s_;
};

constexpr std::array<const char*, 14> kTrackEvents = {
    "Product Viewed",         "Product Added",    "Order Completed",
    "Products Searched",      "Checkout Started", "Email Opened",
    "Email Link Clicked",     "Product Clicked",  "Signed Up",
    "Product Reviewed",       "Promotion Viewed", "Application Opened",
    "Video Playback Started", "Survey Submitted"};
constexpr std::array<const char*, 4> kUserAgents = {
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:122.0) Gecko/20100101 Firefox/122.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/121.0.0.0 Mobile Safari/537.36"};
constexpr std::array<const char*, 5> kPaths = {"/", "/pricing", "/products/monopoly-3rd-edition",
                                               "/cart", "/blog/how-to-choose-a-board-game"};
constexpr std::array<const char*, 4> kCurrencies = {"USD", "EUR", "GBP", "JPY"};

std::string Iso(uint64_t ms) {
  // 2024-03-05T00:00:00Z plus up to a day.
  const uint64_t s = ms / 1000;
  return fmt::format("2024-03-05T{:02}:{:02}:{:02}.{:03}Z", s / 3600 % 24, s / 60 % 60, s % 60,
                     ms % 1000);
}

std::string Context(Rng& r, bool mobile) {
  if (mobile) {
    return fmt::format(
        R"({{"app":{{"name":"Shop","version":"5.{}.1","build":"5{}10"}},"device":{{"manufacturer":"Apple",)"
        R"("model":"iPhone15,{}","type":"ios"}},"os":{{"name":"iOS","version":"17.{}"}},"network":{{"wifi":{}}},)"
        R"("library":{{"name":"analytics-ios","version":"4.1.{}"}},"locale":"en-US","timezone":"Europe/Berlin"}})",
        r.Below(9), r.Below(9), r.Below(5), r.Below(4), r.Below(2) ? "true" : "false", r.Below(9));
  }
  const char* path = r.Pick(kPaths);
  return fmt::format(
      R"({{"ip":"203.0.{}.{}","library":{{"name":"analytics.js","version":"next-1.{}.0"}},"locale":"en-US",)"
      R"("page":{{"path":"{}","referrer":"https://www.google.com/","title":"Shop","url":"https://shop.example.com{}"}},)"
      R"("userAgent":"{}"{}}})",
      r.Below(255), r.Below(255), r.Below(70), path, path, r.Pick(kUserAgents),
      r.Below(3) == 0 ? R"(,"campaign":{"name":"spring","source":"newsletter","medium":"email"})"
                      : "");
}

std::string Properties(Rng& r, const std::string& event) {
  if (event == "Order Completed") {
    return fmt::format(
        R"({{"order_id":"{:08x}","total":{}.{:02},"revenue":{}.{:02},"shipping":3,"tax":2,"currency":"{}",)"
        R"("products":[{{"product_id":"507f1f77bcf86cd799439011","sku":"45790-32","price":19,"quantity":1}}]}})",
        r.Next() & 0xffffffff, r.Below(500), r.Below(100), r.Below(400), r.Below(100),
        r.Pick(kCurrencies));
  }
  if (event == "Product Reviewed") {
    return fmt::format(
        R"({{"product_id":"p-{}","review_id":"r-{}","rating":{},"review_body":"Great game"}})",
        r.Below(1000), r.Below(100000), 1 + r.Below(5));
  }
  if (event == "Survey Submitted") {
    return fmt::format(R"({{"survey_type":"nps","score":{},"survey_id":"q1"}})", r.Below(11));
  }
  return fmt::format(
      R"({{"product_id":"p-{}","sku":"G-{}","category":"Games","name":"Monopoly","price":{}.99,"position":{},"url":"https://shop.example.com/p/{}"}})",
      r.Below(1000), r.Below(100000), r.Below(100), r.Below(20), r.Below(1000));
}

std::string Event(Rng& r, size_t i) {
  const uint64_t t = r.Below(86'400'000);
  const bool mobile = r.Below(4) == 0;
  const size_t kind = r.Below(10);  // 7 in 10 track, then page, screen, identify
  const std::string user = r.Below(3) == 0 ? "null" : fmt::format(R"("u-{}")", r.Below(100000));
  std::string head = fmt::format(
      R"({{"anonymousId":"{:016x}","messageId":"ajs-next-{}-{:08x}","originalTimestamp":"{}","sentAt":"{}",)"
      R"("receivedAt":"{}","timestamp":"{}","userId":{},"channel":"{}","integrations":{{}},"version":2,)",
      r.Next(), 1709596800000 + t, i, Iso(t), Iso(t + 200), Iso(t + 900), Iso(t + 700), user,
      mobile ? "mobile" : "client");
  const std::string context = Context(r, mobile);
  if (kind < 7) {
    const std::string event = r.Pick(kTrackEvents);
    return head + fmt::format(R"("type":"track","event":"{}","properties":{},"context":{}}})",
                              event, Properties(r, event), context);
  }
  if (kind == 7) {
    return head +
           fmt::format(
               R"("type":"page","name":"Pricing","properties":{{"path":"/pricing","title":"Pricing"}},"context":{}}})",
               context);
  }
  if (kind == 8) {
    return head +
           fmt::format(
               R"("type":"screen","name":"Home","properties":{{"variation":"blue"}},"context":{}}})",
               context);
  }
  return head +
         fmt::format(
             R"("type":"identify","traits":{{"email":"user{}@example.com","plan":"premium","logins":{}}},"context":{}}})",
             r.Below(100000), r.Below(50), context);
}

const std::vector<std::string>& Corpus() {
  static const std::vector<std::string> corpus = [] {
    std::vector<std::string> out;
    Rng r(20240305);
    while (out.size() < kEvents) {
      std::string e = Event(r, out.size());
      if (e.size() < kMinBytes || e.size() > kMaxBytes) continue;  // keep the size band
      out.push_back(std::move(e));
    }
    return out;
  }();
  return corpus;
}

void BM_DecodeSegment(benchmark::State& state) {
  const auto& corpus = Corpus();
  processors::DecoderOptions options;
  options.format =
      state.range(0) == 0 ? processors::InputFormat::kAuto : processors::InputFormat::kSegment;
  processors::Decoder decoder(options);
  size_t bytes = 0;
  for (const auto& e : corpus) bytes += e.size();
  int64_t ok = 0, ignored = 0;
  for (const auto& e : corpus) {  // sanity: the corpus decodes
    const auto status = decoder.Decode(e).status;
    if (status == processors::DecodeStatus::kInvalid) {
      state.SkipWithError(("corpus record rejected: " + decoder.error_message()).c_str());
      return;
    }
  }
  for (auto _ : state) {
    for (const auto& e : corpus) {
      const processors::Decoded d = decoder.Decode(e);
      ok += d.status == processors::DecodeStatus::kOk;
      ignored += d.status == processors::DecodeStatus::kIgnored;
      benchmark::DoNotOptimize(d.event.time);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(corpus.size()) * state.iterations());
  state.counters["mean_bytes"] = static_cast<double>(bytes) / static_cast<double>(corpus.size());
  state.counters["ignored_share"] =
      static_cast<double>(ignored) / static_cast<double>(ok + ignored);
  state.SetLabel(std::string("kernel=") + std::string(processors::JsonKernelName()) +
                 (state.range(0) == 0 ? " format=auto" : " format=segment"));
}
BENCHMARK(BM_DecodeSegment)->Arg(0)->Arg(1);

}  // namespace
