#include "topologies/timer_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace topologies {
namespace {

using Timer = TimerQueue::Timer;

state::TimeMs Day(int64_t d) { return state::TimeMs(d * state::kMsPerDay); }

std::vector<Timer> PopAll(TimerQueue& q) {
  std::vector<Timer> out;
  while (!q.empty()) out.push_back(q.Pop());
  return out;
}

TEST(TimerQueueTest, PopsByDueThenCustomerId) {
  TimerQueue q;
  q.Push(Day(3), "a");
  q.Push(Day(1), "c");
  q.Push(Day(1), "a");
  q.Push(Day(2), "b");
  q.Push(Day(1), "b");
  EXPECT_EQ(q.Top(), Timer(Day(1), "a"));
  EXPECT_EQ(PopAll(q),
            (std::vector<Timer>{
                {Day(1), "a"}, {Day(1), "b"}, {Day(1), "c"}, {Day(2), "b"}, {Day(3), "a"}}));
}

// The store's timer keys compare bytewise (RocksDB's default comparator), so an id with
// a byte of 0x80 or more (UTF-8 past ASCII) sorts after every ASCII one; the pass that
// merges held and stored timers needs the queue to agree.
TEST(TimerQueueTest, CustomerIdsCompareAsUnsignedBytesLikeTheStoresKeys) {
  TimerQueue q;
  const std::string elodie = "\xC3\xA9lodie";  // "élodie" in UTF-8
  q.Push(Day(1), elodie);
  q.Push(Day(1), "zoe");
  q.Push(Day(1), "\x7F");
  q.Push(Day(1), "\xFF");
  EXPECT_EQ(PopAll(q), (std::vector<Timer>{
                           {Day(1), "zoe"}, {Day(1), "\x7F"}, {Day(1), elodie}, {Day(1), "\xFF"}}));
}

TEST(TimerQueueTest, MatchesASortedReferenceWhilePushesAndPopsInterleave) {
  // As in a midnight's pass: firing a timer holds one a day later.
  std::mt19937_64 rng(7);
  TimerQueue q;
  std::vector<Timer> reference;
  for (int i = 0; i < 5000; ++i) {
    const Timer t(Day(static_cast<int64_t>(rng() % 4)), "customer-" + std::to_string(rng() % 900));
    q.Push(t.first, t.second);
    reference.push_back(t);
  }
  std::sort(reference.begin(), reference.end());
  std::vector<Timer> popped;
  while (!q.empty()) {
    Timer t = q.Pop();
    if (t.first < Day(4) && popped.size() % 3 == 0) {
      q.Push(state::TimeMs(t.first.value() + state::kMsPerDay), t.second);
      reference.emplace_back(state::TimeMs(t.first.value() + state::kMsPerDay), t.second);
      std::sort(reference.begin() + static_cast<std::ptrdiff_t>(popped.size()) + 1,
                reference.end());
    }
    popped.push_back(std::move(t));
  }
  EXPECT_EQ(popped, reference);
}

TEST(TimerQueueTest, TheSameTimerHeldTwiceComesOutTwiceInARow) {
  TimerQueue q;
  q.Push(Day(2), "x");
  q.Push(Day(1), "y");
  q.Push(Day(2), "x");
  q.Push(Day(3), "z");
  EXPECT_EQ(PopAll(q),
            (std::vector<Timer>{{Day(1), "y"}, {Day(2), "x"}, {Day(2), "x"}, {Day(3), "z"}}));
}

TEST(TimerQueueTest, TakeAfterRemovesExactlyTheLaterTimersAndKeepsTheOrder) {
  TimerQueue q;
  for (int i = 0; i < 200; ++i) q.Push(Day(i % 5), "c" + std::to_string(199 - i));
  std::vector<Timer> later = q.TakeAfter(Day(2));
  EXPECT_EQ(later.size(), 80U);
  EXPECT_TRUE(
      std::all_of(later.begin(), later.end(), [](const Timer& t) { return t.first > Day(2); }));
  EXPECT_EQ(q.size(), 120U);
  const std::vector<Timer> rest = PopAll(q);
  EXPECT_TRUE(std::is_sorted(rest.begin(), rest.end()));
  EXPECT_TRUE(
      std::all_of(rest.begin(), rest.end(), [](const Timer& t) { return t.first <= Day(2); }));
}

TEST(TimerQueueTest, TakeAfterWithNothingLaterTakesNothing) {
  TimerQueue q;
  q.Push(Day(1), "a");
  EXPECT_TRUE(q.TakeAfter(Day(1)).empty());
  EXPECT_EQ(q.size(), 1U);
}

TEST(TimerQueueTest, SortedSeesEveryTimerInKeyOrderAndClearForgetsThem) {
  TimerQueue q;
  q.Push(Day(2), "b");
  q.Push(Day(1), "\xff");
  q.Push(Day(1), "a");
  const auto sorted = q.Sorted();
  EXPECT_EQ(std::vector<Timer>(sorted.begin(), sorted.end()),
            (std::vector<Timer>{{Day(1), "a"}, {Day(1), "\xff"}, {Day(2), "b"}}));
  q.Clear();
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(q.Sorted().empty());
}

TEST(TimerQueueTest, SortingInPlaceLeavesAHeapThatPopsInOrder) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> day(0, 5);
  std::uniform_int_distribution<int> id(0, 50);
  TimerQueue q;
  std::vector<Timer> reference;
  const auto push = [&] {
    Timer t(Day(day(rng)), "c" + std::to_string(id(rng)));
    q.Push(t.first, t.second);
    reference.push_back(t);
  };
  for (int i = 0; i < 200; ++i) push();
  const auto sorted = q.Sorted();
  std::sort(reference.begin(), reference.end());
  EXPECT_EQ(std::vector<Timer>(sorted.begin(), sorted.end()), reference);
  // The queue goes on as a heap: later pushes and the pops still come out in order.
  for (int i = 0; i < 100; ++i) push();
  std::sort(reference.begin(), reference.end());
  EXPECT_EQ(PopAll(q), reference);
}

}  // namespace
}  // namespace topologies
