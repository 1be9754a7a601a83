#include "agents/doctors/doctor.h"

#include "agents/doctors/disease_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace clinsim::agents {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;

TEST(DoctorRegistry, KnowsTheBuiltInDoctors) {
  EXPECT_EQ(DoctorNames(), (std::vector<std::string>{"human", "random", "scripted"}));
  EXPECT_OK(CreateDoctor("random"));
  EXPECT_THAT(CreateDoctor("oracle"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("random, scripted")));
}

TEST(DiseaseTable, IsLargeAndScoresAffirmedFindingsOnly) {
  const DiseaseTable& t = DiseaseTable::Default();
  EXPECT_GE(t.diseases().size(), 100u);
  size_t gout = 0;
  for (size_t i = 0; i < t.diseases().size(); ++i) {
    if (t.diseases()[i].name == "gout") gout = i;
  }
  ASSERT_EQ(t.diseases()[gout].name, "gout");
  std::vector<double> affirmed = t.ScoreText("My big toe is red, hot and swollen. Uric acid is high.");
  std::vector<double> denied = t.ScoreText("No, I haven't had any swollen toe. Uric acid normal.");
  EXPECT_GT(affirmed[gout], 0);
  EXPECT_LT(denied[gout], affirmed[gout]);
}

}  // namespace
}  // namespace clinsim::agents
