#include "processors/features.h"

#include <algorithm>

namespace processors {

void ApplyEvent(const Event& e, state::CustomerState& s) {
  if (s.events_total == 0) {
    s.first_seen = e.time;
    s.last_seen = e.time;
  } else {
    s.first_seen = std::min(s.first_seen, e.time);
    s.last_seen = std::max(s.last_seen, e.time);
  }
  ++s.events_total;
}

}  // namespace processors
