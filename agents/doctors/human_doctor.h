// A person plays the doctor: observations are written to `out`, one tagged action is read per
// line from `in` (a terminal or a pipe). End of input ends the consultation without a diagnosis.
#ifndef CLINSIM_AGENTS_DOCTORS_HUMAN_DOCTOR_H_
#define CLINSIM_AGENTS_DOCTORS_HUMAN_DOCTOR_H_

#include <iostream>

#include "agents/doctors/doctor.h"

namespace clinsim::agents {

class HumanDoctor : public Doctor {
 public:
  HumanDoctor(std::istream& in = std::cin, std::ostream& out = std::cout) : in_(in), out_(out) {}
  env::Action Start(const env::Observation& initial, uint64_t seed) override;
  env::Action Act(const env::Observation& observation) override;

  // Reads the next non-empty line; false at end of input.
  bool ReadLine(std::string* line);
  void Show(const env::Observation& o);

 private:
  std::istream& in_;
  std::ostream& out_;
};

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_DOCTORS_HUMAN_DOCTOR_H_
