// The LLM doctor for `clinsim bench --doctor llm`: a model consults through the tagged action
// form. Each turn it sees the new observation and replies with one action; the reply may carry
// reasoning before the action, and the action is read from its first tagged line on (ASK:,
// EXAMINE:, ORDER:, DIAGNOSIS:). A reply with no action that parses is answered with the parse
// error and the grammar and asked again, twice; after that the doctor asks the patient an open
// question so the episode goes on (counted in recoveries()). On its last turn it is told to
// diagnose. When the model cannot be reached, status() is UNAVAILABLE and bench stops with the
// episodes recorded so far kept (a run store resumes).
//
// The system prompt is kLlmDoctorSystemPrompt (docs/llm.md shows it); requests carry a seed
// derived from the episode seed and temperature 0, so a cached run replays exactly.
//
//   RegisterDoctor("llm", [client] { return std::make_unique<LlmDoctor>(client, "qwen2.5-7b"); });
#ifndef CLINSIM_AGENTS_DOCTORS_LLM_DOCTOR_H_
#define CLINSIM_AGENTS_DOCTORS_LLM_DOCTOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "agents/doctors/doctor.h"
#include "agents/llm/chat_client.h"

namespace clinsim::agents {

// {max_turns} is replaced by the episode's turn limit.
extern const char kLlmDoctorSystemPrompt[];

// The action in a model's reply, from its first tagged line on; INVALID_ARGUMENT when none parses.
absl::StatusOr<env::Action> ParseDoctorReply(absl::string_view reply);

class LlmDoctor : public Doctor {
 public:
  LlmDoctor(std::shared_ptr<llm::ChatClient> client, std::string model);

  void Configure(const env::EpisodeOptions& options) override { max_turns_ = options.max_turns; }
  // Blocking forms (play, tests); bench uses the asynchronous ones.
  env::Action Start(const env::Observation& initial, uint64_t seed) override;
  env::Action Act(const env::Observation& observation) override;
  void StartAsync(const env::Observation& initial, uint64_t seed, ActionDone done) override;
  void ActOnStepAsync(const env::StepResult& step, ActionDone done) override;
  absl::Status status() const override;
  int recoveries() const { return recoveries_; }

 private:
  void Turn(const env::Observation& observation, ActionDone done);
  void Ask(int attempt, ActionDone done);

  std::shared_ptr<llm::ChatClient> client_;
  std::string model_;
  uint64_t seed_ = 0;
  int max_turns_ = 40;
  int turns_ = 0;
  int recoveries_ = 0;
  std::vector<llm::ChatMessage> messages_;
  mutable absl::Mutex mu_;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_DOCTORS_LLM_DOCTOR_H_
