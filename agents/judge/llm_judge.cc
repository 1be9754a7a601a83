#include "agents/judge/llm_judge.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agents/llm/json_reply.h"

namespace clinsim::agents {

llm::ChatRequest JudgeRequest(const cases::Diagnosis& truth, absl::string_view diagnosis,
                              absl::string_view icd10, const std::vector<std::string>& differential,
                              const std::string& model, uint64_t seed) {
  llm::ChatRequest r;
  r.model = model;
  r.temperature = 0;
  r.max_tokens = 300;
  r.seed = seed;
  r.json_object = true;
  r.messages.push_back(
      {"system",
       "You judge whether a doctor's final diagnosis matches the correct diagnosis of a clinical "
       "case. Score it on this scale: 5 = the same diagnosis (any wording, abbreviation or "
       "synonym); 4 = the same disease at a broader or narrower level that would lead to the "
       "same management; 3 = a closely related disease that would change management; 2 = the "
       "right organ system or category but a different disease; 1 = wrong or no diagnosis. Judge "
       "only the doctor's main diagnosis, not the differential. Reply with JSON only: "
       "{\"score\": 1-5, \"reasoning\": \"one or two sentences\"}."});
  std::string user = absl::StrCat("Correct diagnosis: ", truth.name);
  if (!truth.aliases.empty()) absl::StrAppend(&user, " (also called: ", absl::StrJoin(truth.aliases, "; "), ")");
  if (!truth.icd10.empty()) absl::StrAppend(&user, ", ICD-10 ", truth.icd10);
  absl::StrAppend(&user, "\nDoctor's diagnosis: ", diagnosis);
  if (!icd10.empty()) absl::StrAppend(&user, " (ICD-10 given: ", icd10, ")");
  if (!differential.empty()) absl::StrAppend(&user, "\nDoctor's differential: ", absl::StrJoin(differential, "; "));
  r.messages.push_back({"user", std::move(user)});
  return r;
}

absl::StatusOr<Verdict> ParseJudgeReply(absl::string_view reply) {
  absl::StatusOr<nlohmann::json> j = llm::ExtractJsonObject(reply);
  if (!j.ok()) return j.status();
  auto score = j->find("score");
  double s = 0;
  if (score != j->end() && score->is_number()) s = score->get<double>();
  if (score != j->end() && score->is_string()) s = std::atof(score->get<std::string>().c_str());
  if (!(s >= 1 && s <= 5) || s != std::floor(s)) {
    return absl::DataLossError(absl::StrCat("the judge model's reply has no score from 1 to 5: ",
                                            llm::Quote(reply)));
  }
  Verdict v;
  v.score = static_cast<int>(s);
  v.correct = v.score >= 4;
  auto reasoning = j->find("reasoning");
  v.reason = absl::StrCat("llm judge: ", reasoning != j->end() && reasoning->is_string()
                                              ? reasoning->get<std::string>()
                                              : std::string("(no reasoning given)"));
  return v;
}

llm::ChatRequest GraderRequest(const cases::RubricItem& item, absl::string_view transcript,
                               const std::string& model, uint64_t seed) {
  llm::ChatRequest r;
  r.model = model;
  r.temperature = 0;
  r.max_tokens = 300;
  r.seed = seed;
  r.json_object = true;
  r.messages.push_back(
      {"system",
       "You are grading a doctor's consultation with a simulated patient against one rubric "
       "criterion. Read the conversation and decide whether the doctor met the criterion. A "
       "criterion that describes something undesirable (negative points) is \"met\" when the "
       "doctor did that undesirable thing. Reply with JSON only: {\"criteria_met\": true|false, "
       "\"explanation\": \"one or two sentences\"}."});
  r.messages.push_back({"user", absl::StrCat("<conversation>\n", transcript, "\n</conversation>\n",
                                             "<criterion points=\"", item.points, "\">", item.text,
                                             "</criterion>")});
  return r;
}

absl::StatusOr<RubricGrade> ParseGraderReply(absl::string_view reply) {
  absl::StatusOr<nlohmann::json> j = llm::ExtractJsonObject(reply);
  if (!j.ok()) return j.status();
  auto met = j->find("criteria_met");
  if (met == j->end() || !met->is_boolean()) {
    return absl::DataLossError(absl::StrCat("the grader model's reply has no boolean criteria_met: ",
                                            llm::Quote(reply)));
  }
  RubricGrade g;
  g.met = met->get<bool>();
  auto ex = j->find("explanation");
  g.explanation = ex != j->end() && ex->is_string() ? ex->get<std::string>() : "";
  return g;
}

}  // namespace clinsim::agents
