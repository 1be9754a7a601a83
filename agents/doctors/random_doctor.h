// A doctor that acts at random: random questions, systems and tests, then a random diagnosis from
// the disease table after a random number of turns. The floor for every metric, and the agent of
// the conformance test.
#ifndef CLINSIM_AGENTS_DOCTORS_RANDOM_DOCTOR_H_
#define CLINSIM_AGENTS_DOCTORS_RANDOM_DOCTOR_H_

#include <optional>

#include "agents/doctors/doctor.h"
#include "common/random.h"

namespace clinsim::agents {

class RandomDoctor : public Doctor {
 public:
  env::Action Start(const env::Observation& initial, uint64_t seed) override;
  env::Action Act(const env::Observation& observation) override;

 private:
  std::optional<Rng> rng_;
  int turn_ = 0;
  int diagnose_at_ = 10;
};

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_DOCTORS_RANDOM_DOCTOR_H_
