// Patient and exam noise (the seven patient and three exam noise types of MedExAgent, plus numeric
// measurement error on lab values). Every noise type is a separate model registered by a qualified
// name ("patient.omission", "exam.ambiguity"); a profile gives each type a rate; a NoiseEngine
// applies the active types of a profile to one episode.
//
// Reproducibility: whether a type fires on a target, and how it rewrites it, is a pure function of
// (episode seed, case id, target id, type). The same fact is corrupted the same way whenever and
// however it is asked, so two doctors with one seed face the same patient.
//
//   auto profile = ParseNoiseSpec("realistic").value();
//   NoiseEngine engine(profile, /*seed=*/7, "cardiology_inferior_stemi");
//   std::vector<NoiseEvent> events;
//   std::string said = engine.ApplyPatient("hpi_onset", fact_text, "chest pain", &events);
#ifndef CLINSIM_NOISE_NOISE_H_
#define CLINSIM_NOISE_NOISE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/random.h"

namespace clinsim::noise {

// Finds table phrases in a lower-case text, word by word: one hash lookup per word of the text
// rather than one string search per table entry, which keeps noise cheap on the Step hot path.
class PhraseIndex {
 public:
  struct Match {
    int entry = -1;  // the index given to Add; -1 when nothing matched
    size_t pos = 0;  // byte span of the match in the text
    size_t len = 0;
  };
  void Add(absl::string_view lower_phrase, int entry);
  // The match with the most words (earliest on ties), on whole-word boundaries.
  Match FindLongest(absl::string_view lower_text) const;

 private:
  struct Phrase {
    std::vector<std::string> words;
    int entry;
  };
  absl::flat_hash_map<std::string, std::vector<Phrase>> by_first_word_;
};

// Word tables the models draw on (noise/data/tables.json).
struct NoiseTables {
  std::vector<std::pair<std::string, std::vector<std::string>>> adjacent_body_parts;  // longest key first
  std::vector<std::pair<std::string, std::vector<std::string>>> exam_site_swaps;
  std::vector<std::pair<std::string, std::vector<std::string>>> confusable_symptoms;
  std::vector<std::pair<std::string, std::string>> severity_up;
  std::vector<std::pair<std::string, std::string>> severity_down;
  std::vector<std::string> vague_onsets;
  std::vector<std::pair<std::string, std::vector<std::string>>> lay_self_diagnoses;  // topic -> guesses
  std::vector<std::string> vague_answers;
  std::vector<std::string> equivocal_prefixes;
  std::vector<std::pair<std::string, double>> lab_cv;  // analyte keyword -> CV; "default" too
  double default_cv = 0.03;

  // Indexes over the tables above (entry = position in the table).
  PhraseIndex body_index, site_index, symptom_index, up_index, down_index, topic_index, cv_index;

  static absl::StatusOr<NoiseTables> FromJson(absl::string_view json_text, absl::string_view origin);
  static const NoiseTables& Default();
};

// One registered noise type.
class NoiseModel {
 public:
  virtual ~NoiseModel() = default;
  // Rewrites `text` when the model has something to change in it; nullopt when it does not apply
  // (e.g. no body part named). `topic` is context such as the chief complaint. An empty result
  // means the text is withheld (omission). Measurement error sets *value_scale (if non-null) to
  // the factor it applied, so a numeric value reported beside the text can be scaled alike.
  virtual std::optional<std::string> Apply(absl::string_view text, absl::string_view topic,
                                           Rng& rng, double* value_scale) const = 0;
};

struct NoiseTypeInfo {
  std::string name;  // qualified: patient.omission
  std::string channel;  // patient | exam
  std::string description;
};
// Every registered type, patient types first, in application order.
const std::vector<NoiseTypeInfo>& NoiseTypes();
absl::StatusOr<std::unique_ptr<NoiseModel>> CreateNoiseModel(absl::string_view name,
                                                              const NoiseTables& tables);

struct NoiseProfile {
  std::string name = "none";
  std::map<std::string, double> rates;  // qualified type -> rate in [0, 1]
  bool empty() const;
};

// Named profiles (noise/data/profiles.json).
absl::StatusOr<std::map<std::string, NoiseProfile>> ParseProfiles(absl::string_view json_text,
                                                                  absl::string_view origin);
const std::map<std::string, NoiseProfile>& DefaultProfiles();

// "realistic" | "patient.omission=0.2,exam.ambiguity=0.1" | "mild,patient.omission=0.5"
// (a profile, then overrides). INVALID_ARGUMENT names the unknown profile or type or the bad rate.
absl::StatusOr<NoiseProfile> ParseNoiseSpec(absl::string_view spec);

struct NoiseEvent {
  std::string type;    // qualified type
  std::string target;  // fact id, exam finding id, or test catalog id
  std::string before;
  std::string after;
};

// The pure decision: the seed for (episode seed, case, target, type).
uint64_t DecisionSeed(uint64_t seed, absl::string_view case_id, absl::string_view target,
                      absl::string_view type);

class NoiseEngine {
 public:
  NoiseEngine(NoiseProfile profile, uint64_t seed, std::string case_id,
              const NoiseTables& tables = NoiseTables::Default());
  bool active() const { return !patient_.empty() || !exam_.empty(); }
  const NoiseProfile& profile() const { return profile_; }

  // What the patient says for one fact ("" when the fact is withheld). Events are appended for
  // every type that changed the text.
  std::string ApplyPatient(absl::string_view fact_id, absl::string_view text,
                           absl::string_view topic, std::vector<NoiseEvent>* events) const;
  // The reported exam finding or test result. `value` (a test's numeric value), if given, is
  // scaled like the numbers in the text when measurement error fires.
  std::string ApplyExam(absl::string_view target, absl::string_view text, bool is_test,
                        std::optional<double>* value, std::vector<NoiseEvent>* events) const;

 private:
  struct Active {
    std::string type;
    double rate;
    uint64_t type_hash;
    std::unique_ptr<NoiseModel> model;
  };
  bool Fires(const Active& a, uint64_t target_part, Rng* rng) const;

  NoiseProfile profile_;
  uint64_t seed_;
  std::string case_id_;
  uint64_t episode_part_;
  std::vector<Active> patient_;
  std::vector<Active> exam_;
};

// Scales every measurement-like number in a text, keeping its decimals and thousands separators.
// `factor` is asked once per number with the clause before it ("Sodium 139, potassium" -> the
// factor for 4.1 sees " potassium "), so each analyte can vary by its own CV. Numbers in
// identifiers ("12-lead", "10^9", "T4", ranges "135-145") are left alone.
std::string ScaleNumbers(absl::string_view text,
                         const std::function<double(absl::string_view clause)>& factor);

}  // namespace clinsim::noise

#endif  // CLINSIM_NOISE_NOISE_H_
