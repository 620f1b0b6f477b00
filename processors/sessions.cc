#include "processors/sessions.h"

namespace processors {
namespace {

SessionUpdate Start(state::Sessions& s, state::TimeMs t) {
  s.start = t;
  s.last = t;
  ++s.count;
  s.current_converted = false;
  return SessionUpdate::kStarted;
}

SessionUpdate Place(state::Sessions& s, state::TimeMs t, int64_t gap_ms) {
  if (s.count == 0) return Start(s, t);
  if (t >= s.last) {
    const int64_t gap = t.value() - s.last.value();
    if (gap > gap_ms) return Start(s, t);
    s.active_ms += gap;
    s.last = t;
    return SessionUpdate::kSame;
  }
  if (t >= s.start) return SessionUpdate::kSame;
  if (s.start.value() - t.value() <= gap_ms) {
    s.active_ms += s.start.value() - t.value();
    s.start = t;
    return SessionUpdate::kSame;
  }
  return SessionUpdate::kEarlier;
}

}  // namespace

SessionUpdate UpdateSessions(state::Sessions& s, state::TimeMs t, bool converts, int64_t gap_ms) {
  const SessionUpdate u = Place(s, t, gap_ms);
  if (u != SessionUpdate::kEarlier && converts && !s.current_converted) {
    s.current_converted = true;
    ++s.converting;
  }
  return u;
}

}  // namespace processors
