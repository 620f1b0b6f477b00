#pragma once

// The write-back cache of one partition's hot customers, bounded in bytes. Entries
// are changed in place and marked dirty; a commit writes the dirty ones to RocksDB:
// BeginWrite marks them as being written, EndWrite, once the write has landed, marks
// them clean. Only clean entries are evicted, about least recently used first, by
// CLOCK (second chance): entries queue in insertion order, a hit only sets the entry's
// referenced bit, and an entry that reaches the back with its bit set goes to the
// front with the bit cleared instead of going out. (Moving each hit to the front, as
// an exact LRU list does, writes to both neighbours: two more cache misses per event
// once the cache outgrows the CPU's caches.) Eviction happens by Insert as
// soon as the bound is passed (so that a burst of misses between two commits does not
// grow the cache past its budget), and by EvictToBudget after a commit. An entry being
// written stays until its write lands, or a lookup would read the store's older state.
// The dirty bytes alone can exceed the bound, so the owner commits early when
// NeedsCommit() says so.
//
// Owned by a PartitionTask; used from the processing thread only; not thread-safe.
// Pointers returned stay valid until the next Insert, EvictToBudget() or Clear();
// Insert never evicts the entry it returns nor one that is dirty or being written.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <vector>

#include "state/customer_state.h"

namespace state {

class CustomerCache {
 public:
  // `max_bytes`: the bound on the estimated bytes of all entries. Unit: bytes.
  explicit CustomerCache(size_t max_bytes) : max_bytes_(max_bytes) {}
  // Not copied nor moved: last_ points into this object's list.
  CustomerCache(const CustomerCache&) = delete;
  CustomerCache& operator=(const CustomerCache&) = delete;

  // The cached state of `id`, now marked as used, or nullptr (a miss).
  CustomerState* Find(std::string_view id);
  // Caches `s` as the state of `id` (which must not be cached) and returns it. Evicts
  // clean entries from the back while over the bound (giving used ones their second
  // chance), stopping at the first unused one that is not clean: O(1) amortized.
  CustomerState* Insert(std::string_view id, CustomerState s);
  // Marks `id`'s entry dirty (also one being written: it changed again) and
  // re-estimates its size. REQUIRES: `id` is cached. Does not hash when `id` is the
  // entry the last Find or Insert returned (the usual case: an event finds its
  // customer, updates it, marks it dirty).
  void MarkDirty(std::string_view id);
  // Drops `id`'s entry, dirty or not; nothing when it is not cached.
  void Erase(std::string_view id);

  // Calls `fn(id, state)` for every dirty entry, in id order (bytewise, the order of
  // their keys in the store): a skip-list memtable starts each insert from where the
  // one before it ended, so a commit's write in key order costs a fifth to a third less
  // than in the order the entries changed (docs/benchmarks.md, "Commits in key order").
  void ForEachDirty(const std::function<void(std::string_view, const CustomerState&)>& fn);
  // A commit is writing the dirty entries: they are no longer dirty, and are not evicted
  // until EndWrite. REQUIRES: no write begun and not ended.
  void BeginWrite();
  // The write has landed: the entries it wrote that did not change since are clean.
  void EndWrite();
  // True when `id` is cached and clean (neither dirty nor being written).
  bool IsClean(std::string_view id) const { return FindClean(id) != nullptr; }
  // The state of `id` when it is cached and clean, or nullptr. Neither counted as a
  // lookup (hits, misses) nor marked as used: for bookkeeping, not for events.
  const CustomerState* FindClean(std::string_view id) const;
  // Evicts clean entries from the back until within the bound, giving used ones their
  // second chance: looks at each entry at most twice.
  void EvictToBudget();
  void Clear();

  // True when the dirty entries alone use half the bound: commit now to stay bounded.
  bool NeedsCommit() const { return dirty_bytes_ * 2 > max_bytes_; }
  void set_max_bytes(size_t max_bytes) { max_bytes_ = max_bytes; }

  size_t bytes() const { return bytes_; }
  size_t dirty_bytes() const { return dirty_bytes_; }
  size_t size() const { return index_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

  // The estimated memory of one entry: the node, the id and the state's heap parts.
  static size_t EstimateBytes(std::string_view id, const CustomerState& s);

 private:
  enum class Stage : uint8_t { kClean, kDirty, kWriting };
  struct Node {
    std::string id;
    // Beside the id, which a lookup reads anyway: a hit touches no other cache line.
    Stage stage = Stage::kClean;
    bool referenced = false;  // found since it last passed the back of the list
    size_t bytes = 0;
    CustomerState state;
  };
  using List = std::list<Node>;
  // Evicts `it` (clean) and returns the entry before it in the list.
  List::iterator EvictClean(List::iterator it);
  // id -> node, by open addressing with linear probing, at most half full: a lookup
  // reads one slot and the node's id, where std::unordered_map reads a bucket, a
  // hash-map node and then the id (each a likely cache miss with many customers).
  class Index {
   public:
    // The node of `id`, or nullptr.
    const List::iterator* Find(std::string_view id) const;
    // REQUIRES: node->id is not in the index.
    void Insert(List::iterator node);
    // Nothing when `id` is not in the index.
    void Erase(std::string_view id);
    size_t size() const { return used_; }
    void Clear();

   private:
    struct Slot {
      size_t hash = 0;  // 0: empty (HashOf never returns 0)
      List::iterator node;
    };
    static size_t HashOf(std::string_view id);
    // The slot holding `id`, or the empty slot that ends its probe sequence.
    // REQUIRES: slots_ is not empty.
    size_t Probe(std::string_view id, size_t hash) const;
    void Grow();

    std::vector<Slot> slots_;  // a power of two of them, or none
    size_t used_ = 0;
  };

  size_t max_bytes_;
  size_t bytes_ = 0;
  size_t dirty_bytes_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  List lru_;                           // front: inserted or given a second chance last
  List::iterator last_ = lru_.end();   // what the last Find or Insert returned
  std::vector<List::iterator> dirty_;  // the dirty nodes, so commits touch only those
  // The nodes BeginWrite took from dirty_ (some may be dirty again since).
  std::vector<List::iterator> writing_;
  Index index_;
};

}  // namespace state
