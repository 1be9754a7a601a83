#include "agents/patient/fact_retriever.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "cases/case_loader.h"
#include "common/text.h"

namespace clinsim::agents {
namespace {

constexpr float kTextWeight = 1.0f;

// Words that make a clause a request for the diagnosis; the patient never knows the answer.
const absl::flat_hash_set<std::string>& DiagnosisStems() {
  static const auto* s = new absl::flat_hash_set<std::string>{
      "diagnosi", "diagnos", "diagnosed", "prognosi", "ignor", "instruct", "prompt", "system",
      "pretend", "roleplay", "answer", "secret", "reveal", "icd", "icd10", "condit"};
  return *s;
}
// Open questions that invite the chief complaint.
const absl::flat_hash_set<std::string>& OpenerStems() {
  static const auto* s = new absl::flat_hash_set<std::string>{
      "bring", "brought", "problem", "help", "troubl", "concern", "complaint", "matter", "today",
      "happen", "wrong", "come", "came", "visit", "presenting", "issu"};
  return *s;
}

std::vector<std::string> SplitClauses(absl::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : text) {
    if (ch == '?' || ch == '.' || ch == '!' || ch == ';' || ch == '\n') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else if (ch == ',') {
      cur += " and ";  // commas separate items like conjunctions do
    } else {
      cur.push_back(ch);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::vector<std::string> StemWords(absl::string_view text) {
  std::string norm = NormalizeText(text);
  std::vector<std::string> out;
  for (absl::string_view w : Tokenize(norm)) out.push_back(Stem(w));
  return out;
}

}  // namespace

std::vector<int> Retrieval::AllFacts() const {
  std::vector<int> out;
  for (const auto& c : clauses) {
    for (int f : c.facts) {
      if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    }
  }
  return out;
}

FactIndex::FactIndex(const cases::Case& c, const Lexicon& lexicon, MatcherParams params)
    : params_(params), case_(&c), lexicon_(&lexicon), secrets_(c) {
  const float kKeywordWeight = params_.keyword_weight;
  for (const auto& f : c.facts) fact_leaks_.push_back(secrets_.Find(f.text));
  for (const auto& f : c.facts) fact_category_.push_back(f.category);
  const int n = static_cast<int>(c.facts.size());
  fact_terms_.resize(n);
  for (int i = 0; i < n; ++i) {
    const cases::Fact& f = c.facts[i];
    absl::flat_hash_map<std::string, float> weights;  // term -> its largest weight in this fact
    auto add = [&](const std::vector<std::string>& terms, float w) {
      for (const auto& t : terms) {
        if (t == "|") continue;
        float& cur = weights[t];
        cur = std::max(cur, w);
      }
    };
    // Keywords that only repeat words of the text (importers pick them that way) say nothing
    // about which terms matter; weighing them above the text would make a concept the text
    // spells out ("loss of consciousness") count less than a bare word picked from it.
    std::vector<std::string> text_terms = lexicon.Analyze(f.text);
    std::vector<std::string> text_stems = StemWords(f.text);
    std::sort(text_stems.begin(), text_stems.end());
    bool keywords_repeat_text = !f.keywords.empty();
    for (const auto& k : f.keywords) {
      for (const auto& st : StemWords(k)) {
        keywords_repeat_text = keywords_repeat_text &&
                               std::binary_search(text_stems.begin(), text_stems.end(), st);
      }
    }
    add(text_terms, keywords_repeat_text ? kKeywordWeight : kTextWeight);
    add(lexicon.AnswerCues(f.text), params_.answer_cue_weight);
    for (const auto& k : f.keywords) add(lexicon.Analyze(k), kKeywordWeight);
    add(lexicon.Analyze(f.category), kKeywordWeight);
    if (first_hpi_ < 0 && f.category == "hpi") first_hpi_ = i;
    for (const auto& [t, w] : weights) {
      terms_[t].postings.push_back({i, w});
      fact_terms_[i].push_back(t);
    }
    std::sort(fact_terms_[i].begin(), fact_terms_[i].end());
  }
  // Length normalisation as in BM25: a long narrative fact matches many questions by chance, so
  // its score is divided by (1 - b + b * length / mean length).
  float mean_len = 0;
  for (const auto& ft : fact_terms_) mean_len += static_cast<float>(ft.size());
  mean_len = n == 0 ? 1.0f : std::max(1.0f, mean_len / static_cast<float>(n));
  fact_norm_.resize(n);
  for (int i = 0; i < n; ++i) {
    const float b = params_.length_norm;
    fact_norm_[i] = 1.0f / (1.0f - b + b * static_cast<float>(fact_terms_[i].size()) / mean_len);
  }
  for (auto& [t, term] : terms_) {
    term.idf = std::log(1.0f + static_cast<float>(n) / static_cast<float>(term.postings.size()));
    std::sort(term.postings.begin(), term.postings.end(),
              [](const Posting& a, const Posting& b) { return a.fact < b.fact; });
  }
  // A word no fact uses is rarer than any word a fact uses: it weighs as much as the rarest.
  unknown_idf_ = params_.unknown_weight * std::log(1.0f + static_cast<float>(std::max(n, 1)));
}

void FactIndex::Score(const std::vector<std::string>& terms, std::vector<float>* coverage,
                      std::vector<float>* score) const {
  const size_t n = case_->facts.size();
  coverage->assign(n, 0.0f);
  score->assign(n, 0.0f);
  float mass = 0;
  absl::flat_hash_set<absl::string_view> seen;
  for (const auto& t : terms) {
    if (t == "|" || !seen.insert(t).second) continue;
    auto it = terms_.find(t);
    float idf = it == terms_.end() ? unknown_idf_ : it->second.idf;
    mass += idf;
    if (it == terms_.end()) continue;
    for (const Posting& p : it->second.postings) {
      (*coverage)[p.fact] += idf;
      (*score)[p.fact] += idf * p.weight;
    }
  }
  if (mass > 0) {
    for (auto& c : *coverage) c /= mass;
  }
  for (size_t i = 0; i < n; ++i) (*score)[i] *= fact_norm_[i];
}

ClauseMatch FactIndex::MatchClause(const std::vector<std::string>& terms) const {
  ClauseMatch m;
  const size_t n = case_->facts.size();
  // The whole clause and each conjunct ("do you smoke | drink") are matched separately.
  std::vector<std::vector<std::string>> parts(1);
  for (const auto& t : terms) {
    if (t == "|") {
      if (!parts.back().empty()) parts.emplace_back();
    } else {
      parts.back().push_back(t);
    }
  }
  if (parts.back().empty()) parts.pop_back();
  std::vector<float> best_score(n, 0.0f);
  std::vector<bool> selected(n, false);
  std::vector<float> cov, sc;
  auto consider = [&](const std::vector<std::string>& ts) {
    Score(ts, &cov, &sc);
    if (params_.category_boost != 1.0f) {
      // Which history categories does the clause name?
      absl::flat_hash_set<absl::string_view> cued;
      for (const auto& t : ts) {
        if (absl::string_view cat = lexicon_->CategoryCue(t); !cat.empty()) cued.insert(cat);
      }
      for (size_t i = 0; i < n; ++i) {
        if (cued.contains(fact_category_[i])) {
          sc[i] *= params_.category_boost;
        } else if (fact_category_[i] == "family") {
          sc[i] /= params_.category_boost;  // a question about you is not about your relatives
        }
      }
    }
    float top = 0;
    for (size_t i = 0; i < n; ++i) {
      if (cov[i] >= params_.min_coverage) top = std::max(top, sc[i]);
    }
    for (size_t i = 0; i < n; ++i) {
      if (cov[i] >= params_.min_coverage && sc[i] >= params_.relative_score * top && sc[i] > 0) {
        selected[i] = true;
        best_score[i] = std::max(best_score[i], sc[i]);
      }
    }
  };
  consider(terms);
  if (parts.size() > 1) {
    for (const auto& p : parts) consider(p);
  }
  for (size_t i = 0; i < n; ++i) {
    if (selected[i]) m.facts.push_back(static_cast<int>(i));
  }
  std::stable_sort(m.facts.begin(), m.facts.end(),
                   [&](int a, int b) { return best_score[a] > best_score[b]; });
  // Symptoms named in the clause that no selected fact covers are denied.
  // Symptoms are listed longest first; a shorter one inside a longer match is not denied again.
  std::vector<bool> used(terms.size(), false);
  std::vector<int> candidates;
  for (const auto& t : terms) {
    if (const std::vector<int>* list = lexicon_->SymptomsStartingWith(t)) {
      candidates.insert(candidates.end(), list->begin(), list->end());
    }
  }
  std::sort(candidates.begin(), candidates.end());  // symptoms() is sorted longest first
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  for (int idx : candidates) {
    const Symptom& s = lexicon_->symptoms()[idx];
    auto it = terms.begin();
    while ((it = std::search(it, terms.end(), s.terms.begin(), s.terms.end())) != terms.end()) {
      size_t pos = static_cast<size_t>(it - terms.begin());
      bool fresh = false;
      for (size_t k = pos; k < pos + s.terms.size(); ++k) fresh = fresh || !used[k];
      if (fresh) break;
      ++it;
    }
    if (it == terms.end()) continue;
    size_t pos = static_cast<size_t>(it - terms.begin());
    for (size_t k = pos; k < pos + s.terms.size(); ++k) used[k] = true;
    bool covered = false;
    for (int f : m.facts) {
      covered = std::all_of(s.terms.begin(), s.terms.end(),
                            [&](const std::string& t) {
                              return std::binary_search(fact_terms_[f].begin(), fact_terms_[f].end(), t);
                            });
      if (covered) break;
    }
    if (!covered && std::find(m.denied.begin(), m.denied.end(), s.display) == m.denied.end()) {
      m.denied.push_back(s.display);
    }
  }
  if (!m.facts.empty() || !m.denied.empty()) {
    m.intent = ClauseMatch::kFacts;
    return m;
  }
  const auto& dx = DiagnosisStems();
  const auto& op = OpenerStems();
  bool diag = false, opener = false;
  for (const auto& t : terms) {
    diag = diag || dx.contains(t);
    opener = opener || op.contains(t);
  }
  if (diag) {
    m.intent = ClauseMatch::kDiagnosisRequest;
  } else if (opener) {
    m.intent = ClauseMatch::kOpener;
    if (first_hpi_ >= 0) m.facts.push_back(first_hpi_);
  }
  return m;
}

Retrieval FactIndex::Retrieve(absl::string_view question) const {
  Retrieval r;
  for (const std::string& clause : SplitClauses(question)) {
    std::vector<std::string> terms = lexicon_->Analyze(clause);
    if (terms.empty()) continue;
    r.clauses.push_back(MatchClause(terms));
  }
  return r;
}

}  // namespace clinsim::agents
