#pragma once

// The timers a test finds in a store.

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

#include "state/store.h"

namespace testutil {

// The timers of partition 0 in `store` due at `due` exactly.
inline int64_t StoredTimersAt(state::Store& store, state::TimeMs due) {
  int64_t n = 0;
  const auto st = store.ForEachDueTimer(state::Partition(0), state::TimeMs(due.value() - 1), due,
                                        [&](state::TimeMs, std::string_view) {
                                          ++n;
                                          return true;
                                        });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return n;
}

}  // namespace testutil
