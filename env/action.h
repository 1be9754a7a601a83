// Doctor actions, in the two equivalent forms of DESIGN.md: structured (Ask, Examine, Order,
// Diagnose) and one tagged free-text message, which ParseTaggedAction turns into the structured
// form. Untagged text is a question.
//
//   ASK: When did the pain start? Does it spread anywhere?
//   EXAMINE: cardiovascular, respiratory
//   ORDER: ecg, troponin, cbc
//   DIAGNOSIS: inferior STEMI
//   ICD10: I21.19                 (optional, with DIAGNOSIS)
//   DIFFERENTIAL: aortic dissection; pericarditis   (optional, with DIAGNOSIS)
//   CONFIDENCE: 0.8               (optional, with DIAGNOSIS)
//
//   absl::StatusOr<Action> a = ParseTaggedAction("ORDER: cbc, troponin");
//   a->kind == Action::kOrder; a->tests == {"cbc", "troponin"}; FormatAction(*a) == "ORDER: cbc, troponin"
#ifndef CLINSIM_ENV_ACTION_H_
#define CLINSIM_ENV_ACTION_H_

#include "absl/strings/string_view.h"
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace clinsim::env {

// Limits on what one action may carry; larger inputs are refused with a message, not truncated.
inline constexpr size_t kMaxTextLength = 4000;
inline constexpr size_t kMaxTestsPerOrder = 20;

struct Action {
  enum Kind { kAsk, kExamine, kOrder, kDiagnose };
  Kind kind = kAsk;
  std::string question;            // kAsk
  std::string system;              // kExamine: one or more systems ("heart, lungs")
  std::vector<std::string> tests;  // kOrder
  std::string diagnosis;           // kDiagnose
  std::string icd10;
  std::vector<std::string> differential;
  std::optional<double> confidence;

  static Action Ask(std::string q) { Action a; a.kind = kAsk; a.question = std::move(q); return a; }
  static Action Examine(std::string s) { Action a; a.kind = kExamine; a.system = std::move(s); return a; }
  static Action Order(std::vector<std::string> t) { Action a; a.kind = kOrder; a.tests = std::move(t); return a; }
  static Action Diagnose(std::string dx, std::vector<std::string> ddx = {}, std::string icd = "") {
    Action a; a.kind = kDiagnose; a.diagnosis = std::move(dx); a.differential = std::move(ddx);
    a.icd10 = std::move(icd); return a;
  }
};

const char* ActionKindName(Action::Kind k);  // ask | examine | order | diagnose

// Parses one doctor message. INVALID_ARGUMENT says what was wrong and shows the grammar.
absl::StatusOr<Action> ParseTaggedAction(absl::string_view text);

// Checks sizes and required fields of a structured action (INVALID_ARGUMENT if bad).
absl::Status ValidateAction(const Action& a);

// The tagged form of an action; ParseTaggedAction(FormatAction(a)) gives back a.
std::string FormatAction(const Action& a);

// A one-paragraph description of the tagged grammar, for errors, --help and GetSpec.
absl::string_view ActionGrammar();

}  // namespace clinsim::env

#endif  // CLINSIM_ENV_ACTION_H_
