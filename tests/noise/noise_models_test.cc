#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "noise/noise.h"
#include "testing/status_matchers.h"

namespace clinsim::noise {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kFact[] =
    "The sharp pain in my chest started two days ago and it is really bad when I breathe in.";
constexpr char kFinding[] =
    "Tender right upper quadrant; positive Murphy sign, no rebound, bowel sounds present.";
constexpr char kResult[] = "Sodium 139 mmol/L, potassium 4.1 mmol/L, troponin 1,840 ng/L (12-lead).";

std::string ApplyOne(const std::string& type, const std::string& text, uint64_t seed) {
  auto model = CreateNoiseModel(type, NoiseTables::Default());
  EXPECT_TRUE(model.ok()) << model.status();
  Rng rng(seed);
  double scale = 1;
  auto out = (*model)->Apply(text, "chest pain", rng, &scale);
  return out ? *out : "<unchanged>";
}

// The output of every type for a fixed seed, so a change to a model or its tables is noticed.
TEST(NoiseModels, EachTypeForAFixedSeed) {
  EXPECT_EQ(ApplyOne("patient.omission", kFact, 1), "");
  for (const char* type : {"patient.vague_answer", "patient.body_part_swap",
                           "patient.symptom_confusion", "patient.severity_change",
                           "patient.temporal_change", "patient.self_diagnosis"}) {
    std::string a = ApplyOne(type, kFact, 7), b = ApplyOne(type, kFact, 7);
    EXPECT_EQ(a, b) << type;                 // deterministic
    EXPECT_NE(a, "<unchanged>") << type;     // applies to this text
    EXPECT_NE(a, kFact) << type;
  }
  EXPECT_THAT(ApplyOne("patient.body_part_swap", kFact, 7), ::testing::Not(HasSubstr("my chest")));
  EXPECT_THAT(ApplyOne("patient.symptom_confusion", kFact, 7), ::testing::Not(HasSubstr("sharp")));
  EXPECT_THAT(ApplyOne("patient.temporal_change", kFact, 7), ::testing::Not(HasSubstr("two days ago")));
  EXPECT_THAT(ApplyOne("patient.self_diagnosis", kFact, 7), ::testing::StartsWith(kFact));
  for (const char* type : {"exam.omission", "exam.ambiguity", "exam.body_part_swap"}) {
    std::string a = ApplyOne(type, kFinding, 3);
    EXPECT_NE(a, "<unchanged>") << type;
    EXPECT_EQ(a, ApplyOne(type, kFinding, 3)) << type;
  }
  EXPECT_LT(ApplyOne("exam.omission", kFinding, 3).size(), sizeof(kFinding) - 1);
  EXPECT_THAT(ApplyOne("exam.body_part_swap", kFinding, 3), ::testing::Not(HasSubstr("right upper quadrant")));
  std::string m = ApplyOne("exam.measurement_error", kResult, 5);
  EXPECT_THAT(m, HasSubstr("mmol/L"));
  EXPECT_THAT(m, HasSubstr("(12-lead)"));  // identifiers untouched
  EXPECT_NE(m, kResult);
}

TEST(NoiseModels, NothingToChangeMeansNoChange) {
  EXPECT_EQ(ApplyOne("patient.body_part_swap", "I feel fine.", 1), "<unchanged>");
  EXPECT_EQ(ApplyOne("patient.temporal_change", "I feel fine.", 1), "<unchanged>");
  EXPECT_EQ(ApplyOne("exam.omission", "Normal.", 1), "<unchanged>");
  EXPECT_EQ(ApplyOne("exam.measurement_error", "No growth.", 1), "<unchanged>");
}

TEST(ScaleNumbers, KeepsFormatAndSkipsIdentifiers) {
  auto times = [](double f) { return [f](absl::string_view) { return f; }; };
  EXPECT_EQ(ScaleNumbers("Hb 13.9 g/dL, WBC 1,840", times(2.0)), "Hb 27.8 g/dL, WBC 3,680");
  EXPECT_EQ(ScaleNumbers("12-lead ECG, lead V4, 10^9/L, range 135-145", times(2.0)),
            "12-lead ECG, lead V4, 10^9/L, range 135-145");
  // Each number sees its own clause, so each analyte can get its own factor.
  std::vector<std::string> clauses;
  ScaleNumbers("Sodium 139, potassium 4.1", [&](absl::string_view c) {
    clauses.emplace_back(c);
    return 1.0;
  });
  EXPECT_EQ(clauses, (std::vector<std::string>{"Sodium ", " potassium "}));
}

TEST(NoiseModels, MeasurementErrorStaysWithinTwoCvs) {
  auto model = *CreateNoiseModel("exam.measurement_error", NoiseTables::Default());
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    Rng rng(seed);
    double scale = 1;
    auto out = model->Apply("Sodium 140 mmol/L.", "", rng, &scale);
    if (!out) continue;  // rounding kept 140
    int v = std::stoi(out->substr(7));
    EXPECT_GE(v, 137);   // sodium CV 1%: +-2.8 at most
    EXPECT_LE(v, 143);
  }
}

TEST(NoiseTypes, AreRegisteredAndUnknownIsAClearError) {
  EXPECT_EQ(NoiseTypes().size(), 11u);
  for (const auto& t : NoiseTypes()) EXPECT_OK(CreateNoiseModel(t.name, NoiseTables::Default()));
  EXPECT_THAT(CreateNoiseModel("patient.lying", NoiseTables::Default()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("patient.omission")));
}

}  // namespace
}  // namespace clinsim::noise
