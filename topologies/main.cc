// The `engaged` binary: parses the command line and hands over to a subcommand.

#include <CLI/CLI.hpp>

#include "topologies/commands.h"

int main(int argc, char** argv) {
  using namespace topologies;
  CLI::App app{"engaged: a real-time customer-engagement engine for Kafka"};
  app.require_subcommand(1);

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "The daemon: Kafka in, Kafka out");
  run_cmd->add_option("--config", run.config_path, "YAML config file")->required();

  ReplayArgs replay;
  auto* replay_cmd = app.add_subcommand("replay", "The same topology over files");
  replay_cmd->add_option("--config", replay.config_path, "YAML config file")->required();
  replay_cmd->add_option("--input", replay.input, "Input file (ndjson: or - for stdin)")
      ->required();
  replay_cmd->add_option("--out", replay.out_dir, "Output directory")->required();
  replay_cmd->add_option("--state-dir", replay.state_dir,
                         "Keep state here and continue from it (default: a temporary directory)");
  replay_cmd
      ->add_option("--format", replay.format,
                   "Input format: ndjson (events, one per line) or cdnow (CDNOW purchase log)")
      ->check(CLI::IsMember({"ndjson", "cdnow"}))
      ->capture_default_str();

  ValidateArgs validate;
  auto* validate_cmd = app.add_subcommand("validate", "Check a config file; exit 0 or 78");
  validate_cmd->add_option("--config", validate.config_path, "YAML config file")->required();

  InspectArgs inspect;
  auto* inspect_cmd = app.add_subcommand("inspect", "Print one customer's state as JSON");
  inspect_cmd->add_option("--state-dir", inspect.state_dir, "State directory")->required();
  inspect_cmd->add_option("--customer", inspect.customer_id, "Customer id")->required();

  CheckpointArgs checkpoint;
  auto* checkpoint_cmd =
      app.add_subcommand("checkpoint", "Write a consistent copy of a state directory");
  checkpoint_cmd->add_option("--state-dir", checkpoint.state_dir, "State directory")->required();
  checkpoint_cmd->add_option("--out", checkpoint.out_dir, "New directory for the copy")->required();

  GenArgs gen;
  auto* gen_cmd = app.add_subcommand("gen", "Write a synthetic clickstream as NDJSON");
  gen_cmd->add_option("--out", gen.out, "Output file, or - for stdout")->capture_default_str();
  gen_cmd->add_option("--events", gen.events, "Number of events")->capture_default_str();
  gen_cmd->add_option("--customers", gen.customers, "Number of customers (Zipf-distributed)")
      ->capture_default_str();
  gen_cmd->add_option("--seed", gen.seed, "Random seed")->capture_default_str();
  gen_cmd->add_option("--start", gen.start, "Event time of the first event (ISO-8601 or epoch)");
  gen_cmd->add_option("--interval-ms", gen.interval_ms, "Event-time step between events")
      ->capture_default_str();
  gen_cmd->add_flag("--keyed", gen.keyed, "Prefix each line with the customer id and a tab");

  FitArgs fit;
  auto* fit_cmd = app.add_subcommand("fit", "Fit the BG/NBD churn model; prints it as JSON");
  auto* fit_input = fit_cmd->add_option("--input", fit.input, "Transaction log, or - for stdin");
  auto* fit_state = fit_cmd->add_option(
      "--state-dir", fit.state_dir,
      "Fit from the customers in this state directory instead (read-only; engaged stopped)");
  fit_input->excludes(fit_state);
  fit_cmd->add_option("--basis", fit.basis, "With --state-dir: fit on purchase days or on sessions")
      ->check(CLI::IsMember({"purchases", "sessions"}))
      ->capture_default_str();
  fit_cmd->add_option("--format", fit.format, "Input format")
      ->check(CLI::IsMember({"ndjson", "cdnow"}))
      ->capture_default_str();
  fit_cmd->add_option("--calibration-end", fit.calibration_end, "Last calibration day, YYYY-MM-DD")
      ->required();
  fit_cmd->add_option("--time-unit", fit.time_unit, "Time unit of the model")
      ->check(CLI::IsMember({"days", "weeks"}))
      ->required();
  fit_cmd->add_option("--summary-out", fit.summary_out,
                      "Also write the per-customer summary (x, t_x, T) as CSV here");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (*run_cmd) return RunCommand(run);
  if (*replay_cmd) return ReplayCommand(replay);
  if (*validate_cmd) return ValidateCommand(validate);
  if (*inspect_cmd) return InspectCommand(inspect);
  if (*gen_cmd) return GenCommand(gen);
  if (*checkpoint_cmd) return CheckpointCommand(checkpoint);
  if (*fit_cmd) return FitCommand(fit);
  return kExitUsage;
}
