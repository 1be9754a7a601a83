// Rubric grading after HealthBench: items carry points (negative for things to avoid); coverage is
// the points of met items over the sum of positive points, clipped to [0, 1], overall and per axis.
// Items whose targets are facts, exam systems, tests or differential names are graded by rule from
// what happened in the episode; free-text items need an LLM grader and are reported as ungraded
// (counted neither as met nor unmet) when none is given.
//
//   RubricEvidence ev; ev.facts_revealed = {"hpi_radiation"}; ev.tests_ordered = {"..."};
//   RubricScore s = GradeRubric(c.rubric, ev, name_matcher, /*grader=*/nullptr);
//   s.coverage, s.axis_coverage["history"], s.items[i].status
#ifndef CLINSIM_RUBRICS_RUBRIC_H_
#define CLINSIM_RUBRICS_RUBRIC_H_

#include "absl/strings/string_view.h"
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cases/case.h"
#include "cases/catalog/test_catalog.h"

namespace clinsim::rubrics {

struct RubricEvidence {
  std::set<std::string> facts_revealed;    // fact ids
  std::set<std::string> systems_examined;  // exam system ids
  std::set<std::string> tests_ordered;     // catalog ids
  std::string diagnosis;
  std::vector<std::string> differential;
  std::string transcript;                  // for free-text graders
};

enum class ItemStatus { kMet, kUnmet, kUngraded };
const char* ItemStatusName(ItemStatus s);

struct ItemGrade {
  std::string id;
  std::string text;
  std::string axis;
  std::string kind;
  double points = 0;
  bool derived = false;
  ItemStatus status = ItemStatus::kUngraded;
  std::string explanation;
};

struct RubricScore {
  std::vector<ItemGrade> items;
  double coverage = 0;  // [0, 1]; 0 when there are no graded positive points
  std::map<std::string, double> axis_coverage;
  double met_points = 0;
  double possible_points = 0;  // sum of positive points of graded items
  int ungraded = 0;
};

// Decides whether a diagnosis answer names a target disease (the judge's matcher).
using NameMatcher = std::function<bool(absl::string_view answer, absl::string_view target)>;

// Grades a free-text item; returns nullopt when it cannot (the item stays ungraded). The LLM
// rubric grader implements this.
class FreeTextGrader {
 public:
  virtual ~FreeTextGrader() = default;
  virtual std::optional<bool> Grade(const cases::RubricItem& item, const RubricEvidence& ev,
                                    std::string* explanation) = 0;
};

RubricScore GradeRubric(const std::vector<cases::RubricItem>& items, const RubricEvidence& ev,
                        const NameMatcher& matcher, FreeTextGrader* grader);

// Rule-derived items for a case without an authored rubric: key facts -> must_ask, abnormal
// results -> must_order, the most expensive tests the case lists as normal -> avoid. Each item is
// marked derived.
std::vector<cases::RubricItem> DeriveRubric(const cases::Case& c,
                                            const cases::TestCatalog& catalog);

}  // namespace clinsim::rubrics

#endif  // CLINSIM_RUBRICS_RUBRIC_H_
