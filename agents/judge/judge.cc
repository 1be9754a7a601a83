#include "agents/judge/judge.h"

#include <algorithm>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/embedded_data.h"
#include "common/text.h"
#include "nlohmann/json.hpp"

namespace clinsim::agents {
namespace {

// Words that do not change which disease is named.
bool IsFiller(absl::string_view w) {
  static const char* const kFiller[] = {"of", "the", "a", "an", "with", "due", "to", "in",
                                        "disease", "syndrome", "disord", "acut", "primari",
                                        "probabl", "like", "most", "diagnosi", "secondari", "and"};
  for (const char* f : kFiller) {
    if (w == f) return true;
  }
  return false;
}

bool IsNegation(absl::string_view w) {
  return w == "no" || w == "not" || w == "without" || w == "exclud" || w == "rule" || w == "unlik";
}

std::string FoldSpelling(absl::string_view word) {
  std::string w(word);
  static const std::pair<const char*, const char*> kFolds[] = {
      {"haem", "hem"},     {"anaem", "anem"},   {"oesoph", "esoph"}, {"oedem", "edem"},
      {"diarrhoea", "diarrhea"}, {"tumour", "tumor"}, {"sulph", "sulf"}, {"ischaem", "ischem"},
      {"leukaem", "leukem"}, {"paed", "ped"},   {"aemia", "emia"},   {"oestr", "estr"},
      {"gynaec", "gynec"}, {"coeliac", "celiac"}, {"caec", "cec"},    {"fibre", "fiber"},
      {"colour", "color"}};
  for (const auto& [from, to] : kFolds) w = absl::StrReplaceAll(w, {{from, to}});
  return w;
}

std::vector<std::string> CanonicalWords(
    absl::string_view name, const absl::flat_hash_map<std::string, std::string>& abbreviations) {
  std::string norm = NormalizeText(name);
  std::vector<std::string> expanded;
  for (absl::string_view w : Tokenize(norm)) {
    std::string f = FoldSpelling(w);
    if (auto it = abbreviations.find(f); it != abbreviations.end()) {
      for (absl::string_view e : Tokenize(it->second)) expanded.push_back(std::string(e));
    } else {
      expanded.push_back(std::move(f));
    }
  }
  std::vector<std::string> out;
  for (const auto& w : expanded) {
    std::string s = Stem(w);
    if (!IsFiller(s) && !IsFiller(w)) out.push_back(std::move(s));
  }
  return out;
}

// First diagnosis of a hedged answer: "PE or pneumonia" -> "PE".
std::string PrimaryPart(absl::string_view answer) {
  std::string lower = absl::AsciiStrToLower(AsAbsl(answer));
  size_t cut = lower.size();
  for (const char* sep : {" or ", " vs ", " vs. ", " versus ", ",", ";", "/", " and/or "}) {
    size_t p = lower.find(sep);
    if (p != std::string::npos && p > 0) cut = std::min(cut, p);
  }
  return std::string(answer.substr(0, cut));
}

}  // namespace

std::string NormalizeIcd10(absl::string_view code) {
  std::string out;
  for (char c : code) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

RuleJudge::RuleJudge() : tables_(SharedTables()) {}

const RuleJudge::Tables& RuleJudge::SharedTables() {
  static const Tables* const kTables = [] {
    auto* t = new Tables;
    if (auto text = embedded::Find("agents/judge/data/abbreviations.json")) {
      auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("abbreviations") && j["abbreviations"].is_object()) {
        for (const auto& [k, v] : j["abbreviations"].items()) {
          if (v.is_string()) t->abbreviations[k] = v.get<std::string>();
        }
      }
    }
    // General disease -> ICD-10 knowledge (the table the scripted doctor uses); it lets the judge
    // recognise "same code" and "same category" answers worded differently from the case.
    if (auto text = embedded::Find("agents/doctors/data/disease_table.json")) {
      auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("diseases") && j["diseases"].is_array()) {
        for (const auto& d : j["diseases"]) {
          if (d.contains("name") && d["name"].is_string() && d.contains("icd10") &&
              d["icd10"].is_string()) {
            t->icd_by_name.try_emplace(
                absl::StrJoin(CanonicalWords(d["name"].get<std::string>(), t->abbreviations), " "),
                NormalizeIcd10(d["icd10"].get<std::string>()));
          }
        }
      }
    }
    return t;
  }();
  return *kTables;
}

std::string RuleJudge::Canonical(absl::string_view name) const {
  return absl::StrJoin(CanonicalWords(name, tables_.abbreviations), " ");
}

bool RuleJudge::Matches(absl::string_view answer, absl::string_view target) const {
  std::vector<std::string> a = CanonicalWords(answer, tables_.abbreviations);
  std::vector<std::string> t = CanonicalWords(target, tables_.abbreviations);
  if (a.empty() || t.empty()) return false;
  if (a == t) return true;
  // Negated answers ("not MI") never match.
  std::string norm = NormalizeText(answer);
  for (absl::string_view w : Tokenize(norm)) {
    if (IsNegation(Stem(w))) return false;
  }
  // A more specific answer contains every word of the target ("acute inferior MI" vs "MI").
  return std::all_of(t.begin(), t.end(), [&](const std::string& w) {
    return std::find(a.begin(), a.end(), w) != a.end();
  });
}

Verdict RuleJudge::Evaluate(const cases::Diagnosis& truth, absl::string_view diagnosis,
                            absl::string_view icd10, const std::vector<std::string>& differential) {
  Verdict v;
  std::string primary = PrimaryPart(diagnosis);
  // An ICD-10 code written inside the answer ("Pulmonary embolism (I26.99)") counts as given.
  std::string code = NormalizeIcd10(icd10);
  if (code.empty()) {
    static const std::regex kCode("\\b([A-Z][0-9][0-9A-Z](\\.[0-9A-Z]{1,4})?)\\b");
    std::smatch m;
    std::string s(diagnosis);
    if (std::regex_search(s, m, kCode)) code = NormalizeIcd10(m[1].str());
  }
  std::vector<std::string> names = {truth.name};
  names.insert(names.end(), truth.aliases.begin(), truth.aliases.end());
  for (const auto& n : names) {
    if (Matches(primary, n)) {
      v.score = 5;
      v.reason = absl::StrCat("names the diagnosis ('", n, "')");
      v.correct = true;
      return v;
    }
  }
  std::string truth_code = NormalizeIcd10(truth.icd10);
  if (code.empty()) {
    if (auto it = tables_.icd_by_name.find(Canonical(primary)); it != tables_.icd_by_name.end()) code = it->second;
  }
  if (!code.empty() && code == truth_code) {
    v.score = 4;
    v.reason = absl::StrCat("same ICD-10 code (", truth.icd10, ")");
  } else if (code.size() >= 3 && truth_code.size() >= 3 && code.substr(0, 3) == truth_code.substr(0, 3)) {
    v.score = 3;
    v.reason = absl::StrCat("same ICD-10 category (", truth_code.substr(0, 3), ")");
  } else {
    for (const auto& d : truth.differential) {
      if (Matches(primary, d)) {
        v.score = 2;
        v.reason = absl::StrCat("a differential diagnosis of the case ('", d, "')");
        break;
      }
    }
    if (v.score == 1) v.reason = "does not match the diagnosis";
  }
  v.correct = v.score >= 4;
  return v;
}

}  // namespace clinsim::agents
