#include <algorithm>

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
  return t;
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
                               [&](const NoiseTypeInfo& i) { return i.name == type; });
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

uint64_t DecisionSeed(uint64_t seed, absl::string_view case_id, absl::string_view target,
                      absl::string_view type) {
  return Mix(DeriveSeed(seed, "noise") ^ Mix(StableHash(case_id)) ^ Mix(Mix(StableHash(target))) ^
             StableHash(type));
}

NoiseEngine::NoiseEngine(NoiseProfile profile, uint64_t seed, std::string case_id,
                         const NoiseTables& tables)
    : profile_(std::move(profile)), seed_(seed), case_id_(std::move(case_id)) {
  for (const auto& info : NoiseTypes()) {
    auto it = profile_.rates.find(info.name);
    if (it == profile_.rates.end() || it->second <= 0) continue;
    auto model = CreateNoiseModel(info.name, tables);
    if (!model.ok()) continue;  // every listed type is registered
    Active a{info.name, it->second, *std::move(model)};
    (info.channel == "patient" ? patient_ : exam_).push_back(std::move(a));
  }
}

bool NoiseEngine::Fires(const Active& a, absl::string_view target, Rng* rng) const {
  uint64_t d = DecisionSeed(seed_, case_id_, target, a.type);
  // The firing draw and the rewriting stream come from the same pure seed, split apart.
  double u = static_cast<double>(Mix(d) >> 11) * 0x1.0p-53;
  if (u >= a.rate) return false;
  *rng = Rng(d);
  return true;
}

std::string NoiseEngine::ApplyPatient(absl::string_view fact_id, absl::string_view text,
                                      absl::string_view topic,
                                      std::vector<NoiseEvent>* events) const {
  std::string current(text);
  Rng rng(0);
  for (const Active& a : patient_) {
    if (!Fires(a, fact_id, &rng)) continue;
    std::optional<std::string> out = a.model->Apply(current, topic, rng, nullptr);
    if (!out || *out == current) continue;
    if (events != nullptr) events->push_back({a.type, std::string(fact_id), current, *out});
    current = *std::move(out);
    // Withheld or emptied of content: nothing further to corrupt.
    if (a.type == "patient.omission" || a.type == "patient.vague_answer") break;
  }
  return current;
}

std::string NoiseEngine::ApplyExam(absl::string_view target, absl::string_view text, bool is_test,
                                   std::optional<double>* value,
                                   std::vector<NoiseEvent>* events) const {
  std::string current(text);
  Rng rng(0);
  for (const Active& a : exam_) {
    if (a.type == "exam.measurement_error" && !is_test) continue;
    if (!Fires(a, target, &rng)) continue;
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
