// `engaged fit`: reads a transaction log, summarises it per customer, fits the BG/NBD
// churn model by maximum likelihood and prints it as one JSON object on stdout.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "fmt/format.h"
#include "ops/progress.h"
#include "processors/churn/fit.h"
#include "processors/churn/risk.h"
#include "processors/churn/transactions.h"
#include "processors/json_writer.h"
#include "processors/timestamp.h"
#include "state/store.h"
#include "topologies/clock.h"
#include "topologies/commands.h"

namespace topologies {
namespace {

namespace churn = processors::churn;

constexpr std::string_view kStdin = "-";

void PrintError(std::string_view message) { fmt::print(stderr, "engaged fit: {}\n", message); }

int Fail(int exit_code, std::string_view message) {
  PrintError(message);
  return exit_code;
}

// The parsed flags; nullopt (after printing why) when one is unusable.
std::optional<churn::SummaryOptions> ParseOptions(const FitArgs& args) {
  auto format = churn::ParseTransactionFormat(args.format);
  auto unit = churn::ParseTimeUnit(args.time_unit);
  auto end = churn::ParseCalendarDate(args.calibration_end);
  if (!format) PrintError(fmt::format("unknown --format '{}'", args.format));
  if (!unit) PrintError(fmt::format("unknown --time-unit '{}'", args.time_unit));
  if (!end) {
    PrintError(
        fmt::format("--calibration-end '{}' is not a YYYY-MM-DD date", args.calibration_end));
  }
  if (!format || !unit || !end) return std::nullopt;
  return churn::SummaryOptions{.format = *format, .calibration_end_day = *end, .unit = *unit};
}

// Reads the log, showing progress on a terminal (the size of a file gives the ETA).
ops::Result<std::vector<churn::CustomerRecord>> ReadInput(const std::string& path,
                                                          const churn::SummaryOptions& options) {
  std::ifstream file;
  int64_t total_bytes = 0;
  if (path != kStdin) {
    file.open(path, std::ios::binary);
    if (!file) return ops::Status::IoError(fmt::format("cannot open: {}", std::strerror(errno)));
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) total_bytes = static_cast<int64_t>(size);
  }
  ops::Progress progress({.label = "fit: reading",
                          .total_bytes = total_bytes,
                          .enabled = ops::StderrIsInteractive(),
                          .calls_per_clock_read = 1});  // one call per 64 KiB chunk
  ops::ProgressStreambuf counted(path == kStdin ? std::cin.rdbuf() : file.rdbuf(), &progress);
  std::istream in(&counted);
  auto records = churn::ReadSummaries(in, options);
  progress.Finish(counted.bytes(), counted.lines());
  return records;
}

// The summaries of the customers in a state directory; `skipped` counts those with
// activity of the basis after the calibration end.
ops::Result<std::vector<churn::CustomerRecord>> ReadState(const FitArgs& args,
                                                          const churn::SummaryOptions& options,
                                                          int64_t* skipped) {
  auto store = state::Store::Open({.dir = args.state_dir, .read_only = true});
  if (!store.ok()) return store.status();
  const churn::ChurnBasis basis =
      args.basis == "sessions" ? churn::ChurnBasis::kSessions : churn::ChurnBasis::kPurchases;
  std::vector<churn::CustomerRecord> records;
  const ops::Status scanned = (*store)->ForEachCustomer(
      [&](state::Partition, std::string_view id, const state::CustomerState& s) {
        const auto summary =
            churn::SummaryFromState(s, basis, options.calibration_end_day, options.unit);
        if (summary) {
          records.push_back({std::string(id), *summary});
        } else if ((basis == churn::ChurnBasis::kPurchases ? s.purchases.distinct_days
                                                           : s.sessions.count) > 0) {
          ++*skipped;
        }
        return true;
      });
  if (!scanned.ok()) return scanned;
  return records;
}

ops::Status WriteSummary(const std::string& path, std::span<const churn::CustomerRecord> records) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << churn::SummaryCsv(records);
  out.close();
  if (!out) return ops::Status::IoError(fmt::format("cannot write {}", path));
  return ops::Status::Ok();
}

std::string ModelJson(const churn::FitResult& fit, const churn::SummaryOptions& options) {
  std::string out;
  processors::JsonWriter w(&out);
  w.BeginObject();
  w.Key("model").Value("bgnbd");
  w.Key("r").Value(fit.params.r);
  w.Key("alpha").Value(fit.params.alpha);
  w.Key("a").Value(fit.params.a);
  w.Key("b").Value(fit.params.b);
  w.Key("log_likelihood").Value(fit.log_likelihood);
  w.Key("n_customers").Value(fit.n_customers);
  w.Key("time_unit").Value(churn::TimeUnitName(options.unit));
  w.Key("calibration_end").Value(churn::FormatCalendarDate(options.calibration_end_day));
  w.Key("iterations").Value(static_cast<int64_t>(fit.iterations));
  w.Key("fitted_at").Value(processors::FormatIso8601(SystemNow()));
  w.EndObject();
  return out;
}

}  // namespace

int FitCommand(const FitArgs& args) {
  auto options = ParseOptions(args);
  if (!options) return kExitUsage;
  if (args.input.empty() == args.state_dir.empty()) {
    return Fail(kExitUsage, "give either --input or --state-dir");
  }
  const bool from_state = !args.state_dir.empty();
  const std::string& source = from_state ? args.state_dir : args.input;
  int64_t skipped = 0;
  auto records = from_state ? ReadState(args, *options, &skipped) : ReadInput(args.input, *options);
  if (!records.ok()) {
    return Fail(kExitFailure, fmt::format("{}: {}", source, records.status().message()));
  }
  if (skipped > 0) {
    PrintError(
        fmt::format("note: {} customers with {} after {} are left out (the state cannot "
                    "tell their history up to then)",
                    skipped, args.basis, args.calibration_end));
  }
  if (records->empty()) {
    return Fail(kExitFailure,
                fmt::format("{}: no customer has a {} on or before {}", source,
                            from_state && args.basis == "sessions" ? "session" : "purchase",
                            args.calibration_end));
  }
  if (!args.summary_out.empty()) {
    auto status = WriteSummary(args.summary_out, *records);
    if (!status.ok()) return Fail(kExitFailure, status.message());
  }
  std::vector<churn::CustomerSummary> summaries;
  summaries.reserve(records->size());
  for (const auto& r : *records) summaries.push_back(r.summary);
  auto fit = churn::FitBgNbd(summaries);
  if (!fit.ok()) return Fail(kExitFailure, fmt::format("{}: {}", source, fit.status().message()));
  fmt::print("{}\n", ModelJson(*fit, *options));
  return kExitOk;
}

}  // namespace topologies
