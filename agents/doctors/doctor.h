// Built-in doctor agents for `clinsim bench` and `clinsim play`, registered by name:
//   random    uniformly random actions (a floor for every metric);
//   scripted  an honest baseline: fixed history script, exam, tests from what it heard, then a
//             diagnosis from a general disease-findings table (never from the case);
//   human     reads tagged actions from a stream (the terminal or a pipe).
// A doctor sees only observations, never the case.
//
//   auto doctor = CreateDoctor("scripted").value();
//   env::Action a = doctor->Start(episode->initial_observation(), seed);
//   while (!done) a = doctor->Act(step_result.observation);
#ifndef CLINSIM_AGENTS_DOCTORS_DOCTOR_H_
#define CLINSIM_AGENTS_DOCTORS_DOCTOR_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "env/episode.h"

namespace clinsim::agents {

class Doctor {
 public:
  virtual ~Doctor() = default;
  // Begins an episode and returns the first action.
  virtual env::Action Start(const env::Observation& initial, uint64_t seed) = 0;
  // The next action, given what the last one revealed.
  virtual env::Action Act(const env::Observation& observation) = 0;
};

using DoctorFactory = std::function<std::unique_ptr<Doctor>()>;

// Registered names, sorted.
std::vector<std::string> DoctorNames();
// NOT_FOUND naming the registered doctors when `name` is unknown.
absl::StatusOr<std::unique_ptr<Doctor>> CreateDoctor(const std::string& name);
// Registration happens in doctor.cc; tests may add their own.
void RegisterDoctor(const std::string& name, DoctorFactory factory);

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_DOCTORS_DOCTOR_H_
