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

Score ScoreFromJson(const nlohmann::json& j) {
  Score s;
  auto str = [&](const char* k) { return j.value(k, std::string()); };
  s.case_id = str("case_id");
  s.seed = j.value("seed", uint64_t{0});
  s.specialty = str("specialty");
  s.difficulty = str("difficulty");
  s.diagnosis = str("diagnosis");
  s.icd10 = str("icd10");
  s.differential = j.value("differential", std::vector<std::string>{});
  if (j.contains("confidence")) s.confidence = j["confidence"].get<double>();
  s.judge_score = j.value("judge_score", 1);
  s.correct = j.value("correct", false);
  s.judge_reason = str("judge_reason");
  s.true_diagnosis = str("true_diagnosis");
  s.true_icd10 = str("true_icd10");
  s.cost_usd = j.value("cost_usd", 0.0);
  s.visit_cost_usd = j.value("visit_cost_usd", 0.0);
  s.test_cost_usd = j.value("test_cost_usd", 0.0);
  s.visits = j.value("visits", 0);
  s.tests_ordered = j.value("tests_ordered", 0);
  s.discomfort = j.value("discomfort", 0);
  s.turns = j.value("turns", 0);
  s.questions = j.value("questions", 0);
  s.exams = j.value("exams", 0);
  s.invalid_actions = j.value("invalid_actions", 0);
  s.terminated = j.value("terminated", false);
  s.truncated = j.value("truncated", false);
  s.end_reason = str("end_reason");
  s.rubric.coverage = j.value("rubric_coverage", 0.0);
  s.rubric.axis_coverage = j.value("rubric_axis_coverage", std::map<std::string, double>{});
  s.rubric.ungraded = j.value("rubric_ungraded", 0);
  for (const auto& it : j.value("rubric_items", nlohmann::json::array())) {
    rubrics::ItemGrade g;
    g.id = it.value("id", "");
    g.text = it.value("text", "");
    g.axis = it.value("axis", "");
    g.kind = it.value("kind", "");
    g.points = it.value("points", 0.0);
    g.derived = it.value("derived", false);
    std::string status = it.value("status", "ungraded");
    g.status = status == "met" ? rubrics::ItemStatus::kMet
               : status == "unmet" ? rubrics::ItemStatus::kUnmet : rubrics::ItemStatus::kUngraded;
    s.rubric.items.push_back(std::move(g));
  }
  s.total_reward = j.value("total_reward", 0.0);
  auto rb = j.value("reward_breakdown", std::map<std::string, double>{});
  s.reward_breakdown.diagnosis = rb["diagnosis"];
  s.reward_breakdown.rubric = rb["rubric"];
  s.reward_breakdown.cost = rb["cost"];
  s.reward_breakdown.discomfort = rb["discomfort"];
  s.reward_breakdown.turns = rb["turns"];
  s.reward_breakdown.invalid_actions = rb["invalid_actions"];
  s.reward_breakdown.information_gain = rb["information_gain"];
  s.facts_revealed = j.value("facts_revealed", std::vector<std::string>{});
  s.noise_profile = str("noise_profile");
  s.persona = str("persona");
  for (const auto& e : j.value("noise_events", nlohmann::json::array())) {
    s.noise_events.push_back({e.value("turn", 0),
                              {e.value("type", ""), e.value("target", ""), e.value("before", ""),
                               e.value("after", "")}});
  }
  return s;
}

nlohmann::json MessagesToJson(const std::vector<Message>& messages) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : messages) out.push_back({{"role", m.role}, {"content", m.content}});
  return out;
}

nlohmann::json ObservationToJson(const Observation& o) {
  return {{"messages", MessagesToJson(o.messages)}, {"findings", FindingsToJson(o.findings)}};
}

nlohmann::json FindingsToJson(const std::vector<Finding>& list) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : list) {
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
  return findings;
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
