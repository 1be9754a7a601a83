// The patient's language knowledge: synonym groups that map lay words, medical words,
// abbreviations and spelling variants to one concept; the symptom vocabulary that drives
// closed-world denials; and stopwords. Loaded once (agents/patient/data/lexicon.json) and shared.
//
//   const Lexicon& lex = Lexicon::Default();
//   std::vector<std::string> terms = lex.Analyze("Any trouble catching your breath?");
//   // {"#17"}: the concept of "shortness of breath"
#ifndef CLINSIM_AGENTS_PATIENT_LEXICON_H_
#define CLINSIM_AGENTS_PATIENT_LEXICON_H_

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

namespace clinsim::agents {

struct Symptom {
  std::string display;             // "shortness of breath", as the patient says it
  std::vector<std::string> terms;  // its analysed form
};

class Lexicon {
 public:
  static absl::StatusOr<Lexicon> FromJson(absl::string_view json_text, absl::string_view origin);
  static const Lexicon& Default();

  // Normalises, stems, folds synonyms into concept terms ("#N", longest phrase first) and drops
  // stopwords. Conjunctions are kept as the separator term "|" so callers can split a clause.
  std::vector<std::string> Analyze(absl::string_view text) const;
  const std::vector<Symptom>& symptoms() const { return symptoms_; }
  // Indexes into symptoms() of the symptoms whose first term is `term`, longest first.
  const std::vector<int>* SymptomsStartingWith(const std::string& term) const {
    auto it = symptoms_by_first_term_.find(term);
    return it == symptoms_by_first_term_.end() ? nullptr : &it->second;
  }
  // The canonical phrase of a concept term ("#17" -> "shortness of breath"), else "".
  absl::string_view ConceptName(absl::string_view term) const;
  // The history category an analysed question term points to ("#12", the concept of "allergic",
  // -> "allergies"), else "". From "category_cues" in the lexicon file, analysed once here so
  // that indexing a case costs nothing for them.
  absl::string_view CategoryCue(const std::string& term) const {
    auto it = category_cues_.find(term);
    return it == category_cues_.end() ? absl::string_view() : absl::string_view(it->second);
  }
  // The question concepts a fact's text answers by the shape of its words rather than by naming
  // them ("... for two weeks" answers "how long", "... on the left side" answers "where"): from
  // "answer_cues" in the lexicon file, matched on the text's stems before stopwords are dropped.
  std::vector<std::string> AnswerCues(absl::string_view text) const;

 private:
  struct Phrase {
    std::vector<std::string> stems;
    std::string term;
  };
  absl::flat_hash_map<std::string, std::vector<Phrase>> phrases_by_first_stem_;
  // The same phrases without their stopwords, for those with two content words or more, so that
  // "losing his hair" finds "losing hair" and "pain in her chest" finds "pain in my chest".
  absl::flat_hash_map<std::string, std::vector<Phrase>> content_phrases_by_first_stem_;
  absl::flat_hash_set<std::string> stop_stems_;
  std::vector<std::string> concept_names_;
  std::vector<Symptom> symptoms_;
  absl::flat_hash_map<std::string, std::vector<int>> symptoms_by_first_term_;
  absl::flat_hash_map<std::string, std::string> category_cues_;
  absl::flat_hash_map<std::string, std::vector<std::string>> answer_cues_;  // stem -> concepts
};

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_PATIENT_LEXICON_H_
