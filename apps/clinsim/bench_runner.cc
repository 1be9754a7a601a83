#include "apps/clinsim/bench_runner.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agents/doctors/doctor.h"
#include "apps/clinsim/episode_driver.h"
#include "env/serialize.h"

namespace clinsim::apps {
namespace {

Aggregate Summarise(const std::vector<const env::Score*>& scores) {
  Aggregate a;
  a.episodes = static_cast<int>(scores.size());
  if (scores.empty()) return a;
  for (const env::Score* s : scores) {
    a.accuracy += s->correct ? 1 : 0;
    a.mean_cost_usd += s->cost_usd;
    a.mean_rubric_coverage += s->rubric.coverage;
    a.mean_turns += s->turns;
    a.mean_judge_score += s->judge_score;
  }
  double n = static_cast<double>(scores.size());
  a.accuracy /= n;
  a.mean_cost_usd /= n;
  a.mean_rubric_coverage /= n;
  a.mean_turns /= n;
  a.mean_judge_score /= n;
  return a;
}

nlohmann::json AggregateToJson(const Aggregate& a) {
  return {{"episodes", a.episodes},         {"accuracy", a.accuracy},
          {"mean_cost_usd", a.mean_cost_usd}, {"mean_rubric_coverage", a.mean_rubric_coverage},
          {"mean_turns", a.mean_turns},     {"mean_judge_score", a.mean_judge_score}};
}

}  // namespace

absl::StatusOr<env::Score> PlayEpisode(std::shared_ptr<const env::World> world,
                                       const std::string& doctor_name, const std::string& case_id,
                                       uint64_t seed, const env::EpisodeOptions& options,
                                       std::vector<env::Message>* transcript,
                                       nlohmann::json* trajectory) {
  auto doctor = agents::CreateDoctor(doctor_name);
  if (!doctor.ok()) return doctor.status();
  auto ep = env::Episode::Create(world, case_id, seed, options);
  if (!ep.ok()) return ep.status();
  (*doctor)->Configure(options);
  env::Action action = (*doctor)->Start((*ep)->initial_observation(), seed);
  if (absl::Status s = (*doctor)->status(); !s.ok()) return s;
  nlohmann::json steps = nlohmann::json::array();
  while (!(*ep)->done()) {
    absl::StatusOr<env::StepResult> r = (*ep)->Step(action);
    if (!r.ok()) return r.status();
    // The messages of each step are in the trajectory's "messages" already.
    if (trajectory != nullptr) steps.push_back(StepRecord(action, *r));
    if ((*ep)->done()) break;
    action = (*doctor)->ActOnStep(*r);
    if (absl::Status s = (*doctor)->status(); !s.ok()) return s;
  }
  if (transcript != nullptr) *transcript = (*ep)->transcript();
  if (trajectory != nullptr) {
    *trajectory = {{"messages", env::MessagesToJson((*ep)->transcript())}, {"steps", std::move(steps)}};
  }
  return *(*ep)->score();
}

nlohmann::json BenchConfigToJson(const BenchConfig& c, const std::string& cases_origin) {
  const env::EpisodeOptions& o = c.options;
  nlohmann::json j = {{"doctor", c.doctor},
          {"cases", cases_origin},
          {"case_ids", c.case_ids},
          {"seeds", c.seeds},
          {"first_seed", c.first_seed},
          {"shard", absl::StrCat(c.shard_index, "/", c.shard_count)},
          {"max_turns", o.max_turns},
          {"budget_usd", o.budget_usd},
          {"visit_fee_usd", o.visit_fee_usd},
          {"dense_reward", o.dense_reward},
          {"noise", {{"name", o.noise.empty() ? std::string("none") : o.noise.name}, {"rates", o.noise.rates}}},
          {"persona", o.random_persona ? std::string("random") : o.persona.ToString()},
          {"weights",
           {{"diagnosis", o.weights.diagnosis}, {"rubric", o.weights.rubric},
            {"cost_per_1000_usd", o.weights.cost_per_1000_usd}, {"discomfort", o.weights.discomfort},
            {"turn", o.weights.turn}, {"invalid_action", o.weights.invalid_action},
            {"information_gain", o.weights.information_gain}}}};
  // Only runs with a model carry these keys, so run directories of rule-based runs made before
  // the LLM roles existed still resume.
  if (o.roles.any_llm() || !c.llm_config.is_null()) {
    j["roles"] = {{"patient", o.roles.patient}, {"gatekeeper", o.roles.gatekeeper},
                  {"judge", o.roles.judge}, {"grader", o.roles.grader}};
    j["llm"] = c.llm_config;
  }
  return j;
}

absl::StatusOr<BenchReport> RunBench(std::shared_ptr<const env::World> world,
                                     const BenchConfig& config, runs::RunStore* store) {
  if (auto d = agents::CreateDoctor(config.doctor); !d.ok()) return d.status();
  if (config.seeds < 1) return absl::InvalidArgumentError("--seeds must be at least 1");
  std::vector<std::string> ids = config.case_ids;
  if (ids.empty()) {
    for (const auto& c : world->library().cases()) ids.push_back(c.id);
  }
  for (const auto& id : ids) {
    if (world->FindCase(id) == nullptr) {
      return absl::NotFoundError(absl::StrCat("unknown case '", id, "'"));
    }
  }
  if (ids.empty()) return absl::FailedPreconditionError("there are no cases to run");
  struct Job {
    std::string case_id;
    uint64_t seed;
  };
  if (config.shard_count < 1 || config.shard_index < 0 || config.shard_index >= config.shard_count) {
    return absl::InvalidArgumentError(absl::StrCat("--shard ", config.shard_index, "/", config.shard_count,
                                                   " is not i/N with 0 <= i < N"));
  }
  std::set<std::pair<std::string, uint64_t>> done;
  if (store != nullptr) {
    auto d = store->Done();
    if (!d.ok()) return d.status();
    done = *std::move(d);
  }
  std::vector<Job> jobs;
  size_t index = 0;
  for (const auto& id : ids) {
    for (int s = 0; s < config.seeds; ++s, ++index) {
      if (static_cast<int>(index % config.shard_count) != config.shard_index) continue;
      uint64_t seed = config.first_seed + s;
      if (done.contains({id, seed})) continue;  // recorded by an earlier, interrupted run
      jobs.push_back({id, seed});
    }
  }
  std::vector<absl::StatusOr<env::Score>> results(jobs.size(), absl::UnknownError("not run"));
  absl::Mutex store_mu;
  absl::Status store_status;
  if (config.llm != nullptr) {
    // Models answer in hundreds of milliseconds: many episodes in flight, no thread waiting.
    DriverOptions d;
    d.doctor = config.doctor;
    d.options = config.options;
    d.llm = config.llm;
    d.threads = config.threads;
    d.concurrency = config.concurrency;
    d.trajectories = store != nullptr;
    std::vector<EpisodeJob> driver_jobs;
    for (const auto& j : jobs) driver_jobs.push_back({j.case_id, j.seed});
    absl::Status s = DriveEpisodes(world, d, driver_jobs, [&](size_t i, EpisodeOutcome out) -> absl::Status {
      results[i] = std::move(out.score);
      if (!results[i].ok() || store == nullptr) return absl::OkStatus();
      return store->Add({jobs[i].case_id, jobs[i].seed, env::ScoreToJson(*results[i]), std::move(out.trajectory)});
    });
    if (!s.ok()) return s;
  } else {
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i = next++; i < jobs.size(); i = next++) {
        nlohmann::json trajectory;
        results[i] = PlayEpisode(world, config.doctor, jobs[i].case_id, jobs[i].seed, config.options,
                                 nullptr, store != nullptr ? &trajectory : nullptr);
        if (!results[i].ok()) {
          next = jobs.size();  // stop taking new work: the error is reported, what is recorded stays
          continue;
        }
        if (store != nullptr) {
          absl::Status s = store->Add({jobs[i].case_id, jobs[i].seed, env::ScoreToJson(*results[i]),
                                       std::move(trajectory)});
          if (!s.ok()) {
            absl::MutexLock l(&store_mu);
            if (store_status.ok()) store_status = s;
            next = jobs.size();  // stop taking new work; what is recorded stays recorded
          }
        }
      }
    };
    int threads = std::max(1, std::min<int>(config.threads, static_cast<int>(std::max<size_t>(jobs.size(), 1))));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }

  if (!store_status.ok()) return store_status;
  BenchReport report;
  report.config = config;
  if (store != nullptr) {
    for (size_t i = 0; i < results.size(); ++i) {
      if (!results[i].ok()) {
        return absl::Status(results[i].status().code(),
                            absl::StrCat("case ", jobs[i].case_id, " seed ", jobs[i].seed, ": ",
                                         results[i].status().message()));
      }
    }
    auto all = store->All(/*with_trajectories=*/false);
    if (!all.ok()) return all.status();
    results.clear();
    jobs.clear();
    for (const auto& e : *all) {
      results.push_back(env::ScoreFromJson(e.score));
      jobs.push_back({e.case_id, e.seed});
    }
  }
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) {
      return absl::Status(results[i].status().code(),
                          absl::StrCat("case ", jobs[i].case_id, " seed ", jobs[i].seed, ": ",
                                       results[i].status().message()));
    }
    report.episodes.push_back(*std::move(results[i]));
  }
  std::vector<const env::Score*> all;
  std::map<std::string, std::vector<const env::Score*>> spec, diff;
  for (const auto& s : report.episodes) {
    all.push_back(&s);
    spec[s.specialty].push_back(&s);
    diff[s.difficulty].push_back(&s);
  }
  report.overall = Summarise(all);
  for (const auto& [k, v] : spec) report.by_specialty[k] = Summarise(v);
  for (const auto& [k, v] : diff) report.by_difficulty[k] = Summarise(v);
  return report;
}

absl::StatusOr<std::vector<RobustnessRow>> RunRobustness(
    std::shared_ptr<const env::World> world, const BenchConfig& config,
    const std::vector<std::pair<std::string, noise::NoiseProfile>>& settings) {
  std::vector<RobustnessRow> rows;
  BenchConfig base = config;
  base.options.noise = noise::NoiseProfile{};
  auto none = RunBench(world, base);
  if (!none.ok()) return none.status();
  rows.push_back({"none", {}, none->overall, 0, 0, 0});
  for (const auto& [label, profile] : settings) {
    BenchConfig c = config;
    c.options.noise = profile;
    auto r = RunBench(world, c);
    if (!r.ok()) return r.status();
    RobustnessRow row{label, profile.rates, r->overall, 0, 0, 0};
    row.accuracy_drop = none->overall.accuracy - r->overall.accuracy;
    row.cost_change_usd = r->overall.mean_cost_usd - none->overall.mean_cost_usd;
    row.rubric_coverage_drop = none->overall.mean_rubric_coverage - r->overall.mean_rubric_coverage;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string FormatRobustnessTable(const BenchReport& r) {
  std::string out = "noise robustness (drop = none minus noisy)\n";
  absl::StrAppend(&out, absl::StrFormat("%-28s %9s %8s %12s %9s %11s %9s\n", "noise", "accuracy",
                                        "drop", "mean cost $", "change", "rubric cov", "drop"));
  for (const auto& row : r.robustness) {
    absl::StrAppend(&out, absl::StrFormat("%-28s %8.1f%% %+7.1f %12.2f %+9.2f %10.1f%% %+8.1f\n",
                                          row.noise, 100 * row.result.accuracy,
                                          100 * row.accuracy_drop, row.result.mean_cost_usd,
                                          row.cost_change_usd, 100 * row.result.mean_rubric_coverage,
                                          100 * row.rubric_coverage_drop));
  }
  return out;
}

nlohmann::json BenchReportToJson(const BenchReport& r) {
  nlohmann::json detail = nlohmann::json::array();
  for (const auto& s : r.episodes) {
    nlohmann::json d = env::ScoreToJson(s);
    d["rubric_coverage"] = s.rubric.coverage;
    detail.push_back(std::move(d));
  }
  nlohmann::json spec = nlohmann::json::object(), diff = nlohmann::json::object();
  for (const auto& [k, v] : r.by_specialty) spec[k] = AggregateToJson(v);
  for (const auto& [k, v] : r.by_difficulty) diff[k] = AggregateToJson(v);
  const env::EpisodeOptions& opt = r.config.options;
  nlohmann::json robustness = nlohmann::json::array();
  for (const auto& row : r.robustness) {
    nlohmann::json j = AggregateToJson(row.result);
    j["noise"] = row.noise;
    j["rates"] = row.rates;
    j["accuracy_drop"] = row.accuracy_drop;
    j["cost_change_usd"] = row.cost_change_usd;
    j["rubric_coverage_drop"] = row.rubric_coverage_drop;
    robustness.push_back(std::move(j));
  }
  return {{"doctor", r.config.doctor},
          {"noise", opt.noise.empty() ? std::string("none") : opt.noise.name},
          {"persona", opt.random_persona ? std::string("random") : opt.persona.ToString()},
          {"robustness", robustness},
          {"episodes", r.overall.episodes},
          {"seeds", r.config.seeds},
          {"first_seed", r.config.first_seed},
          {"accuracy", r.overall.accuracy},
          {"mean_cost_usd", r.overall.mean_cost_usd},
          {"mean_rubric_coverage", r.overall.mean_rubric_coverage},
          {"mean_turns", r.overall.mean_turns},
          {"mean_judge_score", r.overall.mean_judge_score},
          {"by_specialty", spec},
          {"by_difficulty", diff},
          {"options",
           {{"max_turns", opt.max_turns},
            {"budget_usd", opt.budget_usd},
            {"visit_fee_usd", opt.visit_fee_usd},
            {"dense_reward", opt.dense_reward}}},
          {"episodes_detail", detail}};
}

std::string FormatBenchTable(const BenchReport& r) {
  std::string out = absl::StrFormat("doctor: %s   episodes: %d   seeds per case: %d\n\n",
                                    r.config.doctor, r.overall.episodes, r.config.seeds);
  auto row = [&](const std::string& name, const Aggregate& a) {
    absl::StrAppend(&out, absl::StrFormat("%-24s %8d %9.1f%% %12.2f %10.1f%% %8.1f\n", name,
                                          a.episodes, 100 * a.accuracy, a.mean_cost_usd,
                                          100 * a.mean_rubric_coverage, a.mean_turns));
  };
  auto header = [&](const char* first) {
    absl::StrAppend(&out, absl::StrFormat("%-24s %8s %10s %12s %11s %8s\n", first, "episodes",
                                          "accuracy", "mean cost $", "rubric cov", "turns"));
  };
  header("");
  row("overall", r.overall);
  absl::StrAppend(&out, "\n");
  header("specialty");
  for (const auto& [k, v] : r.by_specialty) row(k, v);
  absl::StrAppend(&out, "\n");
  header("difficulty");
  for (const auto& [k, v] : r.by_difficulty) row(k, v);
  return out;
}

}  // namespace clinsim::apps
