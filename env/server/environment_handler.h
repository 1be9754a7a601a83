// The Environment API over the core, without gRPC: proto request in, proto response and an
// absl::Status out. The gRPC service (environment_service.h) is a thin layer over this, and
// tests and fuzzers call it directly. Thread-safe; requests on different episodes never wait
// on one another.
//
//   EnvironmentHandler h(world, HandlerOptions{});
//   v1::ResetResponse reset;
//   absl::Status s = h.Reset(request, &reset);   // NOT_FOUND, RESOURCE_EXHAUSTED, ...
#ifndef CLINSIM_ENV_SERVER_ENVIRONMENT_HANDLER_H_
#define CLINSIM_ENV_SERVER_ENVIRONMENT_HANDLER_H_

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "clinsim/v1/environment.pb.h"
#include "env/llm_step.h"
#include "env/server/episode_store.h"
#include "env/world.h"

namespace clinsim::server {

inline constexpr char kApiVersion[] = "clinsim.v1";

struct HandlerOptions {
  StoreOptions store;
  int max_batch_items = 1024;
  int max_message_bytes = 4 << 20;  // reported in the spec; enforced by the gRPC server
  std::string server_version = "0.1.0";
  // The model roles: null when the server has no LLM endpoint (episodes asking for one get
  // FAILED_PRECONDITION). `default_roles` apply to episodes whose options name no role.
  std::shared_ptr<const env::LlmServices> llm;
  env::RoleOptions default_roles;
};

class EnvironmentHandler {
 public:
  EnvironmentHandler(std::shared_ptr<const env::World> world, HandlerOptions options);

  const v1::Spec& Spec() const { return spec_; }
  absl::Status ListCases(const v1::ListCasesRequest& req, v1::ListCasesResponse* resp) const;
  // `client` identifies the caller for the per-client episode limit (empty: not counted).
  absl::Status Reset(const v1::ResetRequest& req, v1::ResetResponse* resp, absl::string_view client = "");
  // Runs `done` with the status once `resp` is filled: before returning for rule-based episodes,
  // later (on the LLM client's thread) when a model plays a role. Never blocks on a model.
  using Done = absl::AnyInvocable<void(absl::Status) &&>;
  void StepAsync(const v1::StepRequest& req, v1::StepResponse* resp, Done done);
  void StepBatchAsync(const v1::StepBatchRequest& req, v1::StepBatchResponse* resp, Done done);
  // StepAsync, waiting for the result (tests, fuzzers; a model call may make it wait).
  absl::Status Step(const v1::StepRequest& req, v1::StepResponse* resp);
  // The call fails only when the batch itself is too large; otherwise each item has a status.
  absl::Status ResetBatch(const v1::ResetBatchRequest& req, v1::ResetBatchResponse* resp,
                          absl::string_view client = "");
  absl::Status StepBatch(const v1::StepBatchRequest& req, v1::StepBatchResponse* resp);
  absl::Status GetScore(const v1::GetScoreRequest& req, v1::Score* resp);
  absl::Status Close(const v1::CloseRequest& req);

  // What one Session stream knows: the episodes it started (closed when it ends) and the last
  // one, which requests with an empty episode id address.
  struct SessionState {
    std::string client;  // for the per-client limit
    std::string last_episode;
    absl::flat_hash_set<std::string> episodes;
  };
  void HandleSessionAsync(const v1::SessionRequest& req, SessionState* state,
                          v1::SessionResponse* resp, absl::AnyInvocable<void() &&> done);
  void HandleSession(const v1::SessionRequest& req, SessionState* state, v1::SessionResponse* resp);
  void EndSession(SessionState* state);

  // From now on every request that would start or advance an episode is UNAVAILABLE.
  void StartDraining() { draining_.store(true); }
  bool draining() const { return draining_.load(); }
  EpisodeStore& store() { return store_; }
  const env::World& world() const { return *world_; }

 private:
  absl::Status CheckEpisodeId(const std::string& id) const;
  absl::Status FindEnded(const std::string& id, std::shared_ptr<EpisodeStore::Entry>* entry);

  std::shared_ptr<const env::World> world_;
  HandlerOptions options_;
  EpisodeStore store_;
  v1::Spec spec_;
  std::vector<std::string> case_ids_;  // sorted, for seed-picked cases
  std::set<std::string> specialties_;
  std::atomic<bool> draining_{false};
};

// The Status message of a per-item result.
void ToProto(const absl::Status& s, v1::Status* out);

}  // namespace clinsim::server

#endif  // CLINSIM_ENV_SERVER_ENVIRONMENT_HANDLER_H_
