#pragma once

// Processing time. The topology reads the wall clock only through a Clock, so tests
// can fix it.

#include <chrono>
#include <functional>

#include "state/types.h"

namespace topologies {

using Clock = std::function<state::TimeMs()>;

inline state::TimeMs SystemNow() {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  return state::TimeMs(
      duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// Seconds elapsed on the steady clock since `start`: for durations (metrics, logs).
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace topologies
