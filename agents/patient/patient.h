// The simulated patient. `Patient` is the interface every patient (rule-based now, LLM later)
// implements; RulePatient answers from the facts a FactIndex selects, in the first person, and
// never voices the diagnosis or its aliases whatever it is asked.
//
//   RulePatient patient(index, /*seed=*/7);
//   PatientReply r = patient.Answer("Where does the pain go? Any fever?");
//   // r.text = "The pain spreads into my jaw and down my left arm. No, I haven't had any fever."
#ifndef CLINSIM_AGENTS_PATIENT_PATIENT_H_
#define CLINSIM_AGENTS_PATIENT_PATIENT_H_

#include "absl/strings/string_view.h"
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agents/patient/fact_retriever.h"
#include "agents/patient/persona.h"
#include "noise/noise.h"

namespace clinsim::agents {

struct PatientReply {
  std::string text;
  std::vector<int> revealed_facts;  // indexes into Case::facts
  std::vector<std::string> denied;  // symptoms denied
  bool leak_blocked = false;        // a sentence was withheld because it named the diagnosis
  std::vector<noise::NoiseEvent> noise_events;  // how noise changed what was said
};

class Patient {
 public:
  virtual ~Patient() = default;
  virtual PatientReply Answer(absl::string_view question) = 0;
  // A copy with the same state (an LLM step runs on a copy of the episode; see env/llm_step.h).
  virtual std::unique_ptr<Patient> Clone() const = 0;
};

class RulePatient : public Patient {
 public:
  // `noise` (may be null: no noise) must outlive the patient.
  RulePatient(std::shared_ptr<const FactIndex> index, uint64_t seed,
              const noise::NoiseEngine* noise = nullptr, Persona persona = {});
  PatientReply Answer(absl::string_view question) override;
  std::unique_ptr<Patient> Clone() const override { return std::make_unique<RulePatient>(*this); }

 private:
  std::string Pick(absl::string_view target, std::initializer_list<absl::string_view> options) const;

  bool NamesDiagnosis(absl::string_view sentence) const;

  std::shared_ptr<const FactIndex> index_;
  uint64_t seed_;
  const noise::NoiseEngine* noise_;
  Persona persona_;
  int answers_ = 0;
};

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_PATIENT_PATIENT_H_
