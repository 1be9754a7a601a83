// Decides whether a diagnosis matches the case, on SDBench's 5-point scale:
//   5 the name or an alias; 4 the same ICD-10 code; 3 the same ICD-10 category (first three
//   characters); 2 a diagnosis from the case's differential; 1 anything else. Correct = score >= 4.
// RuleJudge compares case-, punctuation- and spelling-insensitively (British/American), expands
// abbreviations ("MI", "PE", "DKA"), and reads ICD-10 codes from the answer or from a general
// name -> code table. Only the first diagnosis of a hedged answer ("PE or pneumonia") counts.
//
//   RuleJudge judge;
//   Verdict v = judge.Evaluate(c.diagnosis, "inferior STEMI", "", {});   // v.score == 5
#ifndef CLINSIM_AGENTS_JUDGE_JUDGE_H_
#define CLINSIM_AGENTS_JUDGE_JUDGE_H_

#include "absl/strings/string_view.h"
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "cases/case.h"

namespace clinsim::agents {

struct Verdict {
  int score = 1;
  bool correct = false;
  std::string reason;  // which rule gave the score
};

class Judge {
 public:
  virtual ~Judge() = default;
  virtual Verdict Evaluate(const cases::Diagnosis& truth, absl::string_view diagnosis,
                           absl::string_view icd10, const std::vector<std::string>& differential) = 0;
  // True when a diagnosis answer names `target` (used for differential rubric items).
  virtual bool Matches(absl::string_view answer, absl::string_view target) const = 0;
  virtual std::unique_ptr<Judge> Clone() const = 0;
};

class RuleJudge : public Judge {
 public:
  RuleJudge();  // with the bundled abbreviation and disease->ICD-10 tables
  Verdict Evaluate(const cases::Diagnosis& truth, absl::string_view diagnosis, absl::string_view icd10,
                   const std::vector<std::string>& differential) override;

  // Canonical form used for comparison: normalised, spelling-folded, abbreviations expanded,
  // stemmed, filler words dropped.
  std::string Canonical(absl::string_view name) const;
  // True when `answer` names `target` (equal canonical forms, or the answer contains every word
  // of the target and does not negate it).
  bool Matches(absl::string_view answer, absl::string_view target) const override;
  std::unique_ptr<Judge> Clone() const override { return std::make_unique<RuleJudge>(*this); }

 private:
  struct Tables {
    absl::flat_hash_map<std::string, std::string> abbreviations;
    absl::flat_hash_map<std::string, std::string> icd_by_name;  // canonical name -> code
  };
  // Parsed once per process and shared by every judge: Reset must stay cheap.
  static const Tables& SharedTables();
  const Tables& tables_;
};

// "I21.19" / "i2119" -> "I2119".
std::string NormalizeIcd10(absl::string_view code);

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_JUDGE_JUDGE_H_
