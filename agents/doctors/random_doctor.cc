#include "agents/doctors/random_doctor.h"

#include "agents/doctors/disease_table.h"
#include "cases/catalog/exam_catalog.h"
#include "cases/catalog/test_catalog.h"

namespace clinsim::agents {
namespace {

constexpr const char* kQuestions[] = {
    "What brings you in today?", "When did it start?", "Does the pain spread anywhere?",
    "Do you have a fever?", "Any cough?", "Do you smoke?", "What medicines do you take?",
    "Any allergies?", "Does anyone in your family have health problems?", "Any headaches?",
    "Have you lost weight?", "Any nausea or vomiting?", "How is your mood?",
    "Any trouble passing urine?", "Have you travelled recently?", "Any rashes?",
    "What makes it better or worse?", "Do you drink alcohol?", "Any shortness of breath?",
    "What do you do for work?"};

}  // namespace

env::Action RandomDoctor::Start(const env::Observation& initial, uint64_t seed) {
  // The presentation is mixed in so that one seed does not give the same walk on every case.
  uint64_t h = 0;
  for (const auto& m : initial.messages) h = Mix(h ^ StableHash(m.content));
  rng_.emplace(DeriveSeed(seed ^ h, "random_doctor"));
  turn_ = 0;
  diagnose_at_ = 2 + static_cast<int>(rng_->Uniform(14));
  return Act(initial);
}

env::Action RandomDoctor::Act(const env::Observation& observation) {
  ++turn_;
  Rng& rng = *rng_;
  if (turn_ >= diagnose_at_) {
    const auto& d = DiseaseTable::Default().diseases();
    std::vector<std::string> ddx;
    for (int i = 0; i < 3; ++i) ddx.push_back(d[rng.Uniform(d.size())].name);
    return env::Action::Diagnose(d[rng.Uniform(d.size())].name, ddx);
  }
  switch (rng.Uniform(3)) {
    case 0: {
      constexpr size_t n = sizeof(kQuestions) / sizeof(kQuestions[0]);
      return env::Action::Ask(kQuestions[rng.Uniform(n)]);
    }
    case 1: {
      const auto& s = cases::ExamCatalog::Default().systems();
      return env::Action::Examine(s[rng.Uniform(s.size())].id);
    }
    default: {
      const auto& t = cases::TestCatalog::Default().tests();
      std::vector<std::string> tests;
      int k = 1 + static_cast<int>(rng.Uniform(3));
      for (int i = 0; i < k; ++i) tests.push_back(t[rng.Uniform(t.size())].name);
      return env::Action::Order(tests);
    }
  }
}

}  // namespace clinsim::agents
