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

#include "absl/functional/any_invocable.h"
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

  // Optional hooks for doctors that need more than observations (the remote doctor forwards
  // them to an agent service). Configure is called before Start; ActOnStep is what the episode
  // loop calls, and by default it is Act on the step's observation.
  virtual void Configure(const env::EpisodeOptions& options) {}
  virtual env::Action ActOnStep(const env::StepResult& step) { return Act(step.observation); }
  // Not OK when the doctor could not produce its last action (e.g. its service is down); the
  // episode is then abandoned with this error instead of being scored.
  virtual absl::Status status() const { return absl::OkStatus(); }

  // Non-blocking forms for doctors that call a model (the LLM doctor): `done` runs once with the
  // action, possibly later on another thread. The defaults run the blocking forms inline.
  using ActionDone = absl::AnyInvocable<void(env::Action) &&>;
  virtual void StartAsync(const env::Observation& initial, uint64_t seed, ActionDone done) {
    std::move(done)(Start(initial, seed));
  }
  virtual void ActOnStepAsync(const env::StepResult& step, ActionDone done) {
    std::move(done)(ActOnStep(step));
  }
};

using DoctorFactory = std::function<std::unique_ptr<Doctor>()>;
// Doctors named by an address, e.g. "grpc://127.0.0.1:50052": the factory gets the whole name.
using DoctorSchemeFactory = std::function<absl::StatusOr<std::unique_ptr<Doctor>>(const std::string& name)>;

// Registered names, sorted.
std::vector<std::string> DoctorNames();
// NOT_FOUND naming the registered doctors when `name` is unknown. A name with "SCHEME://" goes
// to the factory registered for that scheme.
absl::StatusOr<std::unique_ptr<Doctor>> CreateDoctor(const std::string& name);
// Registration happens in doctor.cc; tests may add their own.
void RegisterDoctor(const std::string& name, DoctorFactory factory);
// `scheme` without "://", e.g. "grpc". Registered by the layers that own the transport (apps).
void RegisterDoctorScheme(const std::string& scheme, DoctorSchemeFactory factory);

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_DOCTORS_DOCTOR_H_
