// The honest baseline. It takes a history with a fixed question script, examines the main
// systems, orders the confirming tests of the diseases that best fit what it heard (from the
// general DiseaseTable, never from the case), orders once more if the results change the leader,
// and diagnoses the best-scoring disease with the runners-up as its differential.
#ifndef CLINSIM_AGENTS_DOCTORS_SCRIPTED_DOCTOR_H_
#define CLINSIM_AGENTS_DOCTORS_SCRIPTED_DOCTOR_H_

#include <set>
#include <string>
#include <vector>

#include "agents/doctors/doctor.h"

namespace clinsim::agents {

class ScriptedDoctor : public Doctor {
 public:
  env::Action Start(const env::Observation& initial, uint64_t seed) override;
  env::Action Act(const env::Observation& observation) override;

 private:
  enum class Phase { kHistory, kExam, kFirstOrder, kSecondOrder, kDiagnose };
  // Disease indexes by descending score (ties by table order).
  std::vector<int> Ranking() const;
  env::Action OrderFor(const std::vector<int>& ranking, int diseases, int max_tests);

  Phase phase_ = Phase::kHistory;
  size_t question_ = 0;
  bool female_ = false;
  std::string evidence_;
  std::set<std::string> ordered_;
};

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_DOCTORS_SCRIPTED_DOCTOR_H_
