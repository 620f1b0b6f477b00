#include "processors/state_json.h"

#include "processors/json_writer.h"
#include "processors/timestamp.h"

namespace processors {

void WriteCustomerStateJson(std::string_view customer_id, state::Partition partition,
                            const state::CustomerState& s, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("customer_id").Value(customer_id);
  w.Key("partition").Value(static_cast<int64_t>(partition.value()));
  w.Key("features").BeginObject();
  w.Key("events_total").Value(s.events_total);
  w.Key("first_seen").Value(FormatIso8601(s.first_seen));
  w.Key("last_seen").Value(FormatIso8601(s.last_seen));
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

}  // namespace processors
