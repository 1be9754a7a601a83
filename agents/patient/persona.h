// Patient personas: how the patient speaks, never which facts are true. A persona has a
// temperament (plain, sanguine, choleric, melancholic, phlegmatic), a health literacy (lay,
// average, medical: which words it uses), a recall (good, poor: how sure it sounds), and optional
// patient-side biases after AgentClinic (recency, frequency, false_consensus, self_diagnosis, and
// the demographic ones, which colour the patient's attitude to the doctor as context).
//
//   Persona p = ParsePersona("temperament=choleric,literacy=lay,bias=recency").value();
//   std::string said = RenderWithPersona(p, seed, /*first_answer=*/true, answer);
#ifndef CLINSIM_AGENTS_PATIENT_PERSONA_H_
#define CLINSIM_AGENTS_PATIENT_PERSONA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace clinsim::agents {

struct Persona {
  std::string temperament = "plain";
  std::string literacy = "average";
  std::string recall = "good";
  std::vector<std::string> biases;

  bool plain() const {
    return temperament == "plain" && literacy == "average" && recall == "good" && biases.empty();
  }
  // "temperament=choleric,literacy=lay,recall=good,bias=recency"; "plain" for a plain persona.
  std::string ToString() const;
};

// "plain" | "random" (drawn from the seed) | "key=value,..." with keys temperament, literacy,
// recall, bias (repeatable). INVALID_ARGUMENT names a bad key or value and lists the choices.
absl::StatusOr<Persona> ParsePersona(absl::string_view spec, uint64_t seed);

// Rewrites one patient answer in the persona's voice. Lay/medical wording swaps words for their
// equivalents; temperament and recall frame the answer; biases speak once, in the first answer.
// A plain persona returns the answer unchanged.
std::string RenderWithPersona(const Persona& p, uint64_t seed, bool first_answer,
                              absl::string_view answer);

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_PATIENT_PERSONA_H_
