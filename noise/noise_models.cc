// The registered noise models. Each rewrites one text using the word tables; none ever invents a
// fact: they move, blur, exaggerate, drop or cast doubt on what the case says.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "noise/noise.h"

namespace clinsim::noise {
namespace {

// Replaces the longest phrase of a table found in `text` with one of its alternatives.
std::optional<std::string> SwapLongest(
    absl::string_view text, const std::vector<std::pair<std::string, std::vector<std::string>>>& table,
    const PhraseIndex& index, Rng& rng) {
  std::string lower = absl::AsciiStrToLower(text);
  PhraseIndex::Match m = index.FindLongest(lower);
  if (m.entry < 0 || table[m.entry].second.empty()) return std::nullopt;
  const auto& tos = table[m.entry].second;
  std::string out(text);
  out.replace(m.pos, m.len, tos[rng.Uniform(static_cast<uint32_t>(tos.size()))]);
  return out;
}

std::optional<std::string> ReplaceLongest(absl::string_view text, absl::string_view lower,
                                          const std::vector<std::pair<std::string, std::string>>& table,
                                          const PhraseIndex& index) {
  PhraseIndex::Match m = index.FindLongest(lower);
  if (m.entry < 0) return std::nullopt;
  std::string out(text);
  out.replace(m.pos, m.len, table[m.entry].second);
  return out;
}

class BodyPartSwap : public NoiseModel {
 public:
  explicit BodyPartSwap(const NoiseTables& t, bool exam) : t_(t), exam_(exam) {}
  std::optional<std::string> Apply(absl::string_view text, absl::string_view, Rng& rng,
                                   double*) const override {
    return exam_ ? SwapLongest(text, t_.exam_site_swaps, t_.site_index, rng)
                 : SwapLongest(text, t_.adjacent_body_parts, t_.body_index, rng);
  }

 private:
  const NoiseTables& t_;
  bool exam_;
};

class SymptomConfusion : public NoiseModel {
 public:
  explicit SymptomConfusion(const NoiseTables& t) : t_(t) {}
  std::optional<std::string> Apply(absl::string_view text, absl::string_view, Rng& rng,
                                   double*) const override {
    return SwapLongest(text, t_.confusable_symptoms, t_.symptom_index, rng);
  }

 private:
  const NoiseTables& t_;
};

class SeverityChange : public NoiseModel {
 public:
  explicit SeverityChange(const NoiseTables& t) : t_(t) {}
  std::optional<std::string> Apply(absl::string_view text, absl::string_view, Rng& rng,
                                   double*) const override {
    bool up = rng.Bernoulli(0.5);
    std::string lower = absl::AsciiStrToLower(text);
    auto r = up ? ReplaceLongest(text, lower, t_.severity_up, t_.up_index)
                : ReplaceLongest(text, lower, t_.severity_down, t_.down_index);
    if (!r) {
      r = up ? ReplaceLongest(text, lower, t_.severity_down, t_.down_index)
             : ReplaceLongest(text, lower, t_.severity_up, t_.up_index);
    }
    return r;
  }

 private:
  const NoiseTables& t_;
};

// Misstates a duration ("two hours" -> "five hours", x0.3..x2) or, one time in four, is vague
// about it ("a while ago").
class TemporalChange : public NoiseModel {
 public:
  explicit TemporalChange(const NoiseTables& t) : t_(t) {}
  std::optional<std::string> Apply(absl::string_view text, absl::string_view, Rng& rng,
                                   double*) const override {
    static const char* const kWords[] = {"zero", "one", "two",   "three", "four",  "five", "six",
                                         "seven", "eight", "nine", "ten", "eleven", "twelve"};
    static const char* const kUnits[] = {"minute", "hour", "day", "week", "month", "year"};
    // Most facts name no duration: reject them before tokenising.
    std::string lower_text = absl::AsciiStrToLower(text);
    if (std::none_of(std::begin(kUnits), std::end(kUnits), [&](const char* u) {
          return lower_text.find(u) != std::string::npos;
        })) {
      return std::nullopt;
    }
    std::vector<absl::string_view> tokens = absl::StrSplit(text, ' ');
    for (size_t i = 0; i + 1 < tokens.size(); ++i) {
      std::string unit = absl::AsciiStrToLower(tokens[i + 1]);
      while (!unit.empty() && !std::isalpha(static_cast<unsigned char>(unit.back()))) unit.pop_back();
      if (!unit.empty() && unit.back() == 's') unit.pop_back();
      if (std::find_if(std::begin(kUnits), std::end(kUnits),
                       [&](const char* u) { return unit == u; }) == std::end(kUnits)) {
        continue;
      }
      std::string word = absl::AsciiStrToLower(tokens[i]);
      int n = -1;
      for (int k = 0; k <= 12; ++k) {
        if (word == kWords[k]) n = k;
      }
      if (word == "a" || word == "an") n = 1;
      bool digits = !word.empty() && std::all_of(word.begin(), word.end(), ::isdigit) && word.size() < 6;
      if (digits) n = std::stoi(word);
      if (n < 1) continue;
      std::vector<std::string> out(tokens.begin(), tokens.end());
      if (rng.Bernoulli(0.25) && !t_.vague_onsets.empty()) {
        // Vague: the number and unit become a vague phrase.
        std::string tail(tokens[i + 1].substr(tokens[i + 1].find_last_not_of(".,;!?") + 1));
        out[i] = t_.vague_onsets[rng.Uniform(static_cast<uint32_t>(t_.vague_onsets.size()))];
        out[i + 1] = tail;
        if (i > 0 && (absl::AsciiStrToLower(out[i - 1]) == "about" || absl::AsciiStrToLower(out[i - 1]) == "for")) out[i - 1] = "";
        std::vector<std::string> kept;
        for (auto& s : out) {
          if (!s.empty()) kept.push_back(s);
        }
        // "... a while ago ago": drop a following "ago" the vague phrase already has.
        std::string joined = absl::StrJoin(kept, " ");
        for (size_t p; (p = joined.find("ago ago")) != std::string::npos;) joined.replace(p, 7, "ago");
        return joined;
      }
      double factor = 0.3 + 1.7 * rng.UniformDouble();
      int m = std::max(1, static_cast<int>(std::lround(n * factor)));
      if (m == n) m = n * 2;
      std::string number = (!digits && m <= 12) ? kWords[m] : std::to_string(m);
      out[i] = number;
      // Keep the plural right: "one day" -> "three days", "two days" -> "one day".
      std::string u(tokens[i + 1]);
      size_t core_end = u.find_last_not_of(".,;!?") + 1;
      std::string core = u.substr(0, core_end), punct = u.substr(core_end);
      if (m > 1 && core.back() != 's') core += "s";
      if (m == 1 && core.back() == 's') core.pop_back();
      out[i + 1] = core + punct;
      if (word == "an" || word == "a") {
        // "an hour" -> "3 hours"
      }
      return absl::StrJoin(out, " ");
    }
    return std::nullopt;
  }

 private:
  const NoiseTables& t_;
};

class Omission : public NoiseModel {
 public:
  std::optional<std::string> Apply(absl::string_view, absl::string_view, Rng&,
                                   double*) const override {
    return std::string();
  }
};

class SelfDiagnosis : public NoiseModel {
 public:
  explicit SelfDiagnosis(const NoiseTables& t) : t_(t) {}
  std::optional<std::string> Apply(absl::string_view text, absl::string_view topic, Rng& rng,
                                   double*) const override {
    std::string context = absl::AsciiStrToLower(absl::StrCat(topic, " ", text));
    const std::vector<std::string>* guesses = nullptr;
    PhraseIndex::Match m = t_.topic_index.FindLongest(context);
    if (m.entry >= 0 && !t_.lay_self_diagnoses[m.entry].second.empty()) {
      guesses = &t_.lay_self_diagnoses[m.entry].second;
    }
    if (guesses == nullptr) {
      for (const auto& [key, list] : t_.lay_self_diagnoses) {
        if (key == "default" && !list.empty()) guesses = &list;
      }
    }
    if (guesses == nullptr) return std::nullopt;
    std::string g = (*guesses)[rng.Uniform(static_cast<uint32_t>(guesses->size()))];
    if (!g.empty()) g[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(g[0])));
    if (!g.empty() && g.back() != '.' && g.back() != '!' && g.back() != '?') g += ".";
    return absl::StrCat(text, " ", g);
  }

 private:
  const NoiseTables& t_;
};

class VagueAnswer : public NoiseModel {
 public:
  explicit VagueAnswer(const NoiseTables& t) : t_(t) {}
  std::optional<std::string> Apply(absl::string_view, absl::string_view, Rng& rng,
                                   double*) const override {
    if (t_.vague_answers.empty()) return std::nullopt;
    return t_.vague_answers[rng.Uniform(static_cast<uint32_t>(t_.vague_answers.size()))];
  }

 private:
  const NoiseTables& t_;
};

// Drops one clause of a finding with several ("A; B; C" -> "A; C").
class ExamOmission : public NoiseModel {
 public:
  std::optional<std::string> Apply(absl::string_view text, absl::string_view, Rng& rng,
                                   double*) const override {
    std::string body(text);
    bool period = !body.empty() && body.back() == '.';
    if (period) body.pop_back();
    for (const char* sep : {"; ", ", "}) {
      std::vector<std::string> parts = absl::StrSplit(body, sep);
      if (parts.size() < 2) continue;
      parts.erase(parts.begin() + rng.Uniform(static_cast<uint32_t>(parts.size())));
      std::string out = absl::StrJoin(parts, sep);
      if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
      return period ? out + "." : out;
    }
    return std::nullopt;
  }
};

class Ambiguity : public NoiseModel {
 public:
  explicit Ambiguity(const NoiseTables& t) : t_(t) {}
  std::optional<std::string> Apply(absl::string_view text, absl::string_view, Rng& rng,
                                   double*) const override {
    if (t_.equivocal_prefixes.empty() || text.empty()) return std::nullopt;
    std::string body(text);
    // Lower-case the first letter unless it starts an acronym ("ECG", "ST").
    if (body.size() > 1 && std::isupper(static_cast<unsigned char>(body[0])) &&
        !std::isupper(static_cast<unsigned char>(body[1]))) {
      body[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(body[0])));
    }
    return absl::StrCat(
        t_.equivocal_prefixes[rng.Uniform(static_cast<uint32_t>(t_.equivocal_prefixes.size()))],
        body);
  }

 private:
  const NoiseTables& t_;
};

// Analytic variation: every measurement in a result is scaled by one factor drawn uniformly
// within +-2 coefficients of variation of the analyte (CLIA-style), units and ranges untouched.
class MeasurementError : public NoiseModel {
 public:
  explicit MeasurementError(const NoiseTables& t) : t_(t) {}
  std::optional<std::string> Apply(absl::string_view text, absl::string_view, Rng& rng,
                                   double* value_scale) const override {
    double first = 0;
    std::string out = ScaleNumbers(text, [&](absl::string_view clause) {
      double f = 1.0 + CvFor(clause) * (4.0 * rng.UniformDouble() - 2.0);
      if (first == 0) first = f;
      return f;
    });
    if (out == text) return std::nullopt;
    if (value_scale != nullptr) *value_scale = first;
    return out;
  }

 private:
  // The CV of the analyte named in the clause before a number (table order: longest first).
  double CvFor(absl::string_view clause) const {
    PhraseIndex::Match m = t_.cv_index.FindLongest(absl::AsciiStrToLower(clause));
    return m.entry < 0 ? t_.default_cv : t_.lab_cv[m.entry].second;
  }

 private:
  const NoiseTables& t_;
};

}  // namespace

std::string ScaleNumbers(absl::string_view text,
                         const std::function<double(absl::string_view clause)>& factor) {
  std::string out;
  const size_t n = text.size();
  size_t i = 0;
  size_t clause_start = 0;
  auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  while (i < n) {
    if (!digit(text[i])) {
      if (text[i] == ',' || text[i] == ';' || text[i] == ':' || text[i] == '(') clause_start = i + 1;
      out.push_back(text[i++]);
      continue;
    }
    size_t start = i;
    // Digits, with "1,840"-style thousands separators.
    auto thousands = [&](size_t k) {
      return text[k] == ',' && k + 3 < n && digit(text[k + 1]) && digit(text[k + 2]) &&
             digit(text[k + 3]) && (k + 4 == n || !digit(text[k + 4]));
    };
    while (i < n && (digit(text[i]) || thousands(i))) i += text[i] == ',' ? 4 : 1;
    size_t decimals = 0;
    if (i + 1 < n && text[i] == '.' && digit(text[i + 1])) {
      ++i;
      while (i < n && digit(text[i])) {
        ++i;
        ++decimals;
      }
    }
    absl::string_view tok = text.substr(start, i - start);
    char prev = start > 0 ? text[start - 1] : ' ';
    char prev2 = start > 1 ? text[start - 2] : ' ';
    char next = i < n ? text[i] : ' ';
    char next2 = i + 1 < n ? text[i + 1] : ' ';
    bool identifier = alpha(prev) || prev == '^' || next == '^' || alpha(next) ||
                      (next == '-' && alpha(next2)) || (prev == '-' && digit(prev2)) ||
                      (next == '-' && digit(next2)) || prev == '.';
    if (identifier) {
      out.append(tok.data(), tok.size());
      continue;
    }
    std::string plain;
    for (char c : tok) {
      if (c != ',') plain.push_back(c);
    }
    double v = std::stod(plain) * factor(text.substr(clause_start, start - clause_start));
    bool commas = tok.find(',') != absl::string_view::npos;
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(decimals), v);
    std::string s = buf;
    if (commas) {
      size_t dot = s.find('.');
      size_t int_end = dot == std::string::npos ? s.size() : dot;
      for (int k = static_cast<int>(int_end) - 3; k > 0; k -= 3) s.insert(k, ",");
    }
    out += s;
  }
  return out;
}

const std::vector<NoiseTypeInfo>& NoiseTypes() {
  static const auto* kTypes = new std::vector<NoiseTypeInfo>{
      {"patient.omission", "patient", "leaves out a fact it was asked about"},
      {"patient.vague_answer", "patient", "answers without content"},
      {"patient.body_part_swap", "patient", "places a symptom in an adjacent body part"},
      {"patient.symptom_confusion", "patient", "names a neighbouring symptom (burning -> stabbing)"},
      {"patient.severity_change", "patient", "up- or down-plays severity"},
      {"patient.temporal_change", "patient", "misstates durations (x0.3..x2) or is vague about onset"},
      {"patient.self_diagnosis", "patient", "volunteers a lay self-diagnosis"},
      {"exam.omission", "exam", "one clause of a finding or result is dropped"},
      {"exam.ambiguity", "exam", "the finding or result is reported as equivocal"},
      {"exam.body_part_swap", "exam", "a finding is reported at an adjacent or mirrored site"},
      {"exam.measurement_error", "exam", "lab values vary within analytic variation (units kept)"},
  };
  return *kTypes;
}

absl::StatusOr<std::unique_ptr<NoiseModel>> CreateNoiseModel(absl::string_view name,
                                                              const NoiseTables& t) {
  if (name == "patient.omission") return std::make_unique<Omission>();
  if (name == "patient.vague_answer") return std::make_unique<VagueAnswer>(t);
  if (name == "patient.body_part_swap") return std::make_unique<BodyPartSwap>(t, false);
  if (name == "patient.symptom_confusion") return std::make_unique<SymptomConfusion>(t);
  if (name == "patient.severity_change") return std::make_unique<SeverityChange>(t);
  if (name == "patient.temporal_change") return std::make_unique<TemporalChange>(t);
  if (name == "patient.self_diagnosis") return std::make_unique<SelfDiagnosis>(t);
  if (name == "exam.omission") return std::make_unique<ExamOmission>();
  if (name == "exam.ambiguity") return std::make_unique<Ambiguity>(t);
  if (name == "exam.body_part_swap") return std::make_unique<BodyPartSwap>(t, true);
  if (name == "exam.measurement_error") return std::make_unique<MeasurementError>(t);
  std::vector<std::string> names;
  for (const auto& i : NoiseTypes()) names.push_back(i.name);
  return absl::NotFoundError(absl::StrCat("unknown noise type '", name, "'; types are: ",
                                          absl::StrJoin(names, ", ")));
}

}  // namespace clinsim::noise
