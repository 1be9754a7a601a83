// The LLM patient: a model voices, in the persona's style, exactly what the rule-based patient
// selected (the retrieved facts, with noise already applied, and the pertinent denials). It never
// sees the rest of the case or the diagnosis, so it has nothing else to reveal; its reply is still
// checked for the diagnosis, its aliases and its ICD-10 code (a model can guess), and a reply that
// names them is regenerated once and otherwise replaced by the rule-based answer.
//
//   llm::ChatRequest req = PatientVoiceRequest(input, seed, /*attempt=*/0);
//   absl::StatusOr<std::string> text = CheckVoicedReply(reply, guard);   // error: leak or junk
#ifndef CLINSIM_AGENTS_PATIENT_LLM_PATIENT_H_
#define CLINSIM_AGENTS_PATIENT_LLM_PATIENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agents/llm/chat_client.h"
#include "agents/patient/persona.h"
#include "cases/case.h"
#include "cases/case_loader.h"

namespace clinsim::agents {

// Says whether a text names a case's answer: the diagnosis, an alias, an acronym, or its ICD-10
// code (with or without the dot), written plainly or encoded the ways a model can be talked into
// (ROT13, reversed, base64 and hex runs). Used on every model reply that reaches the doctor.
class AnswerGuard {
 public:
  explicit AnswerGuard(const cases::Case& c);
  // True when `text` names the answer; `found` (optional) receives what matched, with the encoding.
  bool Leaks(absl::string_view text, std::string* found = nullptr) const;

 private:
  bool LeaksPlain(absl::string_view text, std::string* found) const;

  cases::SecretMatcher secrets_;
  // Names other than acronyms, words folded (FoldSpelling) and joined without spaces: matched
  // against runs of whole words, so "heartattack", "heart-attack" and "anaemia" for "anemia" count.
  std::vector<std::string> joined_;
  std::string icd_;  // normalised (no dot, upper case); empty when the case has none
};

struct VoiceInput {
  std::string question;     // what the doctor asked
  std::string rule_answer;  // what the rule-based patient would say: the only content allowed
  Persona persona;
  int age = 0;
  std::string sex;
};

// `attempt` > 0 asks again after a rejected reply (another seed, a stricter instruction).
llm::ChatRequest PatientVoiceRequest(const VoiceInput& in, const std::string& model, uint64_t seed,
                                     int attempt);
// The reply to send to the doctor: trimmed, quotes and role prefixes removed. FAILED_PRECONDITION
// when it names the answer, DATA_LOSS when it is empty or absurdly long.
absl::StatusOr<std::string> CheckVoicedReply(absl::string_view reply, absl::string_view rule_answer,
                                             const AnswerGuard& guard);

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_PATIENT_LLM_PATIENT_H_
