#include "topologies/topology_probe.h"

#ifndef ENGAGED_VERSION
#define ENGAGED_VERSION "dev"
#endif

namespace topologies {
namespace {

constexpr std::array<std::string_view, 3> kChurnBands = {"low", "medium", "high"};

}  // namespace

TopologyProbe::TopologyProbe(ops::MetricsRegistry* registry) : registry_(registry) {
  for (int i = 0; i < processors::kInvalidReasonCount; ++i) {
    const auto reason = static_cast<processors::InvalidReason>(i);
    invalid_[static_cast<size_t>(i)] = registry->GetCounter(
        "engaged_records_invalid_total", "Input records rejected by validation, by reason.",
        {{"reason", std::string(processors::InvalidReasonName(reason))}});
  }
  for (size_t i = 0; i < kChurnBands.size(); ++i) {
    churn_events_[i] = registry->GetCounter("engaged_churn_events_total",
                                            "Churn-risk events emitted, by the band entered.",
                                            {{"band", std::string(kChurnBands[i])}});
  }
  timers_fired_ = registry->GetCounter(
      "engaged_timers_fired_total",
      "Wake timers fired: daily re-evaluations of silent customers and expiries.");
  timers_spilled_ = registry->GetCounter(
      "engaged_timers_spilled_total",
      "Wake timers written to the store ahead of their commit, when a midnight woke "
      "more customers than a task holds timers for.");
  dead_letters_ = registry->GetCounter("engaged_dead_letters_total",
                                       "Records written to the dead-letter topic.");
  unmapped_ = registry->GetCounter(
      "engaged_events_unmapped_total",
      "Valid events whose name the taxonomy does not know; they count as custom.");
  duplicates_ = registry->GetCounter(
      "engaged_events_duplicate_total",
      "Valid events dropped because their event id was seen within the dedup horizon.");
  ignored_ = registry->GetCounter(
      "engaged_records_ignored_total",
      "Records that are not engagement events (identify, page_ping, ...), dropped.");
  commit_seconds_ = registry->GetHistogram(
      "engaged_commit_duration_seconds",
      "Time the poll loop stops for one commit: due timers, flushing outputs and the "
      "changelog, and the store write unless it goes on beside processing.",
      ops::LatencyBucketsSeconds());
  store_write_seconds_ = registry->GetHistogram(
      "engaged_store_write_duration_seconds",
      "Time RocksDB takes to write one commit's batch (state, timers, offsets; WAL on).",
      ops::LatencyBucketsSeconds());
  processing_seconds_ = registry->GetHistogram(
      "engaged_processing_duration_seconds",
      "Time to process one input record: decode, update state, evaluate segments.",
      ops::LatencyBucketsSeconds());
  assigned_ = registry->GetGauge("engaged_assigned_partitions",
                                 "Input partitions assigned to this instance.");
  rebalances_ = registry->GetCounter("engaged_rebalances_total",
                                     "Consumer-group rebalances seen by this instance.");
  restoring_ = registry->GetGauge("engaged_restoring_partitions",
                                  "Partitions being restored from the changelog now.");
  restore_records_ =
      registry->GetCounter("engaged_restore_records_total", "Changelog records read by restores.");
  restore_seconds_ = registry->GetCounter("engaged_restore_seconds_total",
                                          "Time spent restoring partitions from the changelog.");
  aborted_ = registry->GetCounter(
      "engaged_transactions_aborted_total",
      "Exactly-once transactions aborted; each rewinds the state to the last commit.");
  foreign_ = registry->GetCounter(
      "engaged_changelog_foreign_records_total",
      "Records another writer appended to a changelog partition this instance writes, "
      "between two of its commits (at-least-once; a paused instance's late commit).");
  end_to_end_seconds_ = registry->GetHistogram(
      "engaged_end_to_end_latency_seconds",
      "Time from an input record's broker timestamp to the end of its processing.",
      ops::EndToEndBucketsSeconds());
  last_commit_ = registry->GetGauge("engaged_last_commit_timestamp_seconds",
                                    "Unix time of the last successful commit; 0 before the first.");
  ready_ = registry->GetGauge("engaged_ready",
                              "1 when /readyz answers 200 (partitions assigned, not stopping).");
  registry
      ->GetGauge("engaged_build_info", "Build information; the value is always 1.",
                 {{"version", ENGAGED_VERSION}})
      .Set(1);
}

ops::Counter TopologyProbe::ConsumedCounter(std::string_view topic, state::Partition p) const {
  if (registry_ == nullptr) return {};
  return registry_->GetCounter(
      "engaged_records_consumed_total", "Input records consumed, by topic and partition.",
      {{"topic", std::string(topic)}, {"partition", std::to_string(p.value())}});
}

void TopologyProbe::OnInvalid(processors::InvalidReason reason) {
  invalid_[static_cast<size_t>(reason)].Inc();
}

void TopologyProbe::OnChurnChange(std::string_view band) const {
  for (size_t i = 0; i < kChurnBands.size(); ++i) {
    if (kChurnBands[i] == band) churn_events_[i].Inc();
  }
}

void TopologyProbe::SetMembers(const std::map<std::string, int64_t, std::less<>>& totals) {
  if (registry_ == nullptr) return;
  for (const auto& [label, n] : totals) {
    if (members_.count(label) != 0) continue;
    const size_t colon = label.find(':');
    const std::string kind = label.substr(0, colon);
    const std::string name = label.substr(colon + 1);
    members_.emplace(label,
                     kind == "churn"
                         ? registry_->GetGauge("engaged_churn_band_customers",
                                               "Customers per churn-risk band, in the committed "
                                               "state of the partitions this instance holds.",
                                               {{"band", name}})
                         : registry_->GetGauge("engaged_segment_customers",
                                               "Customers per segment, in the committed state of "
                                               "the partitions this instance holds.",
                                               {{"segment", name}}));
  }
  for (auto& [label, gauge] : members_) {
    const auto it = totals.find(label);
    gauge.Set(it == totals.end() ? 0.0 : static_cast<double>(it->second));
  }
}

void TopologyProbe::OnSegmentChange(std::string_view from, std::string_view to) {
  if (registry_ == nullptr) return;
  auto key = std::make_pair(std::string(from.empty() ? "none" : from),
                            std::string(to.empty() ? "none" : to));
  auto it = transitions_.find(key);
  if (it == transitions_.end()) {
    it = transitions_
             .emplace(key, registry_->GetCounter("engaged_segment_transitions_total",
                                                 "Segment changes emitted, by from and to segment.",
                                                 {{"from", key.first}, {"to", key.second}}))
             .first;
  }
  it->second.Inc();
}

}  // namespace topologies
