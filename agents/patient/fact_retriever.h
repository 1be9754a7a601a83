// Matches a doctor's free-text question to the atomic facts of one case.
//
// The question is split into clauses (on ? . ! ; and newlines); each clause is analysed by the
// Lexicon (stems + synonym concepts) and scored against every fact with idf-weighted term overlap
// (keywords weigh more than the fact's own words). A fact is selected when it covers enough of
// the clause's content; symptoms named in the clause that no selected fact covers are returned as
// denials (closed world, so pertinent negatives work).
//
//   FactIndex index(the_case, Lexicon::Default());
//   Retrieval r = index.Retrieve("Where does the pain go? Any fever?");
//   // r.clauses[0].facts = {index of hpi_radiation}; r.clauses[1].denied = {"fever"}
#ifndef CLINSIM_AGENTS_PATIENT_FACT_RETRIEVER_H_
#define CLINSIM_AGENTS_PATIENT_FACT_RETRIEVER_H_

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "agents/patient/lexicon.h"
#include "cases/case.h"
#include "cases/case_loader.h"

namespace clinsim::agents {

struct ClauseMatch {
  enum Intent { kFacts, kOpener, kDiagnosisRequest, kUnknown };
  Intent intent = kUnknown;
  std::vector<int> facts;            // indexes into Case::facts, best first
  std::vector<std::string> denied;   // symptom display names the case does not have
};

struct Retrieval {
  std::vector<ClauseMatch> clauses;
  // Union of selected facts over all clauses, in first-mention order, without repeats.
  std::vector<int> AllFacts() const;
};

// Tuning of the matcher; the defaults are chosen on tests/data/retrieval (see retrieval_test.cc).
struct MatcherParams {
  float min_coverage = 0.3f;    // share of the clause's idf mass a fact must cover
  float relative_score = 0.9f;  // a fact must score within this ratio of the clause's best
  float keyword_weight = 2.0f;  // weight of a keyword term against a word of the fact's text
  float unknown_weight = 0.75f;  // idf of a word no fact uses, relative to the rarest word's
  // When a clause names a history category ("allergic", "your family", "medicines"), facts of
  // that category are boosted by this factor and facts of the family category are damped unless
  // the clause is about relatives.
  float category_boost = 1.5f;
  // Weight of a question concept a fact answers by the shape of its words (Lexicon::AnswerCues),
  // against a word of the fact's text.
  float answer_cue_weight = 1.0f;
  // BM25's b: how much a fact's length (in terms, against the case's mean) divides its score.
  // Off: 0.25 raised project-set precision (0.860 -> 0.893) but cost more imported-set recall
  // (0.669 -> 0.537), where a long narrative fact is often one of the right answers.
  float length_norm = 0.0f;
};

class FactIndex {
 public:
  FactIndex(const cases::Case& c, const Lexicon& lexicon, MatcherParams params = {});
  Retrieval Retrieve(absl::string_view question) const;
  const cases::Case& case_data() const { return *case_; }
  // Finds the diagnosis and its aliases in a text; and whether a fact's text contains one (the
  // validator forbids it, but an unvalidated case may slip through), computed once here so the
  // patient's leak guard costs nothing per question for fact sentences.
  const cases::SecretMatcher& secrets() const { return secrets_; }
  bool FactNamesDiagnosis(int fact) const { return fact_leaks_[fact]; }

 private:
  struct Posting {
    int fact;
    float weight;
  };
  ClauseMatch MatchClause(const std::vector<std::string>& terms) const;
  // Scores facts against a term list; returns (coverage, score) per fact in `coverage`/`score`.
  void Score(const std::vector<std::string>& terms, std::vector<float>* coverage,
             std::vector<float>* score) const;

  MatcherParams params_;
  const cases::Case* case_;
  const Lexicon* lexicon_;
  struct Term {
    float idf = 0;
    std::vector<Posting> postings;  // by fact
  };
  absl::flat_hash_map<std::string, Term> terms_;
  std::vector<std::vector<std::string>> fact_terms_;  // each fact's terms, sorted
  std::vector<std::string> fact_category_;
  std::vector<float> fact_norm_;  // length normalisation factor per fact
  cases::SecretMatcher secrets_;
  std::vector<bool> fact_leaks_;
  float unknown_idf_ = 1.0f;
  int first_hpi_ = -1;
};

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_PATIENT_FACT_RETRIEVER_H_
