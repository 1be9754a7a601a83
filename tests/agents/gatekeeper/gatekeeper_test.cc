#include "agents/gatekeeper/gatekeeper.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fixtures.h"

namespace clinsim::agents {
namespace {

using ::testing::HasSubstr;

class GatekeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_ = clinsim::testing::BundledWorld();
    case_ = world_->FindCase("cardiology_inferior_stemi");
    ASSERT_NE(case_, nullptr);
    gk_ = std::make_unique<RuleGatekeeper>(*case_, world_->tests(), world_->exams());
  }
  std::shared_ptr<const env::World> world_;
  const cases::Case* case_ = nullptr;
  std::unique_ptr<RuleGatekeeper> gk_;
};

TEST_F(GatekeeperTest, ExamReturnsCaseFindingsElseNormalFindings) {
  ExamReply r = gk_->Examine("heart and abdomen");
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].system, "cardiovascular");
  EXPECT_TRUE(r.results[0].from_case);
  EXPECT_THAT(r.results[0].finding, HasSubstr("fourth heart sound"));
  EXPECT_EQ(r.results[1].system, "abdominal");
  EXPECT_FALSE(r.results[1].from_case);
  EXPECT_EQ(r.results[1].finding, world_->exams().FindById("abdominal")->normal_finding);
  EXPECT_TRUE(r.errors.empty());
}

TEST_F(GatekeeperTest, VagueOrUnknownExamIsRefused) {
  ExamReply r = gk_->Examine("full physical exam");
  EXPECT_TRUE(r.results.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0], HasSubstr("too vague"));
  r = gk_->Examine("aura");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0], HasSubstr("unknown exam system"));
}

TEST_F(GatekeeperTest, OrderReturnsCaseResultsAndNormalResultsForUnlistedTests) {
  OrderReply r = gk_->Order({"ECG", "troponin", "lipase"});
  ASSERT_EQ(r.results.size(), 3u);
  EXPECT_TRUE(r.results[0].from_case);
  EXPECT_THAT(r.results[0].result, HasSubstr("ST elevation"));
  EXPECT_TRUE(r.results[0].abnormal);
  EXPECT_TRUE(r.results[1].from_case);
  ASSERT_TRUE(r.results[1].value.has_value());
  EXPECT_EQ(*r.results[1].value, 1840);
  EXPECT_FALSE(r.results[2].from_case);
  EXPECT_EQ(r.results[2].result, r.results[2].test->normal_result);
}

TEST_F(GatekeeperTest, VagueAndUnknownTestsAreRefusedWithSuggestions) {
  OrderReply r = gk_->Order({"run some labs", "troponn", "zzzz qqqq"});
  ASSERT_EQ(r.results.size(), 1u);  // the typo resolves
  EXPECT_EQ(r.results[0].test->id, "cardiac_troponin_quantitative");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_THAT(r.errors[0], HasSubstr("too vague"));
  EXPECT_THAT(r.errors[1], HasSubstr("unknown test 'zzzz qqqq'"));
  EXPECT_THAT(r.errors[1], HasSubstr("Nothing was charged"));
}

TEST_F(GatekeeperTest, OneTestNamedTwiceInOneOrderIsDoneOnce) {
  OrderReply r = gk_->Order({"cbc", "full blood count", "85025"});
  EXPECT_EQ(r.results.size(), 1u);
  EXPECT_TRUE(r.errors.empty());
}

TEST(SplitList, SplitsOnCommasSemicolonsAndAnd) {
  EXPECT_EQ(SplitList("cbc, bmp and troponin; ecg"),
            (std::vector<std::string>{"cbc", "bmp", "troponin", "ecg"}));
  EXPECT_TRUE(SplitList(" , ;").empty());
}

}  // namespace
}  // namespace clinsim::agents
