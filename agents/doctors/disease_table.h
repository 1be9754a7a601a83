// General medical knowledge for the scripted doctor: diseases with weighted typical findings and
// their most useful tests (agents/doctors/data/disease_table.json). Written independently of the
// case library, so the baseline cannot read answers from it.
//
//   const DiseaseTable& t = DiseaseTable::Default();
//   std::vector<double> s = t.ScoreText(evidence_text);   // one score per disease
#ifndef CLINSIM_AGENTS_DOCTORS_DISEASE_TABLE_H_
#define CLINSIM_AGENTS_DOCTORS_DISEASE_TABLE_H_

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace clinsim::agents {

struct DiseaseFinding {
  std::string text;
  std::vector<std::string> terms;  // analysed by the patient Lexicon (stems + synonym concepts)
  double weight = 1;
};

struct Disease {
  std::string name;
  std::string icd10;
  std::string specialty;
  std::vector<DiseaseFinding> findings;
  std::vector<std::string> tests;  // catalog ids
  double total_weight = 0;
};

class DiseaseTable {
 public:
  static absl::StatusOr<DiseaseTable> FromJson(absl::string_view json_text, absl::string_view origin);
  static const DiseaseTable& Default();
  const std::vector<Disease>& diseases() const { return diseases_; }

  // Scores every disease against affirmed evidence. A finding counts when all its terms occur in
  // the affirmed part of one sentence: the comma-separated parts before the first denial or
  // "normal" ("Pale, diaphoretic, no murmurs or rubs" affirms pale and diaphoretic only).
  std::vector<double> ScoreText(absl::string_view evidence) const;

 private:
  std::vector<Disease> diseases_;
};

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_DOCTORS_DISEASE_TABLE_H_
