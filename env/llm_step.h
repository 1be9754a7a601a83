// Steps an episode whose roles include a model (EpisodeOptions::roles), without blocking: the
// model calls go through the non-blocking chat client and `done` runs when the step is complete,
// on the client's thread (or before StepWithLlm returns when no call was needed).
//
// A step runs in three phases on a private copy of the episode:
//   before  Order: requests the catalog cannot resolve are mapped to catalog tests by the LLM
//           gatekeeper (or left for the rule gatekeeper to refuse); Diagnose: the LLM judge's
//           verdict is fetched;
//   core    the rule-based Episode::Step (retrieval, noise, costs, reward), microseconds;
//   after   Ask: the LLM patient voices the rule patient's answer (leak-checked, regenerated once,
//           else the rule answer stands); Order: the LLM gatekeeper writes results for tests the
//           case does not list; at the end: the LLM grader grades free-text rubric items.
// On success `done` gets the result and the stepped copy, which replaces the episode. When a model
// cannot be reached (after the client's retries) `done` gets UNAVAILABLE and the copy is dropped:
// the episode is as it was and the same step can be sent again.
//
//   auto copy = episode->Clone();
//   StepWithLlm(std::move(copy), action, llm, [](absl::StatusOr<StepResult> r, std::unique_ptr<Episode> ep) {...});
#ifndef CLINSIM_ENV_LLM_STEP_H_
#define CLINSIM_ENV_LLM_STEP_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "agents/llm/chat_client.h"
#include "env/action.h"
#include "env/episode.h"

namespace clinsim::env {

// The model behind each role; an empty name uses the client's default model.
struct LlmRoleModels {
  std::string patient;
  std::string gatekeeper;
  std::string judge;
  std::string grader;
};

struct LlmServices {
  std::shared_ptr<agents::llm::ChatClient> client;
  LlmRoleModels models;
  // Counters for logs and benchmarks.
  mutable std::atomic<int64_t> leaks_blocked{0};  // replies rejected for naming the answer
  mutable std::atomic<int64_t> fallbacks{0};      // rule answers used after a rejected retry
};

using LlmStepDone =
    absl::AnyInvocable<void(absl::StatusOr<StepResult>, std::unique_ptr<Episode>) &&>;

// `episode` is the private copy to step (Episode::Clone()); `llm` must be non-null when the
// episode's options ask for a model role, and the caller keeps it alive until `done` has run
// (the server and bench hold theirs for their lifetime).
void StepWithLlm(std::unique_ptr<Episode> episode, Action action,
                 std::shared_ptr<const LlmServices> llm, LlmStepDone done);

}  // namespace clinsim::env

#endif  // CLINSIM_ENV_LLM_STEP_H_
