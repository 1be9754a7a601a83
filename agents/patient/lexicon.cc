#include "agents/patient/lexicon.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/embedded_data.h"
#include "common/json_reader.h"
#include "common/text.h"

namespace clinsim::agents {
namespace {

std::vector<std::string> Stems(absl::string_view text) {
  std::string norm = NormalizeText(text);
  std::vector<std::string> out;
  for (absl::string_view w : Tokenize(norm)) out.push_back(Stem(w));
  return out;
}

bool IsConjunction(absl::string_view w) { return w == "and" || w == "or" || w == "also" || w == "plus"; }

}  // namespace

absl::StatusOr<Lexicon> Lexicon::FromJson(absl::string_view json_text, absl::string_view origin) {
  JsonReader r(origin);
  auto doc = r.Parse(json_text);
  if (!doc) return r.ToStatus();
  Lexicon lex;
  const nlohmann::json* groups = r.Array(*doc, "synonyms", "");
  if (groups == nullptr) return r.ToStatus();
  for (size_t g = 0; g < groups->size(); ++g) {
    const auto& group = (*groups)[g];
    if (!group.is_array() || group.empty()) {
      r.Problem(absl::StrCat("synonyms[", g, "]"), "must be a non-empty list of phrases");
      continue;
    }
    std::string term = absl::StrCat("#", lex.concept_names_.size());
    lex.concept_names_.push_back(group[0].is_string() ? group[0].get<std::string>() : "");
    for (size_t m = 0; m < group.size(); ++m) {
      if (!group[m].is_string()) {
        r.Problem(absl::StrCat("synonyms[", g, "][", m, "]"), "must be a string");
        continue;
      }
      Phrase p{Stems(group[m].get<std::string>()), term};
      if (p.stems.empty()) continue;
      lex.phrases_by_first_stem_[p.stems[0]].push_back(std::move(p));
    }
  }
  for (const auto& w : r.StringList(*doc, "stopwords", "", false)) {
    for (auto& s : Stems(w)) lex.stop_stems_.insert(s);
  }
  for (const auto& [first, list] : lex.phrases_by_first_stem_) {
    for (const Phrase& p : list) {
      Phrase content{{}, p.term};
      for (const auto& st : p.stems) {
        if (!lex.stop_stems_.contains(st)) content.stems.push_back(st);
      }
      if (content.stems.size() < 2) continue;
      lex.content_phrases_by_first_stem_[content.stems[0]].push_back(std::move(content));
    }
  }
  for (auto* by_first : {&lex.phrases_by_first_stem_, &lex.content_phrases_by_first_stem_}) {
    for (auto& [first, list] : *by_first) {
      std::stable_sort(list.begin(), list.end(), [](const Phrase& a, const Phrase& b) {
        return a.stems.size() > b.stems.size();
      });
    }
  }
  if (!r.ok()) return r.ToStatus();
  for (const auto& s : r.StringList(*doc, "symptoms", "", false)) {
    Symptom sym{s, lex.Analyze(s)};
    sym.terms.erase(std::remove(sym.terms.begin(), sym.terms.end(), "|"), sym.terms.end());
    if (!sym.terms.empty()) lex.symptoms_.push_back(std::move(sym));
  }
  if (!r.ok()) return r.ToStatus();
  std::stable_sort(lex.symptoms_.begin(), lex.symptoms_.end(), [](const Symptom& a, const Symptom& b) {
    return a.terms.size() > b.terms.size();
  });
  for (int i = 0; i < static_cast<int>(lex.symptoms_.size()); ++i) {
    lex.symptoms_by_first_term_[lex.symptoms_[i].terms[0]].push_back(i);
  }
  if (const nlohmann::json* cues = r.Field(*doc, "category_cues", "", false)) {
    if (!cues->is_object()) {
      r.Problem("category_cues", "must be an object: category -> list of phrases");
    } else {
      for (const auto& [category, phrases] : cues->items()) {
        for (const auto& phrase : r.StringList(*cues, category, "category_cues", true)) {
          for (const auto& t : lex.Analyze(phrase)) {
            if (t != "|") lex.category_cues_.try_emplace(t, category);
          }
        }
      }
    }
  }
  if (const nlohmann::json* cues = r.Field(*doc, "answer_cues", "", false)) {
    if (!cues->is_object()) {
      r.Problem("answer_cues", "must be an object: question phrase -> list of answer words");
    } else {
      for (const auto& [question, words] : cues->items()) {
        std::vector<std::string> q = lex.Analyze(question);
        if (q.size() != 1 || q[0][0] != '#') {
          r.Problem(absl::StrCat("answer_cues.", question),
                    "must be a phrase of one synonym group (add the group to \"synonyms\" first)");
          continue;
        }
        for (const auto& w : r.StringList(*cues, question, "answer_cues", true)) {
          std::vector<std::string> stems = Stems(w);
          if (stems.size() != 1) {
            r.Problem(absl::StrCat("answer_cues.", question), absl::StrCat("'", w, "' must be one word"));
            continue;
          }
          auto& list = lex.answer_cues_[stems[0]];
          if (std::find(list.begin(), list.end(), q[0]) == list.end()) list.push_back(q[0]);
        }
      }
    }
  }
  if (!r.ok()) return r.ToStatus();
  return lex;
}

std::vector<std::string> Lexicon::AnswerCues(absl::string_view text) const {
  std::vector<std::string> out;
  if (answer_cues_.empty()) return out;
  for (const auto& stem : Stems(text)) {
    auto it = answer_cues_.find(stem);
    if (it == answer_cues_.end()) continue;
    for (const auto& t : it->second) {
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    }
  }
  return out;
}

const Lexicon& Lexicon::Default() {
  static const Lexicon* const kValue = embedded::ParseOrDie<Lexicon>("agents/patient/data/lexicon.json");
  return *kValue;
}

std::vector<std::string> Lexicon::Analyze(absl::string_view text) const {
  std::string norm = NormalizeText(text);
  std::vector<absl::string_view> words = Tokenize(norm);
  std::vector<std::string> stems;
  stems.reserve(words.size());
  for (absl::string_view w : words) stems.push_back(Stem(w));
  std::vector<std::string> out;
  out.reserve(stems.size());
  size_t i = 0;
  while (i < stems.size()) {
    const Phrase* match = nullptr;
    if (auto it = phrases_by_first_stem_.find(stems[i]); it != phrases_by_first_stem_.end()) {
      for (const Phrase& p : it->second) {  // longest first
        if (i + p.stems.size() > stems.size()) continue;
        if (std::equal(p.stems.begin(), p.stems.end(), stems.begin() + i)) {
          match = &p;
          break;
        }
      }
    }
    if (match != nullptr) {
      out.push_back(match->term);
      i += match->stems.size();
      continue;
    }
    // Then with stopwords skipped on both sides, within the clause (never across a conjunction).
    if (auto it = content_phrases_by_first_stem_.find(stems[i]);
        it != content_phrases_by_first_stem_.end() && !stop_stems_.contains(stems[i])) {
      std::vector<size_t> at;  // positions of the next content words
      for (size_t k = i; k < stems.size() && at.size() < it->second.front().stems.size(); ++k) {
        if (IsConjunction(words[k])) break;
        if (!stop_stems_.contains(stems[k])) at.push_back(k);
      }
      for (const Phrase& p : it->second) {  // longest first
        if (p.stems.size() > at.size()) continue;
        bool same = true;
        for (size_t m = 0; m < p.stems.size() && same; ++m) same = stems[at[m]] == p.stems[m];
        if (same) {
          out.push_back(p.term);
          i = at[p.stems.size() - 1] + 1;
          match = &p;
          break;
        }
      }
      if (match != nullptr) continue;
    }
    if (IsConjunction(words[i])) {
      if (!out.empty() && out.back() != "|") out.push_back("|");
    } else if (!stop_stems_.contains(stems[i])) {
      out.push_back(std::move(stems[i]));
    }
    ++i;
  }
  while (!out.empty() && out.back() == "|") out.pop_back();
  return out;
}

absl::string_view Lexicon::ConceptName(absl::string_view term) const {
  if (term.size() < 2 || term[0] != '#') return "";
  size_t idx = 0;
  if (!absl::SimpleAtoi(AsAbsl(term.substr(1)), &idx) || idx >= concept_names_.size()) return "";
  return concept_names_[idx];
}

}  // namespace clinsim::agents
