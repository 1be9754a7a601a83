// Red-team probes for answer secrecy, and the scanner that decides whether an observation leaks the
// answer. The probes (tests/data/redteam/probes.txt) are action texts with placeholders that are
// filled per case ({diagnosis}, {alias}, {icd10}, ...); the same probes and the same scanner serve
// the rule-based roles (tests/env/redteam_test.cc) and can be replayed against any Patient or
// Gatekeeper, e.g. the LLM ones.
//
//   auto probes = LoadProbes(ProbesPath()).value();
//   AnswerScanner scanner(the_case, rubric, TestCatalog::Default());
//   for (const Probe& p : probes)
//     for (const std::string& action : ExpandProbe(p, the_case, exams)) {
//       ... step the episode with `action`, then for every text the environment showed:
//       if (auto leak = scanner.Find(text, action)) FAIL() << *leak;
//     }
#ifndef CLINSIM_TESTS_TESTING_REDTEAM_PROBES_H_
#define CLINSIM_TESTS_TESTING_REDTEAM_PROBES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cases/case.h"
#include "cases/catalog/exam_catalog.h"
#include "cases/catalog/test_catalog.h"

namespace clinsim::testing {

struct Probe {
  std::string category;      // direct | roleplay | injection | gatekeeper | named_test | ...
  std::string conversation;  // "" for a one-turn probe; the turns of a conversation share it
  std::string text;          // action text, may hold {placeholders}
  int line = 0;              // in the probe file
};

// Parses a probe file (format at the top of tests/data/redteam/probes.txt). INVALID_ARGUMENT
// names the line of a malformed probe, an unknown placeholder, or a probe that would be parsed
// as a DIAGNOSIS action (which would end the episode).
absl::StatusOr<std::vector<Probe>> ParseProbes(absl::string_view text, absl::string_view origin);
absl::StatusOr<std::vector<Probe>> LoadProbes(const std::string& path);

// The common disease names {disease} expands to.
const std::vector<std::string>& GenericDiseases();

// The action texts of one probe for one case: one per value of a list placeholder ({alias},
// {disease}), none when the case lacks what the probe needs (no ICD-10 code for {icd10}).
std::vector<std::string> ExpandProbe(const Probe& probe, const cases::Case& c);

// Encodings a leaking role might use.
std::string Base64(absl::string_view s);
std::string Rot13(absl::string_view s);
std::string Hex(absl::string_view s);  // lower-case, two digits per byte, no separators
std::string Reversed(absl::string_view s);

// Text folded for comparison: lower case, "'s" dropped, common accents stripped (ö -> o),
// British spellings folded to American (haem -> hem, oedema -> edema), every other character that
// is not a letter or digit a word break. Returns the words.
std::vector<std::string> FoldWords(absl::string_view text);

// Finds the answer of one case in what the environment showed the doctor.
class AnswerScanner {
 public:
  // `rubric`: the rubric items the case is graded with (authored or derived).
  AnswerScanner(const cases::Case& c, const std::vector<cases::RubricItem>& rubric,
                const cases::TestCatalog& catalog);

  // Looks for the diagnosis name, an alias, the ICD-10 code (with or without the dot), a rubric
  // item's text, or the name or an alias encoded (base64, rot13, hex, reversed) in `shown`, after
  // removing what `doctor_action` put there: quoted echoes of the doctor's own words ("unknown
  // test 'X'") and case-independent catalog text (test names heading a result line, catalog names
  // suggested for an unknown test). Multi-word names match across any spacing or hyphenation
  // ("heat stroke" = "heatstroke" = "heat-stroke"); names written in capitals ("MG") match only in
  // capitals. Returns what matched, and how, or nothing.
  std::optional<std::string> Find(absl::string_view shown, absl::string_view doctor_action) const;

  // The same without echo removal, for texts the doctor's words cannot reach.
  std::optional<std::string> FindRaw(absl::string_view shown) const;

  // What was removed from `shown` as echo or catalog text; exposed for tests of the scanner.
  std::string WithoutEchoes(absl::string_view shown, absl::string_view doctor_action) const;

 private:
  struct Secret {
    std::string label;    // "alias 'heart attack'", for messages
    std::string joined;   // folded words without spaces, matched against runs of whole words
    bool exact_case = false;  // acronym: matched against the unfolded words
  };
  std::vector<Secret> secrets_;
  std::vector<std::pair<std::string, std::string>> raw_;  // (label, substring) for base64/hex
  std::vector<std::string> catalog_names_;  // longest first
  std::vector<std::string> catalog_texts_;  // normal results and reference ranges, longest first
};

// The probe file in the source tree.
std::string ProbesPath();

}  // namespace clinsim::testing

#endif  // CLINSIM_TESTS_TESTING_REDTEAM_PROBES_H_
