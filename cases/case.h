// The case schema (docs/case-format.md) as plain structs. A Case is immutable once loaded and is
// shared read-only by every episode that plays it.
//
//   absl::StatusOr<Case> c = LoadCaseJson(text, "my_case.json", TestCatalog::Default(),
//                                         ExamCatalog::Default());
//   for (const Fact& f : c->facts) ...
#ifndef CLINSIM_CASES_CASE_H_
#define CLINSIM_CASES_CASE_H_

#include "absl/strings/string_view.h"
#include <optional>
#include <string>
#include <vector>

namespace clinsim::cases {

struct Source {
  std::string kind;  // authored | imported
  std::string origin;
  std::string license;
};

struct Presentation {
  int age = 0;
  std::string sex;
  std::string chief_complaint;
  std::string abstract;  // shown to the doctor at reset
};

struct Fact {
  std::string id;
  std::string category;  // hpi | pmh | meds | allergies | social | family | ros
  std::string text;      // first person
  std::vector<std::string> keywords;
  bool key = false;
};

struct ExamFinding {
  std::string id;
  std::string system;    // an exam system id
  std::string maneuver;  // optional
  std::string finding;
  bool abnormal = false;
};

struct TestResult {
  std::string id;
  std::string catalog_id;  // a catalog test; empty for a case-specific test named below
  std::string name;        // case-specific test (imported results the catalog has no entry for)
  std::optional<double> usd;  // price of a case-specific test (default 0)
  std::string result;
  bool abnormal = false;
  std::optional<double> value;
  std::string unit;
  std::string reference_range;
};

struct Diagnosis {
  std::string name;
  std::vector<std::string> aliases;
  std::string icd10;
  std::vector<std::string> differential;
};

struct RubricItem {
  std::string id;
  std::string text;
  double points = 0;
  std::string axis;  // history | examination | tests | diagnosis | management | communication | safety
  std::string kind;  // must_ask | must_examine | must_order | avoid | differential | free_text
  std::vector<std::string> targets;
  bool derived = false;  // generated from the case, not authored
};

struct Case {
  std::string id;
  std::string title;
  std::string specialty;
  std::string difficulty;  // easy | medium | hard
  Source source;
  Presentation presentation;
  std::vector<Fact> facts;
  std::vector<ExamFinding> exam;
  std::vector<TestResult> tests;
  Diagnosis diagnosis;
  std::vector<RubricItem> rubric;
  std::string file;  // where it was loaded from, for messages

  const Fact* FindFact(absl::string_view fact_id) const;
  const TestResult* FindTestByCatalogId(absl::string_view catalog_id) const;
  const TestResult* FindTestById(absl::string_view test_id) const;
};

inline constexpr const char* kFactCategories[] = {"hpi",    "pmh",    "meds", "allergies",
                                                   "social", "family", "ros"};
inline constexpr const char* kRubricAxes[] = {"history",    "examination",   "tests", "diagnosis",
                                              "management", "communication", "safety"};
inline constexpr const char* kRubricKinds[] = {"must_ask", "must_examine", "must_order",
                                               "avoid",    "differential", "free_text"};

}  // namespace clinsim::cases

#endif  // CLINSIM_CASES_CASE_H_
