// Plays many episodes at once when models are involved (LLM roles or the LLM doctor), without any
// thread waiting on a model: each episode is a small state machine (doctor acts -> environment
// steps -> doctor acts ...) that a model's reply moves on. A few worker threads run the
// rule-based parts (microseconds) and the bookkeeping; `concurrency` episodes are in flight.
//
// Results are the same as playing each episode alone: an episode is a pure function of (case,
// seed, doctor, options) and of the models' replies, which the response cache replays.
//
//   DriverOptions o; o.doctor = "llm"; o.llm = services; o.concurrency = 256;
//   absl::Status s = DriveEpisodes(world, o, jobs, [&](size_t i, EpisodeOutcome out) {...});
#ifndef CLINSIM_APPS_CLINSIM_EPISODE_DRIVER_H_
#define CLINSIM_APPS_CLINSIM_EPISODE_DRIVER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "env/episode.h"
#include "env/llm_step.h"
#include "env/world.h"
#include "nlohmann/json.hpp"

namespace clinsim::apps {

struct EpisodeJob {
  std::string case_id;
  uint64_t seed = 0;
};

struct EpisodeOutcome {
  absl::StatusOr<env::Score> score;
  nlohmann::json trajectory;  // {"messages", "steps"} when asked for
};

struct DriverOptions {
  std::string doctor = "scripted";
  env::EpisodeOptions options;
  std::shared_ptr<const env::LlmServices> llm;  // required when options.roles name a model
  int threads = 2;
  int concurrency = 64;  // episodes in flight
  bool trajectories = false;
};

// `finished` runs on a worker thread as each episode ends (in no particular order). The first
// error (an episode's, or one `finished` returns) stops new episodes from starting; those in
// flight end, and it is returned.
absl::Status DriveEpisodes(std::shared_ptr<const env::World> world, const DriverOptions& options,
                           const std::vector<EpisodeJob>& jobs,
                           std::function<absl::Status(size_t job, EpisodeOutcome outcome)> finished);

// One step of a trajectory: the action, its reward and what the environment made of it.
nlohmann::json StepRecord(const env::Action& action, const env::StepResult& r);

}  // namespace clinsim::apps

#endif  // CLINSIM_APPS_CLINSIM_EPISODE_DRIVER_H_
