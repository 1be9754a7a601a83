// Parses and validates case files (docs/case-format.md). Every problem of a file is reported at
// once, each as "FILE: FIELD: PROBLEM"; a broken file never crashes the program.
//
//   absl::StatusOr<Case> c = LoadCaseJson(text, "cases/library/x.json");
//   std::vector<std::string> problems = ValidateCase(*c);   // semantic checks, empty when valid
#ifndef CLINSIM_CASES_CASE_LOADER_H_
#define CLINSIM_CASES_CASE_LOADER_H_

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cases/case.h"
#include "cases/catalog/exam_catalog.h"
#include "cases/catalog/test_catalog.h"

namespace clinsim::cases {

// Parses one case and runs ValidateCase; INVALID_ARGUMENT lists every problem, one per line.
absl::StatusOr<Case> LoadCaseJson(absl::string_view json_text, absl::string_view origin,
                                  const TestCatalog& tests = TestCatalog::Default(),
                                  const ExamCatalog& exams = ExamCatalog::Default());

// Reads and parses a file from disk.
absl::StatusOr<Case> LoadCaseFile(const std::string& path,
                                  const TestCatalog& tests = TestCatalog::Default(),
                                  const ExamCatalog& exams = ExamCatalog::Default());

// Semantic checks: references resolve, ids unique, minimum content, and no text a doctor can see
// before the end names the diagnosis or an alias. Each problem is "FIELD: PROBLEM".
std::vector<std::string> ValidateCase(const Case& c, const TestCatalog& tests,
                                      const ExamCatalog& exams);

// The texts an observation can show before the end of an episode (title excluded: it is never
// shown). Used by the validator and by the leak checks.
std::vector<absl::string_view> DoctorVisibleTexts(const Case& c);

// Finds the diagnosis name or an alias in a text (whole words). Names and aliases are compared
// case-insensitively, except acronyms written in capitals in the case ("MG", "MS", "RA"), which
// must match in capitals: "mg" and "ms" in a lab report are units, not the answer.
//
//   SecretMatcher m(the_case);
//   std::string found;
//   if (m.Find("Is it MG?", &found)) ...   // found == "MG"
class SecretMatcher {
 public:
  explicit SecretMatcher(const Case& c);
  // True when `text` names the diagnosis; `found` (optional) receives the phrase that matched.
  bool Find(absl::string_view text, std::string* found = nullptr) const;

 private:
  std::vector<std::string> folded_;    // lower-cased, collapsed
  std::vector<std::string> acronyms_;  // exact case, collapsed
};

}  // namespace clinsim::cases

#endif  // CLINSIM_CASES_CASE_LOADER_H_
