#include "agents/doctors/scripted_doctor.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "agents/doctors/disease_table.h"
#include "common/text.h"

namespace clinsim::agents {
namespace {

constexpr const char* kScript[] = {
    "What brings you in today, and when did it start?",
    "Can you describe what it feels like, and how severe is it?",
    "Does it spread anywhere? What makes it better or worse?",
    "Have you had any fever, chills, night sweats or weight loss?",
    "Any cough, shortness of breath, chest pain or palpitations?",
    "Any nausea, vomiting, diarrhea, abdominal pain or change in your bowels?",
    "Any headache, weakness, numbness, vision changes or dizziness?",
    "Any problems passing urine, any rashes or any joint pains?",
    "What medical conditions do you have, and have you had any operations?",
    "What medications do you take, and do you have any allergies?",
    "Do you smoke, drink alcohol or use recreational drugs?",
    "Does any illness run in your family?",
    "What do you do for work, and have you travelled recently?",
};
constexpr const char* kWomensQuestion =
    "When was your last menstrual period, and could you be pregnant?";
constexpr const char* kExamSystems =
    "vitals, general, heent, neck, lymph_nodes, cardiovascular, respiratory, abdominal, "
    "neurological, musculoskeletal, extremities, skin";

}  // namespace

env::Action ScriptedDoctor::Start(const env::Observation& initial, uint64_t seed) {
  phase_ = Phase::kHistory;
  question_ = 0;
  evidence_.clear();
  ordered_.clear();
  std::string intro;
  for (const auto& m : initial.messages) absl::StrAppend(&intro, m.content, "\n");
  std::string norm = NormalizeText(intro);
  female_ = ContainsPhrase(absl::StrCat(" ", norm, " "), "woman") ||
            ContainsPhrase(norm, "female") || ContainsPhrase(norm, "girl");
  return Act(initial);
}

std::vector<int> ScriptedDoctor::Ranking() const {
  std::vector<double> s = DiseaseTable::Default().ScoreText(evidence_);
  std::vector<int> order(s.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return s[a] > s[b]; });
  return order;
}

env::Action ScriptedDoctor::OrderFor(const std::vector<int>& ranking, int diseases, int max_tests) {
  const auto& table = DiseaseTable::Default().diseases();
  std::vector<std::string> tests;
  for (int i = 0; i < diseases && i < static_cast<int>(ranking.size()); ++i) {
    for (const auto& t : table[ranking[i]].tests) {
      if (static_cast<int>(tests.size()) >= max_tests) break;
      if (ordered_.insert(t).second) tests.push_back(t);
    }
  }
  return env::Action::Order(tests);
}

env::Action ScriptedDoctor::Act(const env::Observation& observation) {
  for (const auto& m : observation.messages) {
    if (m.role != "doctor") absl::StrAppend(&evidence_, m.content, "\n");
  }
  constexpr size_t kScriptSize = sizeof(kScript) / sizeof(kScript[0]);
  if (phase_ == Phase::kHistory) {
    if (question_ < kScriptSize) return env::Action::Ask(kScript[question_++]);
    phase_ = Phase::kExam;
    if (female_) return env::Action::Ask(kWomensQuestion);
  }
  if (phase_ == Phase::kExam) {
    phase_ = Phase::kFirstOrder;
    return env::Action::Examine(kExamSystems);
  }
  const auto& table = DiseaseTable::Default().diseases();
  if (phase_ == Phase::kFirstOrder) {
    phase_ = Phase::kSecondOrder;
    env::Action a = OrderFor(Ranking(), 3, 6);
    if (!a.tests.empty()) return a;
  }
  if (phase_ == Phase::kSecondOrder) {
    phase_ = Phase::kDiagnose;
    // The results may have moved a new disease to the top: confirm it before committing.
    env::Action a = OrderFor(Ranking(), 1, 3);
    if (!a.tests.empty()) return a;
  }
  std::vector<int> r = Ranking();
  std::vector<std::string> ddx;
  for (size_t i = 1; i < r.size() && i <= 4; ++i) ddx.push_back(table[r[i]].name);
  return env::Action::Diagnose(table[r[0]].name, ddx, table[r[0]].icd10);
}

}  // namespace clinsim::agents
