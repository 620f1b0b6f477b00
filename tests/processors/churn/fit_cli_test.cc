// End-to-end tests of `engaged fit`: runs the built binary on the CDNOW sample.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

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

}  // namespace
