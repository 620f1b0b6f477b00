#include "state/customer_cache.h"

#include <algorithm>

namespace state {
namespace {

// A list node, a hash-map node and their pointers, as libstdc++ lays them out.
constexpr size_t kNodeOverheadBytes = 96;

// Heap bytes of a string: none while it fits the small-string buffer.
size_t HeapBytes(const std::string& s) {
  static const size_t kInline = std::string().capacity();
  return s.capacity() > kInline ? s.capacity() + 1 : 0;
}

}  // namespace

size_t CustomerCache::EstimateBytes(std::string_view id, const CustomerState& s) {
  return kNodeOverheadBytes + sizeof(Node) + id.size() + HeapBytes(s.segment);
}

CustomerState* CustomerCache::Find(std::string_view id) {
  auto it = index_.find(id);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  last_ = it->second;
  lru_.splice(lru_.begin(), lru_, last_);
  return &last_->state;
}

CustomerState* CustomerCache::Insert(std::string_view id, CustomerState s) {
  lru_.push_front(Node{std::string(id), std::move(s), 0, Stage::kClean});
  Node& node = lru_.front();
  node.bytes = EstimateBytes(node.id, node.state);
  bytes_ += node.bytes;
  index_.emplace(node.id, lru_.begin());
  last_ = lru_.begin();
  while (bytes_ > max_bytes_ && lru_.size() > 1 && lru_.back().stage == Stage::kClean) {
    EvictClean(std::prev(lru_.end()));
  }
  return &node.state;
}

CustomerCache::List::iterator CustomerCache::EvictClean(List::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(it->id);
  if (it == last_) last_ = lru_.end();
  return lru_.erase(it);
}

void CustomerCache::MarkDirty(std::string_view id) {
  const List::iterator it = last_ != lru_.end() && last_->id == id ? last_ : index_.at(id);
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
  auto it = index_.find(id);
  if (it == index_.end()) return;
  const List::iterator node = it->second;
  bytes_ -= node->bytes;
  // Rare: the expiry of an entry that is dirty or being written.
  if (node->stage == Stage::kDirty) {
    dirty_bytes_ -= node->bytes;
    dirty_.erase(std::find(dirty_.begin(), dirty_.end(), node));
  }
  if (auto w = std::find(writing_.begin(), writing_.end(), node); w != writing_.end()) {
    writing_.erase(w);
  }
  index_.erase(it);
  if (node == last_) last_ = lru_.end();
  lru_.erase(node);
}

void CustomerCache::ForEachDirty(
    const std::function<void(std::string_view, const CustomerState&)>& fn) const {
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

bool CustomerCache::IsClean(std::string_view id) const {
  auto it = index_.find(id);
  return it != index_.end() && it->second->stage == Stage::kClean;
}

void CustomerCache::EvictToBudget() {
  auto it = lru_.end();
  while (bytes_ > max_bytes_ && it != lru_.begin()) {
    --it;
    if (it->stage != Stage::kClean) continue;
    it = EvictClean(it);
  }
}

void CustomerCache::Clear() {
  index_.clear();
  dirty_.clear();
  writing_.clear();
  lru_.clear();
  last_ = lru_.end();
  bytes_ = 0;
  dirty_bytes_ = 0;
}

}  // namespace state
