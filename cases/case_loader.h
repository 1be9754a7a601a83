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

// Normalised diagnosis name and aliases, for whole-phrase leak checks with ContainsPhrase.
std::vector<std::string> SecretPhrases(const Case& c);

}  // namespace clinsim::cases

#endif  // CLINSIM_CASES_CASE_LOADER_H_
