#include "apps/clinsim/bench_runner.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fixtures.h"
#include "testing/status_matchers.h"

namespace clinsim::apps {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RunBench, ResultsDoNotDependOnThreadCount) {
  auto world = clinsim::testing::BundledWorld();
  BenchConfig one;
  one.seeds = 2;
  one.threads = 1;
  BenchConfig two = one;
  two.threads = 2;
  ASSERT_OK_AND_ASSIGN(BenchReport a, RunBench(world, one));
  ASSERT_OK_AND_ASSIGN(BenchReport b, RunBench(world, two));
  nlohmann::json ja = BenchReportToJson(a), jb = BenchReportToJson(b);
  EXPECT_EQ(ja.dump(), jb.dump());
  EXPECT_EQ(ja["episodes"], 2 * static_cast<int>(world->library().cases().size()));
  for (const char* k : {"doctor", "episodes", "accuracy", "mean_cost_usd", "mean_rubric_coverage",
                        "mean_turns", "episodes_detail", "by_specialty"}) {
    EXPECT_TRUE(ja.contains(k)) << k;
  }
  for (const char* k : {"case_id", "seed", "correct", "judge_score", "cost_usd",
                        "rubric_coverage", "turns"}) {
    EXPECT_TRUE(ja["episodes_detail"][0].contains(k)) << k;
  }
  EXPECT_THAT(FormatBenchTable(a), HasSubstr("overall"));
}

TEST(RunBench, ScriptedBeatsRandom) {
  auto world = clinsim::testing::BundledWorld();
  BenchConfig cfg;
  cfg.doctor = "random";
  ASSERT_OK_AND_ASSIGN(BenchReport random, RunBench(world, cfg));
  cfg.doctor = "scripted";
  ASSERT_OK_AND_ASSIGN(BenchReport scripted, RunBench(world, cfg));
  EXPECT_GT(scripted.overall.accuracy, random.overall.accuracy);
  EXPECT_GT(scripted.overall.mean_rubric_coverage, random.overall.mean_rubric_coverage);
}

TEST(RunRobustness, NoneFirstThenEachSettingWithItsDrop) {
  auto world = clinsim::testing::BundledWorld();
  BenchConfig cfg;
  cfg.seeds = 2;
  std::vector<std::pair<std::string, noise::NoiseProfile>> settings = {
      {"hostile", *noise::ParseNoiseSpec("hostile")},
      {"patient.omission", *noise::ParseNoiseSpec("patient.omission=1")}};
  ASSERT_OK_AND_ASSIGN(auto rows, RunRobustness(world, cfg, settings));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].noise, "none");
  EXPECT_DOUBLE_EQ(rows[0].accuracy_drop, 0);
  EXPECT_NEAR(rows[1].accuracy_drop, rows[0].result.accuracy - rows[1].result.accuracy, 1e-12);
  // A patient who omits every fact leaves the scripted doctor with less: coverage must drop.
  EXPECT_GT(rows[2].rubric_coverage_drop, 0);
  BenchReport report;
  report.robustness = rows;
  EXPECT_THAT(FormatRobustnessTable(report), HasSubstr("patient.omission"));
}

TEST(RunBench, BadConfigIsAClearError) {
  auto world = clinsim::testing::BundledWorld();
  BenchConfig cfg;
  cfg.doctor = "oracle";
  EXPECT_THAT(RunBench(world, cfg), StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown doctor")));
  cfg.doctor = "scripted";
  cfg.case_ids = {"nope"};
  EXPECT_THAT(RunBench(world, cfg), StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown case 'nope'")));
}

}  // namespace
}  // namespace clinsim::apps
