#include "env/serialize.h"

namespace clinsim::env {

nlohmann::json ScoreToJson(const Score& s) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& it : s.rubric.items) {
    items.push_back({{"id", it.id}, {"text", it.text}, {"axis", it.axis}, {"kind", it.kind},
                     {"points", it.points}, {"derived", it.derived},
                     {"status", rubrics::ItemStatusName(it.status)}});
  }
  nlohmann::json j = {
      {"case_id", s.case_id},
      {"seed", s.seed},
      {"specialty", s.specialty},
      {"difficulty", s.difficulty},
      {"diagnosis", s.diagnosis},
      {"icd10", s.icd10},
      {"differential", s.differential},
      {"judge_score", s.judge_score},
      {"correct", s.correct},
      {"judge_reason", s.judge_reason},
      {"true_diagnosis", s.true_diagnosis},
      {"true_icd10", s.true_icd10},
      {"cost_usd", s.cost_usd},
      {"visit_cost_usd", s.visit_cost_usd},
      {"test_cost_usd", s.test_cost_usd},
      {"visits", s.visits},
      {"tests_ordered", s.tests_ordered},
      {"discomfort", s.discomfort},
      {"turns", s.turns},
      {"questions", s.questions},
      {"exams", s.exams},
      {"invalid_actions", s.invalid_actions},
      {"terminated", s.terminated},
      {"truncated", s.truncated},
      {"end_reason", s.end_reason},
      {"rubric_coverage", s.rubric.coverage},
      {"rubric_axis_coverage", s.rubric.axis_coverage},
      {"rubric_ungraded", s.rubric.ungraded},
      {"rubric_items", items},
      {"total_reward", s.total_reward},
      {"reward_breakdown", s.reward_breakdown.ToMap()},
      {"facts_revealed", s.facts_revealed},
  };
  if (s.confidence) j["confidence"] = *s.confidence;
  nlohmann::json events = nlohmann::json::array();
  for (const auto& r : s.noise_events) {
    events.push_back({{"turn", r.turn}, {"type", r.event.type}, {"target", r.event.target},
                      {"before", r.event.before}, {"after", r.event.after}});
  }
  j["noise_profile"] = s.noise_profile;
  j["persona"] = s.persona;
  j["noise_events"] = events;
  return j;
}

nlohmann::json MessagesToJson(const std::vector<Message>& messages) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : messages) out.push_back({{"role", m.role}, {"content", m.content}});
  return out;
}

nlohmann::json ObservationToJson(const Observation& o) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : o.findings) {
    nlohmann::json j = {{"kind", f.kind}, {"name", f.name}, {"result", f.result},
                        {"abnormal", f.abnormal}};
    if (!f.catalog_id.empty()) j["catalog_id"] = f.catalog_id;
    if (f.value) j["value"] = *f.value;
    if (!f.unit.empty()) j["unit"] = f.unit;
    if (!f.reference_range.empty()) j["reference_range"] = f.reference_range;
    if (f.kind == "test") {
      j["cost_usd"] = f.cost_usd;
      j["discomfort"] = f.discomfort;
    }
    findings.push_back(std::move(j));
  }
  return {{"messages", MessagesToJson(o.messages)}, {"findings", findings}};
}

nlohmann::json StepResultToJson(const StepResult& r) {
  return {{"observation", ObservationToJson(r.observation)},
          {"reward", r.reward},
          {"reward_breakdown", r.reward_breakdown.ToMap()},
          {"terminated", r.terminated},
          {"truncated", r.truncated},
          {"info",
           {{"action_kind", r.info.action_kind},
            {"parsed_action", r.info.parsed_action},
            {"errors", r.info.errors},
            {"step_cost_usd", r.info.step_cost_usd},
            {"total_cost_usd", r.info.total_cost_usd},
            {"step_discomfort", r.info.step_discomfort},
            {"turn", r.info.turn},
            {"visit_opened", r.info.visit_opened}}}};
}

}  // namespace clinsim::env
