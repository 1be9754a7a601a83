// Runs one doctor over cases x seeds in-process, on several threads, and aggregates accuracy,
// cost, rubric coverage and turns overall and per specialty and difficulty. Results do not depend
// on the thread count: every episode is a pure function of (case, seed, doctor, options), and
// results are kept in (case, seed) order.
//
//   BenchConfig cfg; cfg.doctor = "scripted"; cfg.seeds = 3;
//   absl::StatusOr<BenchReport> r = RunBench(world, cfg);
//   std::cout << FormatBenchTable(*r); WriteJson(BenchReportToJson(*r), path);
#ifndef CLINSIM_APPS_CLINSIM_BENCH_RUNNER_H_
#define CLINSIM_APPS_CLINSIM_BENCH_RUNNER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "env/episode.h"
#include "env/llm_step.h"
#include "nlohmann/json.hpp"
#include "runs/run_store.h"

namespace clinsim::apps {

struct BenchConfig {
  std::string doctor = "scripted";
  int seeds = 1;
  uint64_t first_seed = 0;
  int threads = 2;
  std::vector<std::string> case_ids;  // empty: every case of the world
  env::EpisodeOptions options;
  int shard_index = 0;  // run only jobs with index % shard_count == shard_index
  int shard_count = 1;
  // With models (LLM roles or the LLM doctor): episodes are played by apps/clinsim/episode_driver
  // with `concurrency` in flight; `llm_config` (endpoint and models, never the key) is part of the
  // run config a store keeps.
  std::shared_ptr<const env::LlmServices> llm;
  int concurrency = 64;
  nlohmann::json llm_config;
};

struct Aggregate {
  int episodes = 0;
  double accuracy = 0;
  double mean_cost_usd = 0;
  double mean_rubric_coverage = 0;
  double mean_turns = 0;
  double mean_judge_score = 0;
};

// One noise setting of a robustness run, with its change against the noise-free run.
struct RobustnessRow {
  std::string noise;  // profile name or single type
  std::map<std::string, double> rates;
  Aggregate result;
  double accuracy_drop = 0;        // none minus this, in accuracy points (0..1)
  double cost_change_usd = 0;      // this minus none
  double rubric_coverage_drop = 0; // none minus this
};

struct BenchReport {
  BenchConfig config;
  std::vector<RobustnessRow> robustness;  // first row: none (only when noise was asked for)
  std::vector<env::Score> episodes;  // (case, seed) order
  Aggregate overall;
  std::map<std::string, Aggregate> by_specialty;
  std::map<std::string, Aggregate> by_difficulty;
};

// With a store, episodes already recorded are skipped, each new one is recorded as it finishes,
// and the report covers everything recorded (so a resumed run reports the whole run).
absl::StatusOr<BenchReport> RunBench(std::shared_ptr<const env::World> world,
                                     const BenchConfig& config, runs::RunStore* store = nullptr);
// Plays one episode to the end with a doctor; used by bench and the conformance test.
// `trajectory` (optional) receives {"messages": [...], "steps": [{action, step result}...]}.
absl::StatusOr<env::Score> PlayEpisode(std::shared_ptr<const env::World> world,
                                       const std::string& doctor, const std::string& case_id,
                                       uint64_t seed, const env::EpisodeOptions& options,
                                       std::vector<env::Message>* transcript = nullptr,
                                       nlohmann::json* trajectory = nullptr);
// The run config a store keeps, so that resuming with other flags is refused.
nlohmann::json BenchConfigToJson(const BenchConfig& config, const std::string& cases_origin);

// Runs `config` once without noise and once per setting; rows in that order, none first.
absl::StatusOr<std::vector<RobustnessRow>> RunRobustness(
    std::shared_ptr<const env::World> world, const BenchConfig& config,
    const std::vector<std::pair<std::string, noise::NoiseProfile>>& settings);
std::string FormatRobustnessTable(const BenchReport& r);

nlohmann::json BenchReportToJson(const BenchReport& r);
std::string FormatBenchTable(const BenchReport& r);

}  // namespace clinsim::apps

#endif  // CLINSIM_APPS_CLINSIM_BENCH_RUNNER_H_
