#include "processors/state_json.h"

#include <cmath>

#include "processors/json_writer.h"
#include "processors/timestamp.h"

namespace processors {

void WriteCustomerStateJson(const FeatureCatalog& catalog, state::TimeMs now,
                            std::string_view customer_id, state::Partition partition,
                            const state::CustomerState& s, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("customer_id").Value(customer_id);
  w.Key("partition").Value(static_cast<int64_t>(partition.value()));
  w.Key("as_of").Value(FormatIso8601(std::max(now, s.last_seen)));
  w.Key("features").BeginObject();
  w.Key("first_seen").Value(FormatIso8601(s.first_seen));
  w.Key("last_seen").Value(FormatIso8601(s.last_seen));
  for (size_t i = 0; i < catalog.size(); ++i) {
    const auto id = static_cast<FeatureId>(i);
    const double v = catalog.Value(id, s, now);
    w.Key(catalog.Name(id));
    if (std::isfinite(v)) {
      w.Value(v);
    } else {
      w.Null();
    }
  }
  w.EndObject();
  w.Key("segment").StringOrNull(s.segment);
  w.Key("segment_entered_at");
  if (s.segment.empty()) {
    w.Null();
  } else {
    w.Value(FormatIso8601(s.segment_entered_at));
  }
  w.EndObject();
}

void WriteCustomerStateJson(std::string_view customer_id, state::Partition partition,
                            const state::CustomerState& s, std::string* out) {
  static const FeatureCatalog kDefault{FeatureOptions{}};
  WriteCustomerStateJson(kDefault, s.last_seen, customer_id, partition, s, out);
}

}  // namespace processors
