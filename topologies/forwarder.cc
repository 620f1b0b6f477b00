#include "topologies/forwarder.h"

namespace topologies {

Forwarder::Forwarder(state::Partition p, const TaskContext& ctx)
    : partition_(p), ctx_(ctx), decoder_(ToDecoderOptions(ctx.config->input)) {}

ops::Status Forwarder::Forward(const InputRecord& r) {
  auto it = positions_.find(r.topic);
  if (it == positions_.end()) it = positions_.emplace(std::string(r.topic), Position{}).first;
  Position& pos = it->second;
  if (!pos.first) pos.first = r.offset;
  pos.next = state::Offset(r.offset.value() + 1);
  pos.dirty = true;
  const processors::Decoded d = decoder_.Decode(r.value);
  if (d.status == processors::DecodeStatus::kIgnored) {  // identify, page_ping, ...
    ++ctx_.counters->ignored;
    ctx_.probe->OnIgnored();
    return ops::Status::Ok();
  }
  if (d.status != processors::DecodeStatus::kOk) {
    return EmitDeadLetter(ctx_, r, d.reason, decoder_.error_message());
  }
  return ctx_.sink->EmitRepartition(d.event.customer_id, r.value, r.timestamp);
}

void Forwarder::CollectCommit(
    std::vector<std::pair<state::TopicPartition, state::Offset>>& offsets) const {
  for (const auto& [topic, pos] : positions_) {
    if (pos.dirty) offsets.emplace_back(state::TopicPartition{topic, partition_}, pos.next);
  }
}

void Forwarder::AfterCommit() {
  for (auto& [topic, pos] : positions_) {
    if (pos.dirty) pos.committed = pos.next;
    pos.dirty = false;
  }
}

std::vector<std::pair<state::TopicPartition, state::Offset>> Forwarder::Rewind() {
  std::vector<std::pair<state::TopicPartition, state::Offset>> seeks;
  for (auto& [topic, pos] : positions_) {
    const std::optional<state::Offset> back = pos.committed ? pos.committed : pos.first;
    if (back) seeks.emplace_back(state::TopicPartition{topic, partition_}, *back);
    pos.next = back.value_or(pos.next);
    pos.dirty = false;
  }
  return seeks;
}

}  // namespace topologies
