#include "agents/doctors/disease_table.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/container/flat_hash_set.h"
#include "agents/patient/lexicon.h"
#include "common/embedded_data.h"
#include "common/json_reader.h"
#include "common/text.h"

namespace clinsim::agents {
namespace {

bool Negated(const std::vector<absl::string_view>& words) {
  for (absl::string_view w : words) {
    if (w == "no" || w == "not" || w == "denies" || w == "without" || w == "negative" ||
        w == "havent" || w == "normal" || w == "unremarkable" || w == "never" || w == "nor" ||
        w == "absent" || w == "dont" || w == "didnt" || w == "none") {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<DiseaseTable> DiseaseTable::FromJson(absl::string_view json_text,
                                                     absl::string_view origin) {
  JsonReader r(origin);
  auto doc = r.Parse(json_text);
  if (!doc) return r.ToStatus();
  DiseaseTable t;
  const nlohmann::json* list = r.Array(*doc, "diseases", "");
  if (list == nullptr) return r.ToStatus();
  for (size_t i = 0; i < list->size(); ++i) {
    const auto& d = (*list)[i];
    std::string path = absl::StrCat("diseases[", i, "]");
    Disease dis;
    dis.name = r.String(d, "name", path);
    dis.icd10 = r.String(d, "icd10", path, false);
    dis.specialty = r.String(d, "specialty", path, false);
    dis.tests = r.StringList(d, "tests", path, false);
    if (const auto* fs = r.Array(d, "findings", path)) {
      for (size_t k = 0; k < fs->size(); ++k) {
        std::string fp = absl::StrCat(path, ".findings[", k, "]");
        DiseaseFinding f;
        f.text = r.String((*fs)[k], "text", fp);
        f.weight = r.Number((*fs)[k], "weight", fp).value_or(1);
        for (auto& t : Lexicon::Default().Analyze(f.text)) {
          if (t != "|") f.terms.push_back(std::move(t));
        }
        dis.total_weight += f.weight;
        if (!f.terms.empty()) dis.findings.push_back(std::move(f));
      }
    }
    t.diseases_.push_back(std::move(dis));
  }
  if (!r.ok()) return r.ToStatus();
  // Specificity: a finding made of words that many diseases share ("fever", "fatigue") tells the
  // diseases apart less than a rare one ("ptosis"), so each weight is scaled by its words' idf.
  absl::flat_hash_map<std::string, int> df;
  for (const auto& d : t.diseases_) {
    absl::flat_hash_set<std::string> seen;
    for (const auto& f : d.findings) seen.insert(f.terms.begin(), f.terms.end());
    for (const auto& term : seen) ++df[term];
  }
  const double n = static_cast<double>(std::max<size_t>(t.diseases_.size(), 2));
  for (auto& d : t.diseases_) {
    d.total_weight = 0;
    for (auto& f : d.findings) {
      double idf = 0;
      for (const auto& term : f.terms) idf = std::max(idf, std::log(n / df[term]) / std::log(n));
      f.weight *= idf;
      d.total_weight += f.weight;
    }
  }
  return t;
}

const DiseaseTable& DiseaseTable::Default() {
  static const DiseaseTable* const kValue = embedded::ParseOrDie<DiseaseTable>("agents/doctors/data/disease_table.json");
  return *kValue;
}

std::vector<double> DiseaseTable::ScoreText(absl::string_view evidence) const {
  const Lexicon& lex = Lexicon::Default();
  // One term set per sentence, holding the parts before the first negated part.
  std::vector<absl::flat_hash_set<std::string>> sentences(1);
  bool negated = false;
  std::string part;
  auto flush_part = [&] {
    std::string norm = NormalizeText(part);
    std::vector<absl::string_view> words = Tokenize(norm);
    negated = negated || Negated(words);
    if (!negated) {
      for (auto& t : lex.Analyze(part)) sentences.back().insert(std::move(t));
    }
    part.clear();
  };
  for (char c : evidence) {
    if (c == '.' || c == ';' || c == '\n' || c == ':' || c == '?' || c == '!') {
      flush_part();
      negated = false;
      if (!sentences.back().empty()) sentences.emplace_back();
    } else if (c == ',') {
      flush_part();
    } else {
      part.push_back(c);
    }
  }
  flush_part();
  std::vector<double> scores(diseases_.size(), 0.0);
  for (size_t i = 0; i < diseases_.size(); ++i) {
    double s = 0;
    for (const auto& f : diseases_[i].findings) {
      for (const auto& sent : sentences) {
        bool all = std::all_of(f.terms.begin(), f.terms.end(),
                               [&](const std::string& t) { return sent.contains(t); });
        if (all) {
          s += f.weight;
          break;
        }
      }
    }
    // Diseases with long finding lists would win on volume alone; damp by their size.
    scores[i] = diseases_[i].total_weight > 0 ? s / std::sqrt(diseases_[i].total_weight) : 0;
  }
  return scores;
}

}  // namespace clinsim::agents
