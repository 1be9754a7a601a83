#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/embedded_data.h"
#include "common/json_reader.h"
#include "noise/noise.h"

namespace clinsim::noise {
namespace {

using Table = std::vector<std::pair<std::string, std::vector<std::string>>>;

Table ReadTable(JsonReader& r, const nlohmann::json& doc, const char* key) {
  Table out;
  const nlohmann::json* obj = r.Field(doc, key, "", true);
  if (obj == nullptr) return out;
  if (!obj->is_object()) {
    r.Problem(key, "must be an object of word -> list of words");
    return out;
  }
  for (const auto& [k, v] : obj->items()) out.emplace_back(k, r.StringList(*obj, k, key));
  // Longest phrase first, so "left arm" wins over "arm".
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  return out;
}

std::vector<std::pair<std::string, std::string>> ReadPairs(JsonReader& r, const nlohmann::json& doc,
                                                          const char* key) {
  std::vector<std::pair<std::string, std::string>> out;
  const nlohmann::json* obj = r.Field(doc, key, "", true);
  if (obj == nullptr || !obj->is_object()) {
    if (obj != nullptr) r.Problem(key, "must be an object of word -> word");
    return out;
  }
  for (const auto& [k, v] : obj->items()) out.emplace_back(k, r.String(*obj, k, key));
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  return out;
}

}  // namespace

absl::StatusOr<NoiseTables> NoiseTables::FromJson(absl::string_view json_text,
                                                   absl::string_view origin) {
  JsonReader r(origin);
  auto doc = r.Parse(json_text);
  if (!doc) return r.ToStatus();
  NoiseTables t;
  t.adjacent_body_parts = ReadTable(r, *doc, "adjacent_body_parts");
  t.exam_site_swaps = ReadTable(r, *doc, "exam_site_swaps");
  t.confusable_symptoms = ReadTable(r, *doc, "confusable_symptoms");
  t.lay_self_diagnoses = ReadTable(r, *doc, "lay_self_diagnoses");
  t.severity_up = ReadPairs(r, *doc, "severity_up");
  t.severity_down = ReadPairs(r, *doc, "severity_down");
  t.vague_onsets = r.StringList(*doc, "vague_onsets", "");
  t.vague_answers = r.StringList(*doc, "vague_answers", "");
  t.equivocal_prefixes = r.StringList(*doc, "equivocal_prefixes", "");
  if (const nlohmann::json* cv = r.Field(*doc, "lab_cv", "", true)) {
    for (const auto& [k, v] : cv->items()) {
      auto x = r.Number(*cv, k, "lab_cv");
      if (x && (*x < 0 || *x > 0.5)) r.Problem(absl::StrCat("lab_cv.", k), "must be in [0, 0.5]");
      t.lab_cv.emplace_back(k, x.value_or(0.03));
    }
    std::stable_sort(t.lab_cv.begin(), t.lab_cv.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  }
  if (!r.ok()) return r.ToStatus();
  auto index = [](const auto& table, PhraseIndex* idx) {
    for (size_t i = 0; i < table.size(); ++i) {
      if (table[i].first != "default") idx->Add(table[i].first, static_cast<int>(i));
    }
  };
  index(t.adjacent_body_parts, &t.body_index);
  index(t.exam_site_swaps, &t.site_index);
  index(t.confusable_symptoms, &t.symptom_index);
  index(t.severity_up, &t.up_index);
  index(t.severity_down, &t.down_index);
  index(t.lay_self_diagnoses, &t.topic_index);
  index(t.lab_cv, &t.cv_index);
  for (const auto& [k, v] : t.lab_cv) {
    if (k == "default") t.default_cv = v;
  }
  return t;
}

namespace {
bool IsWordByte(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '\'' ||
         static_cast<unsigned char>(c) >= 0x80;
}
// Word spans of a text: words are runs of letters, digits, apostrophes and UTF-8 bytes.
std::vector<std::pair<size_t, size_t>> WordSpans(absl::string_view text) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsWordByte(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && IsWordByte(text[i])) ++i;
    if (i > start) out.emplace_back(start, i);
  }
  return out;
}
}  // namespace

void PhraseIndex::Add(absl::string_view lower_phrase, int entry) {
  Phrase p{{}, entry};
  for (const auto& [b, e] : WordSpans(lower_phrase)) p.words.emplace_back(lower_phrase.substr(b, e - b));
  if (p.words.empty()) return;
  auto& list = by_first_word_[p.words[0]];
  list.push_back(std::move(p));
  std::stable_sort(list.begin(), list.end(),
                   [](const Phrase& a, const Phrase& b) { return a.words.size() > b.words.size(); });
}

PhraseIndex::Match PhraseIndex::FindLongest(absl::string_view text) const {
  Match best;
  size_t best_words = 0;
  std::vector<std::pair<size_t, size_t>> spans = WordSpans(text);
  for (size_t i = 0; i < spans.size(); ++i) {
    auto it = by_first_word_.find(text.substr(spans[i].first, spans[i].second - spans[i].first));
    if (it == by_first_word_.end()) continue;
    for (const Phrase& p : it->second) {  // most words first
      if (p.words.size() <= best_words) break;
      if (i + p.words.size() > spans.size()) continue;
      bool all = true;
      for (size_t k = 1; k < p.words.size() && all; ++k) {
        const auto& sp = spans[i + k];
        all = text.substr(sp.first, sp.second - sp.first) == p.words[k];
      }
      if (!all) continue;
      best_words = p.words.size();
      best.entry = p.entry;
      best.pos = spans[i].first;
      best.len = spans[i + p.words.size() - 1].second - spans[i].first;
      break;
    }
  }
  return best;
}

const NoiseTables& NoiseTables::Default() {
  static const NoiseTables* const kValue = embedded::ParseOrDie<NoiseTables>("noise/data/tables.json");
  return *kValue;
}

bool NoiseProfile::empty() const {
  return std::all_of(rates.begin(), rates.end(), [](const auto& kv) { return kv.second <= 0; });
}

absl::StatusOr<std::map<std::string, NoiseProfile>> ParseProfiles(absl::string_view json_text,
                                                                  absl::string_view origin) {
  JsonReader r(origin);
  auto doc = r.Parse(json_text);
  if (!doc) return r.ToStatus();
  std::map<std::string, NoiseProfile> out;
  const nlohmann::json* profiles = r.Field(*doc, "profiles", "", true);
  if (profiles == nullptr || !profiles->is_object()) {
    if (profiles != nullptr) r.Problem("profiles", "must be an object of name -> rates");
    return r.ToStatus();
  }
  for (const auto& [name, rates] : profiles->items()) {
    NoiseProfile p;
    p.name = name;
    std::string path = absl::StrCat("profiles.", name);
    if (!rates.is_object()) {
      r.Problem(path, "must be an object of noise type -> rate");
      continue;
    }
    for (const auto& [type, rate] : rates.items()) {
      bool known = std::any_of(NoiseTypes().begin(), NoiseTypes().end(),
                               [&type = type](const NoiseTypeInfo& i) { return i.name == type; });
      if (!known) {
        r.Problem(absl::StrCat(path, ".", type), "unknown noise type");
        continue;
      }
      if (!rate.is_number() || rate.get<double>() < 0 || rate.get<double>() > 1) {
        r.Problem(absl::StrCat(path, ".", type), "rate must be a number in [0, 1]");
        continue;
      }
      p.rates[type] = rate.get<double>();
    }
    out[name] = std::move(p);
  }
  if (!r.ok()) return r.ToStatus();
  return out;
}

namespace {
struct ProfileHolder {
  static absl::StatusOr<ProfileHolder> FromJson(absl::string_view text, absl::string_view origin) {
    auto p = ParseProfiles(text, origin);
    if (!p.ok()) return p.status();
    return ProfileHolder{*std::move(p)};
  }
  std::map<std::string, NoiseProfile> profiles;
};
}  // namespace

const std::map<std::string, NoiseProfile>& DefaultProfiles() {
  static const ProfileHolder* const kValue =
      embedded::ParseOrDie<ProfileHolder>("noise/data/profiles.json");
  return kValue->profiles;
}

absl::StatusOr<NoiseProfile> ParseNoiseSpec(absl::string_view spec) {
  const auto& named = DefaultProfiles();
  auto profile_names = [&] {
    std::vector<std::string> n;
    for (const auto& [k, v] : named) n.push_back(k);
    return absl::StrJoin(n, ", ");
  };
  NoiseProfile out;
  std::vector<std::string> parts = absl::StrSplit(spec, ',', absl::SkipWhitespace());
  if (parts.empty()) return out;
  bool overrides = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string part(absl::StripAsciiWhitespace(parts[i]));
    size_t eq = part.find('=');
    if (eq == std::string::npos) {
      if (i != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "noise spec '", spec, "': a profile name may only come first; then TYPE=RATE pairs"));
      }
      auto it = named.find(part);
      if (it == named.end()) {
        return absl::InvalidArgumentError(absl::StrCat("unknown noise profile '", part,
                                                       "'; profiles are: ", profile_names(),
                                                       " (or TYPE=RATE pairs)"));
      }
      out = it->second;
      continue;
    }
    std::string type(absl::StripAsciiWhitespace(part.substr(0, eq)));
    std::string rate_text(absl::StripAsciiWhitespace(part.substr(eq + 1)));
    bool known = std::any_of(NoiseTypes().begin(), NoiseTypes().end(),
                             [&](const NoiseTypeInfo& t) { return t.name == type; });
    if (!known) {
      std::vector<std::string> names;
      for (const auto& t : NoiseTypes()) names.push_back(t.name);
      return absl::InvalidArgumentError(absl::StrCat("unknown noise type '", type,
                                                     "'; types are: ", absl::StrJoin(names, ", ")));
    }
    double rate = 0;
    if (!absl::SimpleAtod(rate_text, &rate) || !(rate >= 0 && rate <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat("noise rate for ", type, " must be in [0, 1], got '",
                                                     rate_text, "'"));
    }
    out.rates[type] = rate;
    overrides = true;
  }
  if (overrides) out.name = std::string(spec);
  return out;
}

namespace {
uint64_t EpisodePart(uint64_t seed, absl::string_view case_id) {
  return DeriveSeed(seed, "noise") ^ Mix(StableHash(case_id));
}
uint64_t TargetPart(absl::string_view target) { return Mix(Mix(StableHash(target))); }
}  // namespace

uint64_t DecisionSeed(uint64_t seed, absl::string_view case_id, absl::string_view target,
                      absl::string_view type) {
  return Mix(EpisodePart(seed, case_id) ^ TargetPart(target) ^ StableHash(type));
}

NoiseEngine::NoiseEngine(NoiseProfile profile, uint64_t seed, std::string case_id,
                         const NoiseTables& tables)
    : profile_(std::move(profile)),
      seed_(seed),
      case_id_(std::move(case_id)),
      episode_part_(EpisodePart(seed_, case_id_)) {
  for (const auto& info : NoiseTypes()) {
    auto it = profile_.rates.find(info.name);
    if (it == profile_.rates.end() || it->second <= 0) continue;
    auto model = CreateNoiseModel(info.name, tables);
    if (!model.ok()) continue;  // every listed type is registered
    Active a{info.name, it->second, StableHash(info.name), *std::move(model)};
    (info.channel == "patient" ? patient_ : exam_).push_back(std::move(a));
  }
}

bool NoiseEngine::Fires(const Active& a, uint64_t target_part, Rng* rng) const {
  // == DecisionSeed(seed_, case_id_, target, a.type), with the per-episode parts precomputed.
  uint64_t d = Mix(episode_part_ ^ target_part ^ a.type_hash);
  // The firing draw and the rewriting stream come from the same pure seed, split apart.
  double u = static_cast<double>(Mix(d) >> 11) * 0x1.0p-53;
  if (u >= a.rate) return false;
  *rng = Rng(d);
  return true;
}

std::string NoiseEngine::ApplyPatient(absl::string_view fact_id, absl::string_view text,
                                      absl::string_view topic,
                                      std::vector<NoiseEvent>* events) const {
  // Most facts pass untouched: decide first, copy only when a model fires.
  const uint64_t target_part = TargetPart(fact_id);
  std::string current;
  bool changed = false;
  Rng rng(0);
  for (const Active& a : patient_) {
    if (!Fires(a, target_part, &rng)) continue;
    absl::string_view before = changed ? absl::string_view(current) : text;
    std::optional<std::string> out = a.model->Apply(before, topic, rng, nullptr);
    if (!out || *out == before) continue;
    if (events != nullptr) events->push_back({a.type, std::string(fact_id), std::string(before), *out});
    current = *std::move(out);
    changed = true;
    // Withheld or emptied of content: nothing further to corrupt.
    if (a.type == "patient.omission" || a.type == "patient.vague_answer") break;
  }
  return changed ? current : std::string(text);
}

std::string NoiseEngine::ApplyExam(absl::string_view target, absl::string_view text, bool is_test,
                                   std::optional<double>* value,
                                   std::vector<NoiseEvent>* events) const {
  std::string current(text);
  Rng rng(0);
  const uint64_t target_part = TargetPart(target);
  for (const Active& a : exam_) {
    if (a.type == "exam.measurement_error" && !is_test) continue;
    if (!Fires(a, target_part, &rng)) continue;
    double scale = 1.0;
    std::optional<std::string> out = a.model->Apply(current, "", rng, &scale);
    if (!out || *out == current || out->empty()) continue;
    if (events != nullptr) events->push_back({a.type, std::string(target), current, *out});
    if (value != nullptr && value->has_value() && scale != 1.0) **value *= scale;
    current = *std::move(out);
  }
  return current;
}

}  // namespace clinsim::noise
