// One consultation: the POMDP core. Reset with a case, a seed and options; Step with actions until
// the doctor diagnoses (terminated) or the turn limit or budget is reached (truncated); then the
// Score holds the verdict, costs and rubric coverage. The ground truth appears in no observation;
// it is in the Score only, which exists only after the end.
//
// Costs follow SDBench: a physician visit fee (default $300) opens with the first Ask/Examine after
// the start or after an Order, and covers consecutive Ask/Examine turns; tests are priced from the
// catalog. Discomfort (0..3 per test) is reported beside money, never mixed into it.
//
// Reward = sum of named components (see docs/scoring.md for the formula and defaults):
//   diagnosis  +w_diagnosis if correct        rubric     +w_rubric * coverage
//   cost       -w_cost * usd / 1000           discomfort -w_discomfort * points
//   turns      -w_turn * turns                invalid_actions -w_invalid * invalid actions
// Sparse mode pays everything at the end; dense mode pays cost, discomfort, turns and invalid
// actions as they happen. Both sum to the same episode total.
//
//   auto ep = Episode::Create(world, "cardiology_inferior_stemi", 7, {}).value();
//   StepResult r = ep->StepText("ASK: Where does the pain go?").value();
//   ...
//   const Score& s = *ep->score();
#ifndef CLINSIM_ENV_EPISODE_H_
#define CLINSIM_ENV_EPISODE_H_

#include "absl/strings/string_view.h"
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "agents/gatekeeper/gatekeeper.h"
#include "agents/judge/judge.h"
#include "agents/patient/patient.h"
#include "agents/patient/persona.h"
#include "noise/noise.h"
#include "env/action.h"
#include "env/world.h"
#include "rubrics/rubric.h"

namespace clinsim::env {

struct RewardWeights {
  double diagnosis = 1.0;       // paid when the judge says correct (score >= 4)
  double rubric = 0.5;          // times rubric coverage in [0, 1]
  double cost_per_1000_usd = 0.1;
  double discomfort = 0.01;     // per discomfort point
  double turn = 0.0;            // per turn
  double invalid_action = 0.05; // per invalid action
  double information_gain = 0.0;  // per key fact or abnormal result newly revealed (shaping)
};

// The named reward components of one step or of a whole episode. Fixed fields, not a map: the
// hot path fills one per step.
struct RewardBreakdown {
  double diagnosis = 0;
  double rubric = 0;
  double cost = 0;
  double discomfort = 0;
  double turns = 0;
  double invalid_actions = 0;
  double information_gain = 0;

  double Sum() const {
    return diagnosis + rubric + cost + discomfort + turns + invalid_actions + information_gain;
  }
  std::map<std::string, double> ToMap() const {
    return {{"diagnosis", diagnosis},   {"rubric", rubric},
            {"cost", cost},             {"discomfort", discomfort},
            {"turns", turns},           {"invalid_actions", invalid_actions},
            {"information_gain", information_gain}};
  }
  RewardBreakdown& operator+=(const RewardBreakdown& o) {
    diagnosis += o.diagnosis;
    rubric += o.rubric;
    cost += o.cost;
    discomfort += o.discomfort;
    turns += o.turns;
    invalid_actions += o.invalid_actions;
    information_gain += o.information_gain;
    return *this;
  }
};

// Which implementation plays each role of the environment. "llm" roles are played by a model
// through env/llm_step.h (the episode must then be stepped with StepWithLlm); the rule-based
// roles are the offline default.
struct RoleOptions {
  std::string patient = "rule";     // rule | llm: voices the facts the retriever selected
  std::string gatekeeper = "rule";  // rule | llm: maps free-text orders, writes unlisted results
  std::string judge = "rule";       // rule | llm
  std::string grader = "none";      // none | llm: grades free-text rubric items
  bool any_llm() const {
    return patient == "llm" || gatekeeper == "llm" || judge == "llm" || grader == "llm";
  }
};

struct EpisodeOptions {
  int max_turns = 40;
  double budget_usd = 0;        // 0: no budget limit
  double visit_fee_usd = 300;
  RewardWeights weights;
  bool dense_reward = false;
  noise::NoiseProfile noise;  // default: none
  agents::Persona persona;    // default: plain
  bool random_persona = false;  // draw the persona from the episode seed instead
  RoleOptions roles;
};

// A noise event as recorded in the score: when it first happened and what it changed.
struct RecordedNoiseEvent {
  int turn = 0;
  noise::NoiseEvent event;
};

struct Message {
  std::string role;  // doctor | patient | gatekeeper | system
  std::string content;
};

// A structured finding revealed by one step (exam or test).
struct Finding {
  std::string kind;  // exam | test
  std::string name;  // exam system id or catalog test name
  std::string catalog_id;
  std::string result;
  bool abnormal = false;
  std::optional<double> value;
  std::string unit;
  std::string reference_range;
  double cost_usd = 0;
  int discomfort = 0;
  // Internal, never sent to the doctor: whether the case lists this result (false: the catalog's
  // normal result, which the LLM gatekeeper may rewrite).
  bool from_case = false;
};

struct Observation {
  std::vector<Message> messages;  // new this step (at reset: the presentation)
  std::vector<Finding> findings;  // new this step
};

struct StepInfo {
  std::string action_kind;    // ask | examine | order | diagnose | invalid
  std::string parsed_action;  // how the action was understood, in tagged form
  std::vector<std::string> errors;  // refusals, unknown tests, parse errors: nothing charged
  double step_cost_usd = 0;
  double total_cost_usd = 0;
  int step_discomfort = 0;
  int turn = 0;
  bool visit_opened = false;
};

struct StepResult {
  Observation observation;
  double reward = 0;
  RewardBreakdown reward_breakdown;
  bool terminated = false;
  bool truncated = false;
  StepInfo info;
};

struct Score {
  std::string case_id;
  uint64_t seed = 0;
  std::string specialty;
  std::string difficulty;
  // What the doctor said.
  std::string diagnosis;
  std::string icd10;
  std::vector<std::string> differential;
  std::optional<double> confidence;
  // The verdict and the answer.
  int judge_score = 1;
  bool correct = false;
  std::string judge_reason;
  std::string true_diagnosis;
  std::string true_icd10;
  // Costs and effort.
  double cost_usd = 0;
  double visit_cost_usd = 0;
  double test_cost_usd = 0;
  int visits = 0;
  int tests_ordered = 0;
  int discomfort = 0;
  int turns = 0;
  int questions = 0;
  int exams = 0;
  int invalid_actions = 0;
  bool terminated = false;
  bool truncated = false;
  std::string end_reason;  // diagnosis | turn_limit | budget
  rubrics::RubricScore rubric;
  double total_reward = 0;
  RewardBreakdown reward_breakdown;  // episode totals per component
  std::vector<std::string> facts_revealed;  // fact ids, in order
  // Hidden from the doctor during the episode: the noise and persona it faced.
  std::string noise_profile;
  std::string persona;
  std::vector<RecordedNoiseEvent> noise_events;  // first occurrence of each (type, target)
  // Which roles were played by a model, e.g. "patient=llm,judge=llm"; empty when all rule-based.
  std::string llm_roles;
};

// The grade of one free-text rubric item by an outside grader (the LLM rubric grader).
struct FreeTextGrade {
  bool met = false;
  std::string explanation;
};

class Episode {
 public:
  static absl::StatusOr<std::unique_ptr<Episode>> Create(std::shared_ptr<const World> world,
                                                         absl::string_view case_id, uint64_t seed,
                                                         const EpisodeOptions& options);

  const Observation& initial_observation() const { return initial_; }
  // FAILED_PRECONDITION after the end; an invalid action is not a status error but an error
  // observation that counts as a turn and an invalid action.
  absl::StatusOr<StepResult> Step(const Action& action);
  // Parses the tagged form; a parse error becomes an invalid-action step.
  absl::StatusOr<StepResult> StepText(absl::string_view text);

  // Ends the episode now without a diagnosis (truncated), e.g. when a player's input ends.
  // No-op after the end.
  void EndWithoutDiagnosis(const char* reason);

  bool done() const { return done_; }
  const Score* score() const { return done_ ? &score_ : nullptr; }
  const std::vector<Message>& transcript() const { return transcript_; }
  const cases::Case& case_data() const { return *case_; }
  uint64_t seed() const { return seed_; }
  int turns() const { return turns_; }
  double cost_usd() const { return cost_usd_; }
  const EpisodeOptions& options() const { return options_; }
  const World& world() const { return *world_; }
  const agents::Persona& persona() const { return persona_; }  // as drawn when random
  // The rubric the episode is graded on (authored, or derived when the case has none).
  const std::vector<cases::RubricItem>& rubric() const;

  // Hooks for the LLM roles (env/llm_step.h), which step a copy of the episode so that a step
  // whose model call fails leaves the episode untouched and the step can be retried.
  std::unique_ptr<Episode> Clone() const;
  // The next diagnosis gets this verdict instead of the rule judge's.
  void SetJudgeVerdict(agents::Verdict verdict) { judge_override_ = std::move(verdict); }
  // Replaces message `index` of the step just taken (`r` is its result), in `r` and in the
  // transcript.
  void ReviseMessage(StepResult* r, size_t index, std::string text);
  // Replaces the result of test finding `index` of the step just taken, in the finding, the
  // gatekeeper's message and the transcript.
  void ReviseTestResult(StepResult* r, size_t index, std::string result, bool abnormal);
  // After the end: grades free-text rubric items (by id) that the rule grader left ungraded, and
  // updates coverage, the rubric reward component and the totals in the score and in `r`.
  void ApplyFreeTextGrades(const std::map<std::string, FreeTextGrade>& grades, StepResult* r);

 private:
  Episode() = default;
  StepResult Invalid(absl::string_view parsed, absl::string_view error);
  void Finish(StepResult* r, const char* reason);
  void AddPenalties(StepResult* r, double usd, int discomfort, int invalid, int gained = 0);

  std::shared_ptr<const World> world_;
  const cases::Case* case_ = nullptr;
  uint64_t seed_ = 0;
  EpisodeOptions options_;
  agents::Persona persona_;
  void Record(const std::vector<noise::NoiseEvent>& events);

  // Shared by clones: a pure function of (profile, seed, case) with no state.
  std::shared_ptr<const noise::NoiseEngine> noise_;  // null when the profile is empty
  absl::flat_hash_set<std::string> recorded_noise_;  // "type\ntarget" already in the score
  std::unique_ptr<agents::Patient> patient_;
  std::unique_ptr<agents::Gatekeeper> gatekeeper_;
  std::unique_ptr<agents::Judge> judge_;
  std::optional<agents::Verdict> judge_override_;
  Observation initial_;
  size_t step_transcript_begin_ = 0;  // where the last step's observation messages start
  std::vector<Message> transcript_;
  rubrics::RubricEvidence evidence_;
  std::vector<std::string> facts_order_;
  int info_gained_ = 0;  // key facts and abnormal results revealed for the first time, this step
  bool in_visit_ = false;
  bool done_ = false;
  int turns_ = 0;
  double cost_usd_ = 0;
  Score score_;
};

}  // namespace clinsim::env

#endif  // CLINSIM_ENV_EPISODE_H_
