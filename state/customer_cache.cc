#include "state/customer_cache.h"

#include <algorithm>

namespace state {
namespace {

// A list node's links and malloc's header (32), and the entry's share of the index:
// 16-byte slots, at most half full and a quarter full right after it grows (up to 64).
constexpr size_t kNodeOverheadBytes = 96;
constexpr size_t kMinIndexSlots = 64;

// Heap bytes of a string: none while it fits the small-string buffer.
size_t HeapBytes(const std::string& s) {
  static const size_t kInline = std::string().capacity();
  return s.capacity() > kInline ? s.capacity() + 1 : 0;
}

}  // namespace

size_t CustomerCache::EstimateBytes(std::string_view id, const CustomerState& s) {
  return kNodeOverheadBytes + sizeof(Node) + id.size() + HeapBytes(s.segment);
}

size_t CustomerCache::Index::HashOf(std::string_view id) {
  const size_t h = std::hash<std::string_view>{}(id);
  return h == 0 ? 1 : h;
}

size_t CustomerCache::Index::Probe(std::string_view id, size_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.hash == 0 || (slot.hash == hash && slot.node->id == id)) return i;
  }
}

const CustomerCache::List::iterator* CustomerCache::Index::Find(std::string_view id) const {
  if (slots_.empty()) return nullptr;
  const Slot& slot = slots_[Probe(id, HashOf(id))];
  return slot.hash == 0 ? nullptr : &slot.node;
}

void CustomerCache::Index::Insert(List::iterator node) {
  if ((used_ + 1) * 2 > slots_.size()) Grow();
  const size_t hash = HashOf(node->id);
  slots_[Probe(node->id, hash)] = Slot{hash, node};
  ++used_;
}

void CustomerCache::Index::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(std::max(kMinIndexSlots, old.size() * 2), Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.hash == 0) continue;
    size_t i = slot.hash & mask;
    while (slots_[i].hash != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void CustomerCache::Index::Erase(std::string_view id) {
  if (slots_.empty()) return;
  const size_t mask = slots_.size() - 1;
  size_t hole = Probe(id, HashOf(id));
  if (slots_[hole].hash == 0) return;
  --used_;
  // Backward-shift deletion: move up each later entry of the run whose home slot is
  // not between the hole and it, so that every probe sequence stays unbroken.
  for (size_t j = (hole + 1) & mask; slots_[j].hash != 0; j = (j + 1) & mask) {
    const size_t home = slots_[j].hash & mask;
    const bool stays = hole < j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = Slot{};
}

void CustomerCache::Index::Clear() {
  slots_.clear();
  used_ = 0;
}

CustomerState* CustomerCache::Find(std::string_view id) {
  const List::iterator* it = index_.Find(id);
  if (it == nullptr) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  last_ = *it;
  last_->referenced = true;
  return &last_->state;
}

CustomerState* CustomerCache::Insert(std::string_view id, CustomerState s) {
  lru_.push_front(Node{.id = std::string(id), .state = std::move(s)});
  Node& node = lru_.front();
  node.bytes = EstimateBytes(node.id, node.state);
  bytes_ += node.bytes;
  index_.Insert(lru_.begin());
  last_ = lru_.begin();
  // Ends: each turn evicts, clears a bit that only a Find sets again, or moves the new
  // entry (never evicted) back to the front after the others went ahead of it.
  while (bytes_ > max_bytes_ && lru_.size() > 1) {
    const List::iterator back = std::prev(lru_.end());
    if (&*back == &node) {
      lru_.splice(lru_.begin(), lru_, back);
      continue;
    }
    if (back->referenced) {
      back->referenced = false;
      lru_.splice(lru_.begin(), lru_, back);
      continue;
    }
    if (back->stage != Stage::kClean) break;
    EvictClean(back);
  }
  return &node.state;
}

CustomerCache::List::iterator CustomerCache::EvictClean(List::iterator it) {
  bytes_ -= it->bytes;
  index_.Erase(it->id);
  if (it == last_) last_ = lru_.end();
  return lru_.erase(it);
}

void CustomerCache::MarkDirty(std::string_view id) {
  const List::iterator it = last_ != lru_.end() && last_->id == id ? last_ : *index_.Find(id);
  Node& node = *it;
  const size_t now = EstimateBytes(node.id, node.state);
  bytes_ = bytes_ - node.bytes + now;
  if (node.stage == Stage::kDirty) {
    dirty_bytes_ = dirty_bytes_ - node.bytes + now;
  } else {
    // A node being written is also in writing_; EndWrite leaves it dirty.
    dirty_bytes_ += now;
    node.stage = Stage::kDirty;
    dirty_.push_back(it);
  }
  node.bytes = now;
}

void CustomerCache::Erase(std::string_view id) {
  const List::iterator* found = index_.Find(id);
  if (found == nullptr) return;
  const List::iterator node = *found;
  bytes_ -= node->bytes;
  // Rare: the expiry of an entry that is dirty or being written.
  if (node->stage == Stage::kDirty) {
    dirty_bytes_ -= node->bytes;
    dirty_.erase(std::find(dirty_.begin(), dirty_.end(), node));
  }
  if (auto w = std::find(writing_.begin(), writing_.end(), node); w != writing_.end()) {
    writing_.erase(w);
  }
  index_.Erase(id);
  if (node == last_) last_ = lru_.end();
  lru_.erase(node);
}

void CustomerCache::ForEachDirty(
    const std::function<void(std::string_view, const CustomerState&)>& fn) {
  std::sort(dirty_.begin(), dirty_.end(),
            [](const List::iterator& a, const List::iterator& b) { return a->id < b->id; });
  for (const List::iterator& node : dirty_) fn(node->id, node->state);
}

void CustomerCache::BeginWrite() {
  for (const List::iterator& node : dirty_) node->stage = Stage::kWriting;
  writing_.swap(dirty_);
  dirty_.clear();
  dirty_bytes_ = 0;
}

void CustomerCache::EndWrite() {
  for (const List::iterator& node : writing_) {
    if (node->stage == Stage::kWriting) node->stage = Stage::kClean;
  }
  writing_.clear();
}

const CustomerState* CustomerCache::FindClean(std::string_view id) const {
  const List::iterator* found = index_.Find(id);
  if (found == nullptr || (*found)->stage != Stage::kClean) return nullptr;
  return &(*found)->state;
}

void CustomerCache::EvictToBudget() {
  // `end` bounds the candidates: the entries before it. Each turn takes the last of
  // them, and evicts it, passes over it (not clean), or gives it its second chance at
  // the front, where it is a candidate again with its bit cleared. Ends: each turn
  // drops a candidate or clears a bit that nothing here sets again.
  auto end = lru_.end();
  while (bytes_ > max_bytes_ && end != lru_.begin()) {
    const List::iterator node = std::prev(end);
    if (node->referenced) {
      node->referenced = false;
      lru_.splice(lru_.begin(), lru_, node);
    } else if (node->stage == Stage::kClean) {
      EvictClean(node);
    } else {
      end = node;
    }
  }
}

void CustomerCache::Clear() {
  index_.Clear();
  dirty_.clear();
  writing_.clear();
  lru_.clear();
  last_ = lru_.end();
  bytes_ = 0;
  dirty_bytes_ = 0;
}

}  // namespace state
