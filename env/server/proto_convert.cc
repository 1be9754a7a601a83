#include "env/server/proto_convert.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "agents/patient/persona.h"
#include "common/text.h"
#include "env/serialize.h"
#include "noise/noise.h"

namespace clinsim::server {
namespace {

absl::Status CheckText(absl::string_view field, const std::string& v) {
  if (!IsValidUtf8(v)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8; send UTF-8 text"));
  }
  if (v.size() > 4 * env::kMaxTextLength) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is ", v.size(), " bytes; the limit is ",
                                                   4 * env::kMaxTextLength));
  }
  return absl::OkStatus();
}

absl::Status CheckRange(absl::string_view field, double v, double lo, double hi) {
  if (!std::isfinite(v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("EpisodeOptions.", field, " is ", v, "; it must be between ", lo, " and ", hi));
  }
  return absl::OkStatus();
}

}  // namespace

void ToProto(const env::Finding& f, v1::Finding* out) {
  out->set_kind(f.kind);
  out->set_name(f.name);
  out->set_catalog_id(f.catalog_id);
  out->set_result(f.result);
  out->set_abnormal(f.abnormal);
  if (f.value) out->set_value(*f.value);
  out->set_unit(f.unit);
  out->set_reference_range(f.reference_range);
  out->set_cost_usd(f.cost_usd);
  out->set_discomfort(f.discomfort);
}

void ToProto(const env::Observation& o, v1::Observation* out) {
  for (const auto& m : o.messages) {
    v1::Message* pm = out->add_messages();
    pm->set_role(m.role);
    pm->set_content(m.content);
  }
  for (const auto& f : o.findings) ToProto(f, out->add_findings());
}

void ToProto(const env::StepInfo& info, v1::StepInfo* out) {
  out->set_action_kind(info.action_kind);
  out->set_parsed_action(info.parsed_action);
  for (const auto& e : info.errors) out->add_errors(e);
  out->set_step_cost_usd(info.step_cost_usd);
  out->set_total_cost_usd(info.total_cost_usd);
  out->set_step_discomfort(info.step_discomfort);
  out->set_turn(info.turn);
  out->set_visit_opened(info.visit_opened);
}

void ToProto(const env::RewardBreakdown& r, v1::RewardBreakdown* out) {
  out->set_diagnosis(r.diagnosis);
  out->set_rubric(r.rubric);
  out->set_cost(r.cost);
  out->set_discomfort(r.discomfort);
  out->set_turns(r.turns);
  out->set_invalid_actions(r.invalid_actions);
  out->set_information_gain(r.information_gain);
}

void ToProto(const env::StepResult& r, v1::StepResponse* out) {
  ToProto(r.observation, out->mutable_observation());
  out->set_reward(r.reward);
  ToProto(r.reward_breakdown, out->mutable_reward_breakdown());
  out->set_terminated(r.terminated);
  out->set_truncated(r.truncated);
  ToProto(r.info, out->mutable_info());
}

void ToProto(const env::Score& s, v1::Score* out) {
  out->set_case_id(s.case_id);
  out->set_seed(s.seed);
  out->set_specialty(s.specialty);
  out->set_difficulty(s.difficulty);
  out->set_diagnosis(s.diagnosis);
  out->set_icd10(s.icd10);
  for (const auto& d : s.differential) out->add_differential(d);
  if (s.confidence) out->set_confidence(*s.confidence);
  out->set_judge_score(s.judge_score);
  out->set_correct(s.correct);
  out->set_judge_reason(s.judge_reason);
  out->set_true_diagnosis(s.true_diagnosis);
  out->set_true_icd10(s.true_icd10);
  out->set_cost_usd(s.cost_usd);
  out->set_visit_cost_usd(s.visit_cost_usd);
  out->set_test_cost_usd(s.test_cost_usd);
  out->set_visits(s.visits);
  out->set_tests_ordered(s.tests_ordered);
  out->set_discomfort(s.discomfort);
  out->set_turns(s.turns);
  out->set_questions(s.questions);
  out->set_exams(s.exams);
  out->set_invalid_actions(s.invalid_actions);
  out->set_terminated(s.terminated);
  out->set_truncated(s.truncated);
  out->set_end_reason(s.end_reason);
  v1::RubricScore* rs = out->mutable_rubric();
  rs->set_coverage(s.rubric.coverage);
  for (const auto& [axis, c] : s.rubric.axis_coverage) (*rs->mutable_axis_coverage())[axis] = c;
  rs->set_met_points(s.rubric.met_points);
  rs->set_possible_points(s.rubric.possible_points);
  rs->set_ungraded(s.rubric.ungraded);
  for (const auto& g : s.rubric.items) {
    v1::RubricItemGrade* pg = rs->add_items();
    pg->set_id(g.id);
    pg->set_text(g.text);
    pg->set_axis(g.axis);
    pg->set_kind(g.kind);
    pg->set_points(g.points);
    pg->set_derived(g.derived);
    pg->set_status(rubrics::ItemStatusName(g.status));
    pg->set_explanation(g.explanation);
  }
  out->set_total_reward(s.total_reward);
  ToProto(s.reward_breakdown, out->mutable_reward_breakdown());
  for (const auto& f : s.facts_revealed) out->add_facts_revealed(f);
  out->set_noise_profile(s.noise_profile);
  out->set_persona(s.persona);
  for (const auto& e : s.noise_events) {
    v1::NoiseEvent* pe = out->add_noise_events();
    pe->set_turn(e.turn);
    pe->set_type(e.event.type);
    pe->set_target(e.event.target);
    pe->set_before(e.event.before);
    pe->set_after(e.event.after);
  }
  out->set_json(env::ScoreToJson(s).dump());
}

void ToProto(const env::Action& a, v1::Action* out) {
  switch (a.kind) {
    case env::Action::kAsk:
      out->mutable_ask()->set_question(a.question);
      break;
    case env::Action::kExamine:
      out->mutable_examine()->set_system(a.system);
      break;
    case env::Action::kOrder:
      for (const auto& t : a.tests) out->mutable_order()->add_tests(t);
      break;
    case env::Action::kDiagnose: {
      v1::Diagnose* d = out->mutable_diagnose();
      d->set_diagnosis(a.diagnosis);
      d->set_icd10(a.icd10);
      for (const auto& x : a.differential) d->add_differential(x);
      if (a.confidence) d->set_confidence(*a.confidence);
      break;
    }
  }
}

void ToProto(const env::EpisodeOptions& o, v1::EpisodeOptions* out) {
  out->set_max_turns(o.max_turns);
  out->set_budget_usd(o.budget_usd);
  out->set_visit_fee_usd(o.visit_fee_usd);
  out->set_dense_reward(o.dense_reward);
  v1::RewardWeights* w = out->mutable_reward_weights();
  w->set_diagnosis(o.weights.diagnosis);
  w->set_rubric(o.weights.rubric);
  w->set_cost_per_1000_usd(o.weights.cost_per_1000_usd);
  w->set_discomfort(o.weights.discomfort);
  w->set_turn(o.weights.turn);
  w->set_invalid_action(o.weights.invalid_action);
  w->set_information_gain(o.weights.information_gain);
  out->set_noise(o.noise.empty() ? std::string("none") : o.noise.name);
  out->set_persona(o.random_persona ? std::string("random") : o.persona.ToString());
  out->set_invalid_action_as_turn(false);
  out->set_patient(o.roles.patient);
  out->set_gatekeeper(o.roles.gatekeeper);
  out->set_judge(o.roles.judge);
  out->set_grader(o.roles.grader);
}

env::Observation FromProto(const v1::Observation& o) {
  env::Observation out;
  for (const auto& m : o.messages()) out.messages.push_back({m.role(), m.content()});
  for (const auto& f : o.findings()) {
    env::Finding x;
    x.kind = f.kind();
    x.name = f.name();
    x.catalog_id = f.catalog_id();
    x.result = f.result();
    x.abnormal = f.abnormal();
    if (f.has_value()) x.value = f.value();
    x.unit = f.unit();
    x.reference_range = f.reference_range();
    x.cost_usd = f.cost_usd();
    x.discomfort = f.discomfort();
    out.findings.push_back(std::move(x));
  }
  return out;
}

env::StepInfo FromProto(const v1::StepInfo& info) {
  env::StepInfo out;
  out.action_kind = info.action_kind();
  out.parsed_action = info.parsed_action();
  out.errors.assign(info.errors().begin(), info.errors().end());
  out.step_cost_usd = info.step_cost_usd();
  out.total_cost_usd = info.total_cost_usd();
  out.step_discomfort = info.step_discomfort();
  out.turn = info.turn();
  out.visit_opened = info.visit_opened();
  return out;
}

absl::StatusOr<env::Action> ActionFromProto(const v1::Action& a) {
  env::Action out;
  switch (a.kind_case()) {
    case v1::Action::kText: {
      if (auto s = CheckText("Action.text", a.text()); !s.ok()) return s;
      return env::ParseTaggedAction(a.text());
    }
    case v1::Action::kAsk:
      out = env::Action::Ask(a.ask().question());
      break;
    case v1::Action::kExamine:
      out = env::Action::Examine(a.examine().system());
      break;
    case v1::Action::kOrder:
      if (a.order().tests_size() > static_cast<int>(env::kMaxTestsPerOrder)) {
        return absl::InvalidArgumentError(absl::StrCat("Order lists ", a.order().tests_size(),
                                                       " tests; the limit is ", env::kMaxTestsPerOrder,
                                                       " per order"));
      }
      out = env::Action::Order({a.order().tests().begin(), a.order().tests().end()});
      break;
    case v1::Action::kDiagnose: {
      const v1::Diagnose& d = a.diagnose();
      out = env::Action::Diagnose(d.diagnosis(), {d.differential().begin(), d.differential().end()},
                                  d.icd10());
      if (d.has_confidence()) {
        if (!std::isfinite(d.confidence()) || d.confidence() < 0 || d.confidence() > 1) {
          return absl::InvalidArgumentError(
              absl::StrCat("Diagnose.confidence is ", d.confidence(), "; it must be between 0 and 1"));
        }
        out.confidence = d.confidence();
      }
      break;
    }
    case v1::Action::KIND_NOT_SET:
      return absl::InvalidArgumentError(
          "the action is empty: set one of ask, examine, order, diagnose, or text (the tagged "
          "form, e.g. \"ASK: When did it start?\")");
  }
  if (auto s = env::ValidateAction(out); !s.ok()) return s;
  return out;
}

env::Action UncheckedActionFromProto(const v1::Action& a) {
  switch (a.kind_case()) {
    case v1::Action::kAsk:
      return env::Action::Ask(a.ask().question());
    case v1::Action::kExamine:
      return env::Action::Examine(a.examine().system());
    case v1::Action::kOrder: {
      // Keep the count over the limit (so validation says so) without copying a huge list.
      std::vector<std::string> tests;
      for (int i = 0; i < a.order().tests_size() && i <= static_cast<int>(env::kMaxTestsPerOrder); ++i) {
        tests.push_back(a.order().tests(i));
      }
      return env::Action::Order(std::move(tests));
    }
    case v1::Action::kDiagnose: {
      const v1::Diagnose& d = a.diagnose();
      env::Action out = env::Action::Diagnose(d.diagnosis(), {d.differential().begin(), d.differential().end()},
                                              d.icd10());
      if (d.has_confidence()) out.confidence = d.confidence();
      return out;
    }
    default:
      return env::Action::Ask("");
  }
}

absl::StatusOr<env::EpisodeOptions> OptionsFromProto(const v1::EpisodeOptions& o) {
  env::EpisodeOptions out;
  if (o.has_max_turns()) {
    if (o.max_turns() < 1 || o.max_turns() > 1000) {
      return absl::InvalidArgumentError(
          absl::StrCat("EpisodeOptions.max_turns is ", o.max_turns(), "; it must be between 1 and 1000"));
    }
    out.max_turns = o.max_turns();
  }
  if (o.has_budget_usd()) {
    if (auto s = CheckRange("budget_usd", o.budget_usd(), 0, 1e9); !s.ok()) return s;
    out.budget_usd = o.budget_usd();
  }
  if (o.has_visit_fee_usd()) {
    if (auto s = CheckRange("visit_fee_usd", o.visit_fee_usd(), 0, 1e6); !s.ok()) return s;
    out.visit_fee_usd = o.visit_fee_usd();
  }
  if (o.has_dense_reward()) out.dense_reward = o.dense_reward();
  const v1::RewardWeights& w = o.reward_weights();
  struct Slot {
    bool set;
    double value;
    const char* name;
    double* target;
  } slots[] = {
      {w.has_diagnosis(), w.diagnosis(), "diagnosis", &out.weights.diagnosis},
      {w.has_rubric(), w.rubric(), "rubric", &out.weights.rubric},
      {w.has_cost_per_1000_usd(), w.cost_per_1000_usd(), "cost_per_1000_usd", &out.weights.cost_per_1000_usd},
      {w.has_discomfort(), w.discomfort(), "discomfort", &out.weights.discomfort},
      {w.has_turn(), w.turn(), "turn", &out.weights.turn},
      {w.has_invalid_action(), w.invalid_action(), "invalid_action", &out.weights.invalid_action},
      {w.has_information_gain(), w.information_gain(), "information_gain", &out.weights.information_gain},
  };
  for (const Slot& s : slots) {
    if (!s.set) continue;
    if (auto st = CheckRange(absl::StrCat("reward_weights.", s.name), s.value, -1e6, 1e6); !st.ok()) {
      return st;
    }
    *s.target = s.value;
  }
  if (!o.noise().empty()) {
    if (auto s = CheckText("EpisodeOptions.noise", o.noise()); !s.ok()) return s;
    auto noise = noise::ParseNoiseSpec(o.noise());
    if (!noise.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("EpisodeOptions.noise: ", noise.status().message()));
    }
    out.noise = *std::move(noise);
  }
  if (!o.persona().empty()) {
    if (auto s = CheckText("EpisodeOptions.persona", o.persona()); !s.ok()) return s;
    if (o.persona() == "random") {
      out.random_persona = true;
    } else {
      auto p = agents::ParsePersona(o.persona(), 0);
      if (!p.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("EpisodeOptions.persona: ", p.status().message()));
      }
      out.persona = *std::move(p);
    }
  }
  const std::pair<const std::string*, std::string*> roles[] = {
      {&o.patient(), &out.roles.patient}, {&o.gatekeeper(), &out.roles.gatekeeper},
      {&o.judge(), &out.roles.judge}, {&o.grader(), &out.roles.grader}};
  for (const auto& [in, target] : roles) {
    if (in->empty()) continue;
    if (auto s = CheckText("EpisodeOptions role", *in); !s.ok()) return s;
    *target = *in;  // checked by Episode::Create, which names the role and the choices
  }
  return out;
}

}  // namespace clinsim::server
