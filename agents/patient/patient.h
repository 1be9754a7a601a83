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

namespace clinsim::agents {

struct PatientReply {
  std::string text;
  std::vector<int> revealed_facts;  // indexes into Case::facts
  std::vector<std::string> denied;  // symptoms denied
  bool leak_blocked = false;        // a sentence was withheld because it named the diagnosis
};

class Patient {
 public:
  virtual ~Patient() = default;
  virtual PatientReply Answer(absl::string_view question) = 0;
};

class RulePatient : public Patient {
 public:
  RulePatient(std::shared_ptr<const FactIndex> index, uint64_t seed);
  PatientReply Answer(absl::string_view question) override;

 private:
  std::string Pick(absl::string_view target, std::initializer_list<absl::string_view> options) const;

  std::shared_ptr<const FactIndex> index_;
  bool NamesDiagnosis(absl::string_view sentence) const;

  uint64_t seed_;
};

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_PATIENT_PATIENT_H_
