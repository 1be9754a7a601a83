#include "rubrics/rubric.h"

#include "gtest/gtest.h"
#include "testing/fixtures.h"

namespace clinsim::rubrics {
namespace {

std::vector<cases::RubricItem> Items() {
  return {{"a", "asks radiation", 3, "history", "must_ask", {"f1"}},
          {"b", "examines heart", 2, "examination", "must_examine", {"cardiovascular"}},
          {"c", "orders ecg", 5, "tests", "must_order", {"ecg"}},
          {"d", "avoids ct", -4, "safety", "avoid", {"ct"}},
          {"e", "ddx dissection", 2, "diagnosis", "differential", {"aortic dissection"}},
          {"f", "recommends aspirin", 3, "management", "free_text", {}}};
}

NameMatcher Exact() {
  return [](absl::string_view a, absl::string_view t) { return a == t; };
}

TEST(GradeRubric, HealthBenchFormulaWithUngradedFreeText) {
  RubricEvidence ev;
  ev.facts_revealed = {"f1"};
  ev.tests_ordered = {"ecg", "ct"};
  ev.differential = {"aortic dissection"};
  RubricScore s = GradeRubric(Items(), ev, Exact(), nullptr);
  // met: a(3) c(5) d(-4) e(2) = 6; possible: 3+2+5+2 = 12 (free text ungraded, excluded)
  EXPECT_DOUBLE_EQ(s.met_points, 6);
  EXPECT_DOUBLE_EQ(s.possible_points, 12);
  EXPECT_DOUBLE_EQ(s.coverage, 0.5);
  EXPECT_EQ(s.ungraded, 1);
  EXPECT_EQ(s.items[5].status, ItemStatus::kUngraded);
  EXPECT_EQ(s.items[1].status, ItemStatus::kUnmet);
  EXPECT_DOUBLE_EQ(s.axis_coverage["history"], 1.0);
  EXPECT_DOUBLE_EQ(s.axis_coverage["examination"], 0.0);
  EXPECT_DOUBLE_EQ(s.axis_coverage["safety"], 0.0);  // clipped at 0
}

TEST(GradeRubric, CoverageIsClippedAndGraderIsUsed) {
  class AlwaysMet : public FreeTextGrader {
   public:
    std::optional<bool> Grade(const cases::RubricItem&, const RubricEvidence&, std::string* why) override {
      *why = "said so";
      return true;
    }
  } grader;
  RubricEvidence ev;
  ev.tests_ordered = {"ct"};
  RubricScore s = GradeRubric(Items(), ev, Exact(), &grader);
  EXPECT_DOUBLE_EQ(s.coverage, 0.0);  // 3 - 4 < 0 clipped
  EXPECT_EQ(s.ungraded, 0);
  EXPECT_EQ(s.items[5].status, ItemStatus::kMet);
}

TEST(DeriveRubric, BuildsItemsFromKeyFactsAndAbnormalResults) {
  auto world = clinsim::testing::BundledWorld();
  const cases::Case* c = world->FindCase("cardiology_inferior_stemi");
  ASSERT_NE(c, nullptr);
  auto items = DeriveRubric(*c, world->tests());
  int asks = 0, orders = 0;
  for (const auto& it : items) {
    EXPECT_TRUE(it.derived);
    asks += it.kind == "must_ask";
    orders += it.kind == "must_order";
  }
  EXPECT_GE(asks, 4);
  EXPECT_GE(orders, 2);
}

}  // namespace
}  // namespace clinsim::rubrics
