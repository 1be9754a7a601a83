// Reports over run directories: overall, per specialty and per difficulty tables with 95%
// bootstrap intervals, as Markdown, JSON and a self-contained HTML page (inline SVG plots, no
// scripts or network): accuracy against mean cost per run (the Pareto view), rubric coverage per
// axis, and a per-episode drill-down. Shard directories of one run (same config but the shard)
// are merged; different runs (doctors, noise) are compared side by side.
//
//   auto runs = LoadRuns({"runs/scripted_0", "runs/scripted_1", "runs/random"}).value();
//   Report r = BuildReport(runs);
//   std::cout << ReportMarkdown(r);
#ifndef CLINSIM_RUNS_REPORT_H_
#define CLINSIM_RUNS_REPORT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runs/run_store.h"

namespace clinsim::runs {

struct Estimate {
  double mean = 0, low = 0, high = 0;  // 95% bootstrap interval
};

struct Stats {
  int episodes = 0;
  Estimate accuracy, cost_usd, rubric_coverage;
  double mean_turns = 0;
  std::map<std::string, double> axis_coverage;  // mean per rubric axis
};

struct RunGroup {
  std::string label;  // doctor, plus noise and persona when not the defaults
  nlohmann::json config;
  std::vector<std::string> dirs;
  std::vector<StoredEpisode> episodes;  // merged over shards, by (case, seed)
  Stats overall;
  std::map<std::string, Stats> by_specialty, by_difficulty;
};

struct Report {
  std::vector<RunGroup> groups;
};

// Loads run directories and merges shards of the same run.
absl::StatusOr<std::vector<RunGroup>> LoadRuns(const std::vector<std::string>& dirs);
// Fills the statistics (bootstrap with a fixed seed: the same runs give the same report).
Report BuildReport(std::vector<RunGroup> groups, int resamples = 1000);

std::string ReportMarkdown(const Report& r);
nlohmann::json ReportJson(const Report& r);
std::string ReportHtml(const Report& r);
// One JSON line per episode: messages in chat format, actions, rewards and the score.
std::string ExportJsonl(const std::vector<RunGroup>& groups);

}  // namespace clinsim::runs

#endif  // CLINSIM_RUNS_REPORT_H_
