#include "runs/run_store.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runs/report.h"
#include "testing/status_matchers.h"

namespace clinsim::runs {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;

class RunDir {
 public:
  RunDir() : path_(std::filesystem::temp_directory_path() /
                   ("clinsim_runs_" + std::to_string(::getpid()) + "_" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(path_);
  }
  ~RunDir() { std::filesystem::remove_all(path_); }
  std::string sub(const std::string& s) const { return (path_ / s).string(); }

 private:
  std::filesystem::path path_;
};

StoredEpisode Ep(const std::string& id, uint64_t seed, bool correct, double cost,
                 const std::string& specialty = "cardiology") {
  return {id, seed,
          {{"correct", correct}, {"cost_usd", cost}, {"rubric_coverage", 0.5}, {"turns", 10},
           {"specialty", specialty}, {"difficulty", "easy"}, {"rubric_axis_coverage", {{"history", 0.5}}}},
          {{"messages", {{{"role", "doctor"}, {"content", "ASK: hi"}}, {{"role", "patient"}, {"content", "hello"}}}},
           {"steps", {{{"action", "ASK: hi"}, {"reward", 0.25}}}}}};
}

TEST(RunStore, RecordsOnceAndReportsWhatIsDone) {
  RunDir d;
  nlohmann::json config = {{"doctor", "scripted"}, {"seeds", 2}};
  {
    ASSERT_OK_AND_ASSIGN(auto store, RunStore::Open(d.sub("a"), config));
    ASSERT_OK(store->Add(Ep("c1", 0, true, 300)));
    ASSERT_OK(store->Add(Ep("c1", 0, false, 999)));  // duplicate key: ignored, first kept
    // Concurrent writers on one store (bench workers).
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
      ts.emplace_back([&, t] {
        for (int i = 0; i < 25; ++i) EXPECT_OK(store->Add(Ep("c" + std::to_string(t), 100 + i, true, 1)));
      });
    }
    for (auto& t : ts) t.join();
    ASSERT_OK_AND_ASSIGN(auto done, store->Done());
    EXPECT_EQ(done.size(), 101u);
    // A second writer on the same directory is refused while the first holds it.
    EXPECT_THAT(RunStore::Open(d.sub("a"), config),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("another clinsim")));
  }
  ASSERT_OK_AND_ASSIGN(RunData data, RunStore::Load(d.sub("a")));
  EXPECT_EQ(data.episodes.size(), 101u);
  EXPECT_EQ(data.config, config);
  EXPECT_EQ(data.episodes[0].case_id, "c0");
  auto first = std::find_if(data.episodes.begin(), data.episodes.end(),
                            [](const StoredEpisode& e) { return e.case_id == "c1" && e.seed == 0; });
  ASSERT_NE(first, data.episodes.end());
  EXPECT_EQ(first->score["cost_usd"], 300);
  // Reopening with the same config resumes; with another config is refused.
  EXPECT_OK(RunStore::Open(d.sub("a"), config));
  EXPECT_THAT(RunStore::Open(d.sub("a"), {{"doctor", "random"}, {"seeds", 2}}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("/doctor")));
}

TEST(RunStore, ForeignDamagedAndMissingStores) {
  RunDir d;
  std::filesystem::create_directories(d.sub("foreign"));
  std::ofstream(d.sub("foreign/run.sqlite")) << "this is not a database at all, just text";
  EXPECT_THAT(RunStore::Load(d.sub("foreign")), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged")));
  EXPECT_THAT(RunStore::Load(d.sub("nothing")), StatusIs(absl::StatusCode::kNotFound, HasSubstr("not a run directory")));
}

TEST(Report, MergesShardsAndComputesIntervals) {
  RunDir d;
  nlohmann::json config = {{"doctor", "scripted"}, {"shard", "0/2"}};
  {
    auto a = *RunStore::Open(d.sub("s0"), config);
    for (int i = 0; i < 50; ++i) ASSERT_OK(a->Add(Ep("c", i, i % 2 == 0, 100)));
    config["shard"] = "1/2";
    auto b = *RunStore::Open(d.sub("s1"), config);
    for (int i = 50; i < 100; ++i) ASSERT_OK(b->Add(Ep("c", i, i % 2 == 0, 300, "neurology")));
    auto c = *RunStore::Open(d.sub("other"), {{"doctor", "random"}});
    ASSERT_OK(c->Add(Ep("c", 0, false, 50)));
  }
  ASSERT_OK_AND_ASSIGN(auto groups, LoadRuns({d.sub("s0"), d.sub("s1"), d.sub("other")}));
  ASSERT_EQ(groups.size(), 2u);
  Report r = BuildReport(groups, 500);
  const Stats& s = r.groups[0].overall;
  EXPECT_EQ(s.episodes, 100);
  EXPECT_DOUBLE_EQ(s.accuracy.mean, 0.5);
  EXPECT_LT(s.accuracy.low, 0.5);
  EXPECT_GT(s.accuracy.high, 0.5);
  EXPECT_GT(s.accuracy.low, 0.3);  // ~ +-0.1 for n = 100
  EXPECT_DOUBLE_EQ(s.cost_usd.mean, 200);
  EXPECT_EQ(r.groups[0].by_specialty.size(), 2u);
  EXPECT_EQ(BuildReport(groups, 500).groups[0].overall.accuracy.low, s.accuracy.low);  // deterministic
  std::string md = ReportMarkdown(r);
  EXPECT_THAT(md, HasSubstr("| scripted | all | 100 |"));
  EXPECT_THAT(md, HasSubstr("| random | all | 1 |"));
  std::string html = ReportHtml(r);
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org"));  // only the SVG namespace
  std::string jsonl = ExportJsonl(groups);
  EXPECT_EQ(std::count(jsonl.begin(), jsonl.end(), '\n'), 101);
  nlohmann::json line = nlohmann::json::parse(jsonl.substr(0, jsonl.find('\n')));
  EXPECT_EQ(line["messages"][0]["role"], "assistant");
  EXPECT_EQ(line["messages"][1]["role"], "user");
  EXPECT_EQ(line["actions"][0], "ASK: hi");
}

}  // namespace
}  // namespace clinsim::runs
