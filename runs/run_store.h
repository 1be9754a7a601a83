// The run store: every finished episode of a benchmark run (its config, full trajectory and
// score) kept in SQLite in a run directory, written as each episode finishes. After a crash or
// kill -9 the same command resumes and runs only what is missing; nothing recorded is lost or
// duplicated ((case, seed) is the key). One writer per directory (a lock file says who).
//
//   auto store = RunStore::Open("build/runs/scripted", config).value();
//   auto done = store->Done().value();              // {(case_id, seed)} already recorded
//   store->Add({case_id, seed, score_json, trajectory_json});
//   auto all = RunStore::Load("build/runs/scripted").value();   // read-only, for reports and export
#ifndef CLINSIM_RUNS_RUN_STORE_H_
#define CLINSIM_RUNS_RUN_STORE_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

struct sqlite3;

namespace clinsim::runs {

inline constexpr int kSchemaVersion = 1;
inline constexpr char kStoreFile[] = "run.sqlite";

struct StoredEpisode {
  std::string case_id;
  uint64_t seed = 0;
  nlohmann::json score;       // env::ScoreToJson
  nlohmann::json trajectory;  // {"messages": [...], "steps": [...]}
};

struct RunData {
  std::string dir;
  nlohmann::json config;
  std::vector<StoredEpisode> episodes;  // by (case_id, seed)
};

class RunStore {
 public:
  // Opens DIR/run.sqlite for writing, creating DIR and the store if needed. For an existing store
  // the config must be the one it was made with (FAILED_PRECONDITION names the difference);
  // a foreign, damaged or newer-version file, or a second writer, is a clear error.
  static absl::StatusOr<std::unique_ptr<RunStore>> Open(const std::string& dir,
                                                        const nlohmann::json& config);
  // Reads a whole run directory.
  static absl::StatusOr<RunData> Load(const std::string& dir);
  ~RunStore();

  absl::StatusOr<std::set<std::pair<std::string, uint64_t>>> Done();
  // Thread-safe. Recording an episode that is already there changes nothing.
  absl::Status Add(const StoredEpisode& e);
  // Every recorded episode, by (case_id, seed); with_trajectories=false reads scores only.
  absl::StatusOr<std::vector<StoredEpisode>> All(bool with_trajectories = true);

 private:
  RunStore() = default;
  absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_) = nullptr;
  int lock_fd_ = -1;
  std::string path_;
};

}  // namespace clinsim::runs

#endif  // CLINSIM_RUNS_RUN_STORE_H_
