#include "env/episode.h"

#include <algorithm>


#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/random.h"
#include "common/text.h"

namespace clinsim::env {
namespace {


}  // namespace

absl::StatusOr<std::unique_ptr<Episode>> Episode::Create(std::shared_ptr<const World> world,
                                                         absl::string_view case_id, uint64_t seed,
                                                         const EpisodeOptions& options) {
  const cases::Case* c = world->FindCase(case_id);
  if (c == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown case '", case_id,
                                            "'; `clinsim cases list` shows the available ids"));
  }
  if (options.max_turns < 1 || options.max_turns > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_turns must be 1..1000, got ", options.max_turns));
  }
  if (options.budget_usd < 0 || options.visit_fee_usd < 0) {
    return absl::InvalidArgumentError("budget_usd and visit_fee_usd must not be negative");
  }
  std::unique_ptr<Episode> ep(new Episode());
  ep->world_ = std::move(world);
  ep->case_ = c;
  ep->seed_ = seed;
  ep->options_ = options;
  if (!options.noise.empty()) {
    ep->noise_ = std::make_shared<const noise::NoiseEngine>(options.noise, seed, c->id);
  }
  agents::Persona persona = options.persona;
  if (options.random_persona) persona = *agents::ParsePersona("random", seed);
  ep->persona_ = persona;
  ep->patient_ = std::make_unique<agents::RulePatient>(
      ep->world_->FactIndexFor(*c), DeriveSeed(seed, "patient"), ep->noise_.get(), persona);
  ep->gatekeeper_ = std::make_unique<agents::RuleGatekeeper>(*c, ep->world_->tests(),
                                                             ep->world_->exams(), ep->noise_.get());
  ep->score_.noise_profile = options.noise.empty() ? "none" : options.noise.name;
  ep->score_.persona = persona.ToString();
  ep->judge_ = std::make_unique<agents::RuleJudge>();
  for (const auto& [role, choice] :
       {std::pair{"patient", options.roles.patient}, {"gatekeeper", options.roles.gatekeeper},
        {"judge", options.roles.judge}, {"grader", options.roles.grader}}) {
    const bool is_grader = absl::string_view(role) == "grader";
    if (choice != "llm" && choice != (is_grader ? "none" : "rule")) {
      return absl::InvalidArgumentError(absl::StrCat(role, " must be ", is_grader ? "none" : "rule",
                                                     " or llm, got '", SafeUtf8Prefix(choice, 40), "'"));
    }
    if (choice == "llm") {
      absl::StrAppend(&ep->score_.llm_roles, ep->score_.llm_roles.empty() ? "" : ",", role, "=llm");
    }
  }
  const auto& p = c->presentation;
  ep->initial_.messages.push_back({"system", p.abstract});
  ep->initial_.messages.push_back(
      {"patient", absl::StrCat("Hello doctor. I'm here because of ", p.chief_complaint, ".")});
  ep->transcript_ = ep->initial_.messages;
  ep->score_.case_id = c->id;
  ep->score_.seed = seed;
  ep->score_.specialty = c->specialty;
  ep->score_.difficulty = c->difficulty;
  return ep;
}

void Episode::AddPenalties(StepResult* r, double usd, int discomfort, int invalid, int gained) {
  const RewardWeights& w = options_.weights;
  RewardBreakdown d;
  d.information_gain = w.information_gain * gained;
  d.cost = -w.cost_per_1000_usd * usd / 1000.0;
  d.discomfort = -w.discomfort * discomfort;
  d.turns = -w.turn;
  d.invalid_actions = -w.invalid_action * invalid;
  score_.reward_breakdown += d;
  if (options_.dense_reward) {
    r->reward_breakdown += d;
    r->reward += d.Sum();
  }
}

StepResult Episode::Invalid(absl::string_view parsed, absl::string_view error) {
  StepResult r;
  ++score_.invalid_actions;
  r.info.action_kind = "invalid";
  r.info.parsed_action = std::string(parsed);
  r.info.errors.push_back(std::string(error));
  Message m{"system", absl::StrCat("Invalid action: ", error)};
  r.observation.messages.push_back(m);
  transcript_.push_back(m);
  AddPenalties(&r, 0, 0, 1);
  return r;
}

absl::StatusOr<StepResult> Episode::StepText(absl::string_view text) {
  if (done_) {
    return absl::FailedPreconditionError(
        absl::StrCat("episode for case '", case_->id, "' has ended (", score_.end_reason,
                     "); reset a new one"));
  }
  absl::StatusOr<Action> a = ParseTaggedAction(text);
  if (!a.ok()) {
    ++turns_;
    std::string shown = SafeUtf8Prefix(text, 200);
    transcript_.push_back({"doctor", shown});
    StepResult r = Invalid(shown, a.status().message());
    r.info.turn = turns_;
    r.info.total_cost_usd = cost_usd_;
    if (turns_ >= options_.max_turns) Finish(&r, "turn_limit");
    return r;
  }
  return Step(*a);
}

absl::StatusOr<StepResult> Episode::Step(const Action& action) {
  if (done_) {
    return absl::FailedPreconditionError(
        absl::StrCat("episode for case '", case_->id, "' has ended (", score_.end_reason,
                     "); reset a new one"));
  }
  ++turns_;
  StepResult r;
  std::string parsed = FormatAction(action);
  if (absl::Status s = ValidateAction(action); !s.ok()) {
    std::string shown = SafeUtf8Prefix(parsed, 200);
    transcript_.push_back({"doctor", shown});
    r = Invalid(shown, s.message());
  } else {
    transcript_.push_back({"doctor", parsed});
    r.info.action_kind = ActionKindName(action.kind);
    r.info.parsed_action = parsed;
    double usd = 0;
    int discomfort = 0;
    auto open_visit = [&] {
      if (!in_visit_) {
        in_visit_ = true;
        usd += options_.visit_fee_usd;
        score_.visit_cost_usd += options_.visit_fee_usd;
        ++score_.visits;
        r.info.visit_opened = true;
      }
    };
    switch (action.kind) {
      case Action::kAsk: {
        agents::PatientReply reply = patient_->Answer(action.question);
        Record(reply.noise_events);
        open_visit();
        ++score_.questions;
        for (int f : reply.revealed_facts) {
          const std::string& id = case_->facts[f].id;
          if (evidence_.facts_revealed.insert(id).second) {
            facts_order_.push_back(id);
            info_gained_ += case_->facts[f].key ? 1 : 0;
          }
        }
        r.observation.messages.push_back({"patient", reply.text});
        break;
      }
      case Action::kExamine: {
        agents::ExamReply reply = gatekeeper_->Examine(action.system);
        Record(reply.noise_events);
        std::vector<std::string> lines;
        for (const auto& e : reply.results) {
          evidence_.systems_examined.insert(e.system);
          const cases::ExamSystem* sys = world_->exams().FindById(e.system);
          std::string label = sys != nullptr ? sys->name : e.system;
          if (!e.maneuver.empty()) absl::StrAppend(&label, " (", e.maneuver, ")");
          lines.push_back(absl::StrCat(label, ": ", e.finding));
          Finding f;
          f.kind = "exam";
          f.name = e.system;
          f.result = e.finding;
          f.abnormal = e.abnormal;
          f.from_case = e.from_case;
          r.observation.findings.push_back(std::move(f));
        }
        for (const auto& err : reply.errors) {
          lines.push_back(absl::StrCat("Not examined: ", err));
          r.info.errors.push_back(err);
        }
        if (!reply.results.empty()) {
          open_visit();
          ++score_.exams;
        }
        r.observation.messages.push_back({"gatekeeper", absl::StrJoin(lines, "\n")});
        break;
      }
      case Action::kOrder: {
        agents::OrderReply reply = gatekeeper_->Order(action.tests);
        Record(reply.noise_events);
        std::vector<std::string> lines;
        for (const auto& t : reply.results) {
          if (evidence_.tests_ordered.insert(t.test->id).second && t.abnormal) ++info_gained_;
          usd += t.test->usd;
          discomfort += t.test->discomfort;
          score_.test_cost_usd += t.test->usd;
          ++score_.tests_ordered;
          lines.push_back(absl::StrCat(t.test->name, ": ", t.result));
          Finding f;
          f.kind = "test";
          f.name = t.test->name;
          f.catalog_id = t.test->id;
          f.result = t.result;
          f.abnormal = t.abnormal;
          f.value = t.value;
          f.unit = t.unit;
          f.reference_range = t.reference_range;
          f.cost_usd = t.test->usd;
          f.discomfort = t.test->discomfort;
          f.from_case = t.from_case;
          r.observation.findings.push_back(std::move(f));
        }
        for (const auto& err : reply.errors) {
          lines.push_back(absl::StrCat("Not done: ", err));
          r.info.errors.push_back(err);
        }
        // An order ends the current visit: the next question opens (and pays for) a new one.
        if (!reply.results.empty()) in_visit_ = false;
        r.observation.messages.push_back({"gatekeeper", absl::StrJoin(lines, "\n")});
        break;
      }
      case Action::kDiagnose: {
        score_.diagnosis = action.diagnosis;
        score_.icd10 = action.icd10;
        score_.differential = action.differential;
        score_.confidence = action.confidence;
        evidence_.diagnosis = action.diagnosis;
        evidence_.differential = action.differential;
        r.observation.messages.push_back(
            {"system", absl::StrCat("Diagnosis recorded: ", action.diagnosis,
                                    ". The consultation is over.")});
        break;
      }
    }
    cost_usd_ += usd;
    score_.discomfort += discomfort;
    r.info.step_cost_usd = usd;
    r.info.step_discomfort = discomfort;
    AddPenalties(&r, usd, discomfort, 0, info_gained_);
    info_gained_ = 0;
    step_transcript_begin_ = transcript_.size();
    for (const auto& m : r.observation.messages) transcript_.push_back(m);
    if (action.kind == Action::kDiagnose) {
      r.info.turn = turns_;
      r.info.total_cost_usd = cost_usd_;
      Finish(&r, "diagnosis");
      return r;
    }
  }
  r.info.turn = turns_;
  r.info.total_cost_usd = cost_usd_;
  if (options_.budget_usd > 0 && cost_usd_ >= options_.budget_usd) {
    Finish(&r, "budget");
  } else if (turns_ >= options_.max_turns) {
    Finish(&r, "turn_limit");
  }
  return r;
}

void Episode::Record(const std::vector<noise::NoiseEvent>& events) {
  for (const auto& e : events) {
    if (recorded_noise_.insert(absl::StrCat(e.type, "\n", e.target)).second) {
      score_.noise_events.push_back({turns_, e});
    }
  }
}

void Episode::EndWithoutDiagnosis(const char* reason) {
  if (done_) return;
  StepResult ignored;
  Finish(&ignored, reason);
}

void Episode::Finish(StepResult* r, const char* reason) {
  done_ = true;
  const bool diagnosed = absl::string_view(reason) == "diagnosis";
  r->terminated = diagnosed;
  r->truncated = !diagnosed;
  score_.terminated = diagnosed;
  score_.truncated = !diagnosed;
  score_.end_reason = reason;
  score_.turns = turns_;
  score_.cost_usd = cost_usd_;
  score_.true_diagnosis = case_->diagnosis.name;
  score_.true_icd10 = case_->diagnosis.icd10;
  score_.facts_revealed = facts_order_;
  if (diagnosed) {
    agents::Verdict v = judge_override_.has_value()
                            ? *std::move(judge_override_)
                            : judge_->Evaluate(case_->diagnosis, score_.diagnosis, score_.icd10,
                                               score_.differential);
    judge_override_.reset();
    score_.judge_score = v.score;
    score_.correct = v.correct;
    score_.judge_reason = v.reason;
  } else {
    score_.judge_score = 1;
    score_.correct = false;
    score_.judge_reason = absl::StrCat("no diagnosis (", reason, ")");
  }
  std::vector<std::string> transcript_lines;
  for (const auto& m : transcript_) transcript_lines.push_back(absl::StrCat(m.role, ": ", m.content));
  evidence_.transcript = absl::StrJoin(transcript_lines, "\n");
  const agents::Judge* judge = judge_.get();
  score_.rubric = rubrics::GradeRubric(
      rubric(), evidence_,
      [judge](absl::string_view a, absl::string_view t) { return judge->Matches(a, t); }, nullptr);
  const RewardWeights& w = options_.weights;
  double dx = score_.correct ? w.diagnosis : 0.0;
  double rub = w.rubric * score_.rubric.coverage;
  score_.reward_breakdown.diagnosis = dx;
  score_.reward_breakdown.rubric = rub;
  r->reward_breakdown.diagnosis += dx;
  r->reward_breakdown.rubric += rub;
  if (!options_.dense_reward) {
    // Sparse: the penalties accumulated over the episode are paid now.
    RewardBreakdown penalties = score_.reward_breakdown;
    penalties.diagnosis = penalties.rubric = 0;  // (information gain is shaping: paid like penalties)
    r->reward_breakdown += penalties;
  }
  r->reward = r->reward_breakdown.Sum();
  score_.total_reward = score_.reward_breakdown.Sum();
}

const std::vector<cases::RubricItem>& Episode::rubric() const { return world_->RubricFor(*case_); }

std::unique_ptr<Episode> Episode::Clone() const {
  std::unique_ptr<Episode> ep(new Episode());
  ep->world_ = world_;
  ep->case_ = case_;
  ep->seed_ = seed_;
  ep->options_ = options_;
  ep->persona_ = persona_;
  ep->noise_ = noise_;  // the roles' pointers to it stay valid: the engine is shared
  ep->recorded_noise_ = recorded_noise_;
  ep->patient_ = patient_->Clone();
  ep->gatekeeper_ = gatekeeper_->Clone();
  ep->judge_ = judge_->Clone();
  ep->judge_override_ = judge_override_;
  ep->initial_ = initial_;
  ep->step_transcript_begin_ = step_transcript_begin_;
  ep->transcript_ = transcript_;
  ep->evidence_ = evidence_;
  ep->facts_order_ = facts_order_;
  ep->info_gained_ = info_gained_;
  ep->in_visit_ = in_visit_;
  ep->done_ = done_;
  ep->turns_ = turns_;
  ep->cost_usd_ = cost_usd_;
  ep->score_ = score_;
  return ep;
}

void Episode::ReviseMessage(StepResult* r, size_t index, std::string text) {
  if (index >= r->observation.messages.size()) return;
  const size_t t = step_transcript_begin_ + index;
  if (t < transcript_.size()) transcript_[t].content = text;
  r->observation.messages[index].content = std::move(text);
}

void Episode::ReviseTestResult(StepResult* r, size_t index, std::string result, bool abnormal) {
  if (index >= r->observation.findings.size()) return;
  Finding& f = r->observation.findings[index];
  if (f.kind != "test") return;
  const std::string old_line = absl::StrCat(f.name, ": ", f.result);
  const std::string new_line = absl::StrCat(f.name, ": ", result);
  for (size_t i = 0; i < r->observation.messages.size(); ++i) {
    Message& m = r->observation.messages[i];
    if (m.role != "gatekeeper") continue;
    size_t at = m.content.find(old_line);
    if (at == std::string::npos) continue;
    m.content.replace(at, old_line.size(), new_line);
    const size_t t = step_transcript_begin_ + i;
    if (t < transcript_.size()) transcript_[t].content = m.content;
    break;
  }
  f.result = std::move(result);
  f.abnormal = abnormal;
}

namespace {

// Answers the rubric's free-text items from grades made beforehand (by the LLM grader).
class PrecomputedGrader : public rubrics::FreeTextGrader {
 public:
  explicit PrecomputedGrader(const std::map<std::string, FreeTextGrade>& grades) : grades_(grades) {}
  std::optional<bool> Grade(const cases::RubricItem& item, const rubrics::RubricEvidence&,
                            std::string* explanation) override {
    auto it = grades_.find(item.id);
    if (it == grades_.end()) return std::nullopt;
    if (explanation != nullptr) *explanation = it->second.explanation;
    return it->second.met;
  }

 private:
  const std::map<std::string, FreeTextGrade>& grades_;
};

}  // namespace

void Episode::ApplyFreeTextGrades(const std::map<std::string, FreeTextGrade>& grades, StepResult* r) {
  if (!done_ || grades.empty()) return;
  const agents::Judge* judge = judge_.get();
  PrecomputedGrader grader(grades);
  score_.rubric = rubrics::GradeRubric(
      rubric(), evidence_,
      [judge](absl::string_view a, absl::string_view t) { return judge->Matches(a, t); }, &grader);
  const double rub = options_.weights.rubric * score_.rubric.coverage;
  const double change = rub - score_.reward_breakdown.rubric;
  score_.reward_breakdown.rubric = rub;
  score_.total_reward = score_.reward_breakdown.Sum();
  r->reward_breakdown.rubric += change;
  r->reward = r->reward_breakdown.Sum();
}

}  // namespace clinsim::env
