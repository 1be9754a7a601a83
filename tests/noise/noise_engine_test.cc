#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "noise/noise.h"
#include "testing/status_matchers.h"

namespace clinsim::noise {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseNoiseSpec, ProfilesPairsAndOverrides) {
  ASSERT_OK_AND_ASSIGN(NoiseProfile none, ParseNoiseSpec("none"));
  EXPECT_TRUE(none.empty());
  for (const char* name : {"mild", "realistic", "hostile"}) {
    ASSERT_OK_AND_ASSIGN(NoiseProfile p, ParseNoiseSpec(name));
    EXPECT_FALSE(p.empty()) << name;
    EXPECT_EQ(p.rates.size(), 11u) << name;
  }
  ASSERT_OK_AND_ASSIGN(NoiseProfile p, ParseNoiseSpec("mild, patient.omission=0.5"));
  EXPECT_DOUBLE_EQ(p.rates["patient.omission"], 0.5);
  EXPECT_DOUBLE_EQ(p.rates["exam.ambiguity"], 0.03);
  ASSERT_OK_AND_ASSIGN(p, ParseNoiseSpec("exam.ambiguity=1"));
  EXPECT_EQ(p.rates.size(), 1u);
}

TEST(ParseNoiseSpec, BadInputNamesTheProblem) {
  EXPECT_THAT(ParseNoiseSpec("chaotic"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                  HasSubstr("unknown noise profile 'chaotic'")));
  EXPECT_THAT(ParseNoiseSpec("patient.lies=0.2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown noise type")));
  EXPECT_THAT(ParseNoiseSpec("patient.omission=1.5"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be in [0, 1]")));
  EXPECT_THAT(ParseNoiseSpec("patient.omission=-0.1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be in [0, 1]")));
  EXPECT_THAT(ParseNoiseSpec("patient.omission=abc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'abc'")));
  EXPECT_THAT(ParseNoiseSpec("patient.omission=0.1,mild"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("only come first")));
}

TEST(ParseProfiles, MalformedFilesAreClearErrors) {
  EXPECT_THAT(ParseProfiles("{", "p.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("p.json: not valid JSON")));
  EXPECT_THAT(ParseProfiles(R"({"profiles": {"x": {"patient.omission": 2}}})", "p.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("profiles.x.patient.omission: rate must be a number in [0, 1]")));
  EXPECT_THAT(ParseProfiles(R"({"profiles": {"x": {"exam.typo": 0.1}}})", "p.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown noise type")));
}

// The configured rate holds: over 20,000 targets the share that fires is within 5 standard
// deviations (0.014 for p = 0.2) of the rate, for every type.
TEST(NoiseEngine, RatesHoldOverManyDraws) {
  constexpr int kTargets = 20000;
  constexpr double kRate = 0.2;
  const std::string fact = "The sharp pain in my chest started two days ago and it is really bad.";
  const std::string finding = "Tender right upper quadrant; positive Murphy sign; troponin 1,840 ng/L.";
  for (const auto& t : NoiseTypes()) {
    NoiseProfile p;
    p.rates[t.name] = kRate;
    NoiseEngine engine(p, /*seed=*/11, "case_x");
    int fired = 0;
    for (int i = 0; i < kTargets; ++i) {
      std::vector<NoiseEvent> events;
      std::string target = "t" + std::to_string(i);
      if (t.channel == "patient") {
        engine.ApplyPatient(target, fact, "chest pain", &events);
      } else {
        engine.ApplyExam(target, finding, /*is_test=*/true, nullptr, &events);
      }
      fired += !events.empty();
    }
    double share = static_cast<double>(fired) / kTargets;
    EXPECT_NEAR(share, kRate, 5 * std::sqrt(kRate * (1 - kRate) / kTargets)) << t.name;
  }
}

// A pure function of (seed, case, target, type): the order of calls does not matter.
TEST(NoiseEngine, DecisionsDoNotDependOnOrder) {
  NoiseEngine engine(*ParseNoiseSpec("hostile"), 5, "case_y");
  const std::string fact = "The sharp pain in my chest started two days ago and it is really bad.";
  std::vector<std::string> forward, backward(50);
  for (int i = 0; i < 50; ++i) forward.push_back(engine.ApplyPatient("f" + std::to_string(i), fact, "", nullptr));
  for (int i = 49; i >= 0; --i) backward[i] = engine.ApplyPatient("f" + std::to_string(i), fact, "", nullptr);
  EXPECT_EQ(forward, backward);
  NoiseEngine other_seed(*ParseNoiseSpec("hostile"), 6, "case_y");
  int differ = 0;
  for (int i = 0; i < 50; ++i) differ += other_seed.ApplyPatient("f" + std::to_string(i), fact, "", nullptr) != forward[i];
  EXPECT_GT(differ, 5);
}

TEST(NoiseEngine, MeasurementErrorScalesTheValueLikeTheText) {
  NoiseEngine engine(*ParseNoiseSpec("exam.measurement_error=1"), 1, "c");
  std::optional<double> value = 1840;
  std::vector<NoiseEvent> events;
  std::string out = engine.ApplyExam("test:trop", "Troponin 1,840 ng/L.", true, &value, &events);
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(value.has_value());
  EXPECT_NE(*value, 1840);
  EXPECT_THAT(out, HasSubstr(std::to_string(static_cast<int>(std::lround(*value))).substr(0, 1)));
  // Exam findings (not tests) never get measurement error.
  events.clear();
  engine.ApplyExam("e1", "Heart rate 80.", false, nullptr, &events);
  EXPECT_TRUE(events.empty());
}

}  // namespace
}  // namespace clinsim::noise
