// End-to-end tests of `engaged fit`: runs the built binary on the CDNOW sample.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "processors/timestamp.h"
#include "tests/testutil/temp_dir.h"

namespace {

const std::string kCdnowDir = ENGAGED_SOURCE_DIR "/../shared/data/cdnow";
const std::string kSample = kCdnowDir + "/CDNOW_sample.txt";

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `engaged fit <args>` through the shell; stdout and stderr kept apart.
RunResult RunFit(const testutil::TempDir& dir, const std::string& args) {
  const std::string err_path = dir.File("stderr.txt");
  const std::string command = std::string(ENGAGED_BINARY) + " fit " + args + " 2>" + err_path;
  RunResult r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) r.out.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = Slurp(err_path);
  return r;
}

// The raw text of a top-level field of a flat JSON object (strings keep their quotes).
std::optional<std::string> RawField(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return std::nullopt;
  const size_t begin = at + needle.size();
  const size_t end = json.find_first_of(",}", begin);
  return json.substr(begin, end - begin);
}

double NumberField(const std::string& json, const std::string& key) {
  auto raw = RawField(json, key);
  EXPECT_TRUE(raw.has_value()) << key << " missing in " << json;
  return raw ? std::strtod(raw->c_str(), nullptr) : 0;
}

TEST(FitCliTest, FitsTheCdnowSampleAndWritesTheSummary) {
  testutil::TempDir dir;
  ASSERT_TRUE(std::ifstream(kSample).is_open()) << "missing test data: " << kSample;
  const std::string summary = dir.File("summary.csv");
  const RunResult r = RunFit(dir, "--input " + kSample +
                                      " --format cdnow --calibration-end 1997-09-30"
                                      " --time-unit weeks --summary-out " +
                                      summary);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line of JSON: " << r.out;
  const std::string& json = r.out;
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(RawField(json, "model"), "\"bgnbd\"");
  EXPECT_NEAR(NumberField(json, "r"), 0.243, 0.01 * 0.243);
  EXPECT_NEAR(NumberField(json, "alpha"), 4.414, 0.01 * 4.414);
  EXPECT_NEAR(NumberField(json, "a"), 0.793, 0.01 * 0.793);
  EXPECT_NEAR(NumberField(json, "b"), 2.426, 0.01 * 2.426);
  EXPECT_NEAR(NumberField(json, "log_likelihood"), -9582.4, 0.1);
  EXPECT_EQ(RawField(json, "n_customers"), "2357");
  EXPECT_EQ(RawField(json, "time_unit"), "\"weeks\"");
  EXPECT_EQ(RawField(json, "calibration_end"), "\"1997-09-30\"");
  auto fitted_at = RawField(json, "fitted_at");
  ASSERT_TRUE(fitted_at.has_value() && fitted_at->size() > 2);
  EXPECT_TRUE(processors::ParseIso8601(fitted_at->substr(1, fitted_at->size() - 2)).has_value())
      << *fitted_at;
  EXPECT_EQ(Slurp(summary), Slurp(kCdnowDir + "/cdnow_customers_summary.csv"));
}

TEST(FitCliTest, ReadsNdjsonFromStdin) {
  testutil::TempDir dir;
  const std::string log = dir.File("log.ndjson");
  std::ofstream(log) << R"({"customer_id":"a","ts":"2024-01-01T09:00:00Z","type":"purchase"})"
                     << "\n"
                     << R"({"customer_id":"a","ts":"2024-01-20T09:00:00Z","type":"purchase"})"
                     << "\n"
                     << R"({"customer_id":"b","ts":"2024-01-03T09:00:00Z","type":"purchase"})"
                     << "\n"
                     << R"({"customer_id":"b","ts":"2024-01-04T09:00:00Z","type":"page_view"})"
                     << "\n"
                     << R"({"customer_id":"c","ts":"2024-01-02T09:00:00Z","type":"purchase"})"
                     << "\n"
                     << R"({"customer_id":"c","ts":"2024-01-09T09:00:00Z","type":"purchase"})"
                     << "\n"
                     << R"({"customer_id":"c","ts":"2024-01-29T09:00:00Z","type":"purchase"})"
                     << "\n";
  const RunResult r =
      RunFit(dir, "--input - --calibration-end 2024-01-31 --time-unit days < " + log);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RawField(r.out, "n_customers"), "3");
  EXPECT_EQ(RawField(r.out, "time_unit"), "\"days\"");
  EXPECT_TRUE(std::isfinite(NumberField(r.out, "log_likelihood")));
}

TEST(FitCliTest, UsageErrorsExit64) {
  testutil::TempDir dir;
  const std::string input = "--input " + kSample + " --format cdnow ";
  EXPECT_EQ(RunFit(dir, input + "--time-unit weeks").exit_code, 64);  // no calibration end
  EXPECT_EQ(RunFit(dir, input + "--calibration-end 1997-09-30").exit_code, 64);  // no unit
  EXPECT_EQ(RunFit(dir, input + "--calibration-end 1997-09-30 --time-unit months").exit_code, 64);
  const RunResult bad_date = RunFit(dir, input + "--calibration-end 30/09/1997 --time-unit weeks");
  EXPECT_EQ(bad_date.exit_code, 64);
  EXPECT_NE(bad_date.err.find("--calibration-end"), std::string::npos) << bad_date.err;
  EXPECT_EQ(RunFit(dir, "--input " + kSample +
                            " --format csv --calibration-end 1997-09-30 "
                            "--time-unit weeks")
                .exit_code,
            64);
}

TEST(FitCliTest, DataErrorsExit1WithTheLine) {
  testutil::TempDir dir;
  const std::string bad = dir.File("bad.txt");
  std::ofstream(bad) << "1 19970101 1 10.0\n1 1997-01-02 1 10.0\n";
  const RunResult r = RunFit(dir, "--input " + bad +
                                      " --format cdnow --calibration-end 1997-09-30 "
                                      "--time-unit weeks");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;

  const RunResult missing = RunFit(dir, "--input " + dir.File("nope.txt") +
                                            " --format cdnow --calibration-end 1997-09-30 "
                                            "--time-unit weeks");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("cannot open"), std::string::npos) << missing.err;

  // Everyone was born after the calibration period: nothing to fit.
  const RunResult empty = RunFit(dir, "--input " + kSample +
                                          " --format cdnow --calibration-end 1996-12-31 "
                                          "--time-unit weeks");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("no customer"), std::string::npos) << empty.err;
}

TEST(FitCliTest, FitsFromAStateDirectoryAsFromTheLog) {
  // Replaying the calibration period of the CDNOW sample leaves per-customer purchase
  // state from which --state-dir must rebuild the same summaries, hence the same fit.
  testutil::TempDir dir;
  std::ifstream sample(kSample);
  ASSERT_TRUE(sample.is_open()) << "missing test data: " << kSample;
  std::ofstream calibration(dir.File("calibration.txt"));
  for (std::string line; std::getline(sample, line);) {
    std::istringstream fields(line);
    std::string master, id, date;
    fields >> master >> id >> date;
    if (date <= "19970930") calibration << line << "\n";
  }
  calibration.close();
  std::ofstream(dir.File("config.yaml"))
      << "application_id: fit-state\nstate:\n  retention_ms: 0\n";
  const std::string replay = std::string(ENGAGED_BINARY) + " replay --config " +
                             dir.File("config.yaml") + " --format cdnow --input " +
                             dir.File("calibration.txt") + " --out " + dir.File("out") +
                             " --state-dir " + dir.File("state") + " 2>/dev/null";
  ASSERT_EQ(std::system(replay.c_str()), 0) << replay;

  const std::string common = " --format cdnow --calibration-end 1997-09-30 --time-unit weeks";
  const RunResult from_log =
      RunFit(dir, "--input " + kSample + common + " --summary-out " + dir.File("log.csv"));
  const RunResult from_state =
      RunFit(dir, "--state-dir " + dir.File("state") +
                      " --calibration-end 1997-09-30 --time-unit weeks --summary-out " +
                      dir.File("state.csv"));
  ASSERT_EQ(from_log.exit_code, 0) << from_log.err;
  ASSERT_EQ(from_state.exit_code, 0) << from_state.err;
  // The same summaries (in another order: the state is keyed by partition and id)...
  const auto sorted_lines = [](const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  EXPECT_EQ(sorted_lines(Slurp(dir.File("state.csv"))), sorted_lines(Slurp(dir.File("log.csv"))));
  // ... so the same model, up to the optimiser's tolerance (the order of the sums moves
  // Nelder-Mead's path by ulps).
  EXPECT_EQ(NumberField(from_state.out, "n_customers"), 2357);
  for (const char* key : {"r", "alpha", "a", "b"}) {
    EXPECT_NEAR(NumberField(from_state.out, key), NumberField(from_log.out, key),
                1e-5 * std::fabs(NumberField(from_log.out, key)))
        << key;
  }
  EXPECT_NEAR(NumberField(from_state.out, "log_likelihood"),
              NumberField(from_log.out, "log_likelihood"), 1e-6);

  // A calibration end before some of the state's purchases leaves those customers out.
  const RunResult early = RunFit(
      dir, "--state-dir " + dir.File("state") + " --calibration-end 1997-03-31 --time-unit weeks");
  EXPECT_EQ(early.exit_code, 0) << early.err;
  EXPECT_NE(early.err.find("customers with purchases after 1997-03-31 are left out"),
            std::string::npos)
      << early.err;
  EXPECT_LT(NumberField(early.out, "n_customers"), 2357);

  const RunResult both = RunFit(dir, "--input " + kSample + " --state-dir " + dir.File("state") +
                                         " --calibration-end 1997-09-30 --time-unit weeks");
  EXPECT_NE(both.exit_code, 0);
  const RunResult sessions =
      RunFit(dir, "--state-dir " + dir.File("state") +
                      " --basis sessions --calibration-end 1997-09-30 --time-unit weeks");
  EXPECT_EQ(sessions.exit_code, 0) << sessions.err;  // every purchase is a session here
}

}  // namespace
