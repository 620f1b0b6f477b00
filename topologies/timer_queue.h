#pragma once

// The wake and expiry timers a partition task holds in memory until its next commit: a
// binary min-heap on (due, customer id).
//
// Most timers scheduled between two commits share one due time (the next UTC
// midnight), so a balanced tree ordered on (due, id) compares customer ids at every
// level of every insertion; a heap compares about twice per insertion on average and
// pays its O(log n) when timers are taken in order, at a midnight's pass. Header-only.

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "state/types.h"

namespace topologies {

class TimerQueue {
 public:
  using Timer = std::pair<state::TimeMs, std::string>;

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }

  // Holds a timer. The same timer may be held twice; it then comes out of Pop twice in
  // a row.
  void Push(state::TimeMs due, std::string_view customer_id) {
    heap_.emplace_back(due, customer_id);
    std::push_heap(heap_.begin(), heap_.end(), Later);
  }

  // The earliest timer, by (due, id). Not empty.
  const Timer& Top() const { return heap_.front(); }

  // Removes and returns the earliest timer. Not empty.
  Timer Pop() {
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    Timer t = std::move(heap_.back());
    heap_.pop_back();
    return t;
  }

  // Removes every timer due after `limit` and returns them, in no particular order.
  std::vector<Timer> TakeAfter(state::TimeMs limit) {
    const auto later = std::partition(heap_.begin(), heap_.end(),
                                      [limit](const Timer& t) { return t.first <= limit; });
    std::vector<Timer> taken(std::make_move_iterator(later), std::make_move_iterator(heap_.end()));
    heap_.erase(later, heap_.end());
    std::make_heap(heap_.begin(), heap_.end(), Later);
    return taken;
  }

  // Every timer held, by (due, id), the order of their keys in the store: sorts the
  // heap in place (an array sorted this way is also a valid heap), so that a commit
  // writes them to the memtable in key order (see CustomerCache::ForEachDirty).
  std::span<const Timer> Sorted() {
    std::sort(heap_.begin(), heap_.end(),
              [](const Timer& a, const Timer& b) { return Later(b, a); });
    return heap_;
  }

  // Forgets every timer (keeps the capacity: the next commit's timers reuse it).
  void Clear() { heap_.clear(); }

 private:
  // The heap's order: its front is the timer no other is earlier than.
  static bool Later(const Timer& a, const Timer& b) {
    if (a.first != b.first) return a.first > b.first;
    return a.second > b.second;
  }

  std::vector<Timer> heap_;
};

}  // namespace topologies
