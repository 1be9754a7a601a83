#include "env/episode.h"

#include "env/serialize.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fixtures.h"
#include "testing/status_matchers.h"

namespace clinsim::env {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kCase[] = "cardiology_inferior_stemi";

std::unique_ptr<Episode> NewEpisode(EpisodeOptions o = {}, uint64_t seed = 1) {
  auto ep = Episode::Create(clinsim::testing::BundledWorld(), kCase, seed, o);
  EXPECT_TRUE(ep.ok()) << ep.status();
  return *std::move(ep);
}

double TestPrice(const std::string& id) {
  return clinsim::testing::BundledWorld()->tests().FindById(id)->usd;
}

TEST(Episode, ResetShowsThePresentationOnly) {
  auto ep = NewEpisode();
  const Observation& o = ep->initial_observation();
  ASSERT_EQ(o.messages.size(), 2u);
  EXPECT_THAT(o.messages[0].content, HasSubstr("61-year-old man"));
  EXPECT_EQ(ep->score(), nullptr);
}

TEST(Episode, UnknownCaseAndBadOptions) {
  auto world = clinsim::testing::BundledWorld();
  EXPECT_THAT(Episode::Create(world, "nope", 1, {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown case 'nope'")));
  EpisodeOptions o;
  o.max_turns = 0;
  EXPECT_THAT(Episode::Create(world, kCase, 1, o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_turns")));
}

TEST(Episode, VisitFeesFollowSdbench) {
  auto ep = NewEpisode();
  ASSERT_OK_AND_ASSIGN(StepResult r, ep->Step(Action::Ask("Where does the pain go?")));
  EXPECT_TRUE(r.info.visit_opened);
  EXPECT_DOUBLE_EQ(r.info.step_cost_usd, 300);
  ASSERT_OK_AND_ASSIGN(r, ep->Step(Action::Examine("cardiovascular")));
  EXPECT_DOUBLE_EQ(r.info.step_cost_usd, 0);  // same visit
  ASSERT_OK_AND_ASSIGN(r, ep->Step(Action::Order({"ecg", "troponin"})));
  double tests = TestPrice("electrocardiogram_12_lead_ecg") + TestPrice("cardiac_troponin_quantitative");
  EXPECT_NEAR(r.info.step_cost_usd, tests, 1e-9);
  ASSERT_EQ(r.observation.findings.size(), 2u);
  EXPECT_TRUE(r.observation.findings[0].abnormal);
  ASSERT_OK_AND_ASSIGN(r, ep->Step(Action::Ask("Do you smoke?")));
  EXPECT_TRUE(r.info.visit_opened);  // a question after an order opens a new visit
  EXPECT_NEAR(r.info.total_cost_usd, 600 + tests, 1e-9);
  ASSERT_OK_AND_ASSIGN(r, ep->Step(Action::Diagnose("inferior STEMI", {"aortic dissection"})));
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);
  const Score* s = ep->score();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->visits, 2);
  EXPECT_EQ(s->tests_ordered, 2);
  EXPECT_NEAR(s->cost_usd, 600 + tests, 1e-9);
  EXPECT_TRUE(s->correct);
  EXPECT_EQ(s->judge_score, 5);
  EXPECT_GT(s->rubric.coverage, 0.5);
  EXPECT_EQ(s->true_icd10, "I21.19");
}

TEST(Episode, RefusedAndUnknownTestsCostNothing) {
  auto ep = NewEpisode();
  ASSERT_OK_AND_ASSIGN(StepResult r, ep->Step(Action::Order({"some labs", "flux capacitor level"})));
  EXPECT_DOUBLE_EQ(r.info.step_cost_usd, 0);
  EXPECT_EQ(r.info.errors.size(), 2u);
  EXPECT_EQ(r.info.action_kind, "order");
}

TEST(Episode, InvalidActionsAreErrorObservationsNotStatuses) {
  auto ep = NewEpisode();
  ASSERT_OK_AND_ASSIGN(StepResult r, ep->StepText("ASK: a\nORDER: b"));
  EXPECT_EQ(r.info.action_kind, "invalid");
  EXPECT_THAT(r.observation.messages[0].content, HasSubstr("Invalid action"));
  ASSERT_OK_AND_ASSIGN(r, ep->Step(Action::Ask("   ")));
  EXPECT_EQ(r.info.action_kind, "invalid");
  EXPECT_FALSE(ep->done());
  EXPECT_EQ(ep->turns(), 2);
  EXPECT_DOUBLE_EQ(ep->cost_usd(), 0);
}

TEST(Episode, InvalidUtf8IsRefusedAndTheTranscriptStaysValid) {
  auto ep = NewEpisode();
  ASSERT_OK_AND_ASSIGN(StepResult r, ep->StepText("ASK: any \xff\xfe fever?"));
  EXPECT_EQ(r.info.action_kind, "invalid");
  EXPECT_THAT(r.info.errors[0], HasSubstr("UTF-8"));
  std::string dumped = MessagesToJson(ep->transcript()).dump();  // throws on invalid UTF-8
  EXPECT_THAT(dumped, HasSubstr("any ?? fever"));
}

TEST(Episode, DiagnosisBeforeAnyQuestionIsAllowedAndScored) {
  auto ep = NewEpisode();
  ASSERT_OK_AND_ASSIGN(StepResult r, ep->Step(Action::Diagnose("gastritis")));
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(ep->score()->judge_score, 1);
  EXPECT_FALSE(ep->score()->correct);
  EXPECT_DOUBLE_EQ(ep->score()->cost_usd, 0);
}

TEST(Episode, StepsAfterTheEndFailWithoutChangingTheScore) {
  auto ep = NewEpisode();
  ASSERT_OK(ep->Step(Action::Diagnose("MI")));
  std::string before = ScoreToJson(*ep->score()).dump();
  EXPECT_THAT(ep->Step(Action::Ask("hello?")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("has ended")));
  EXPECT_THAT(ep->StepText("DIAGNOSIS: gout"), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("has ended")));
  EXPECT_EQ(ScoreToJson(*ep->score()).dump(), before);
}

TEST(Episode, TurnLimitAndBudgetTruncate) {
  EpisodeOptions o;
  o.max_turns = 2;
  auto ep = NewEpisode(o);
  ASSERT_OK(ep->Step(Action::Ask("Any fever?")));
  ASSERT_OK_AND_ASSIGN(StepResult r, ep->Step(Action::Ask("Any cough?")));
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(ep->score()->end_reason, "turn_limit");
  EXPECT_FALSE(ep->score()->correct);

  EpisodeOptions b;
  b.budget_usd = 100;
  auto ep2 = NewEpisode(b);
  ASSERT_OK_AND_ASSIGN(r, ep2->Step(Action::Ask("Any fever?")));
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(ep2->score()->end_reason, "budget");
}

TEST(Episode, DenseAndSparseRewardsSumToTheSameTotal) {
  auto play = [](bool dense) {
    EpisodeOptions o;
    o.dense_reward = dense;
    o.weights.turn = 0.01;
    auto ep = NewEpisode(o);
    double total = 0;
    for (const Action& a : {Action::Ask("Where does the pain go?"), Action::Order({"ecg"}),
                            Action::Ask("?"), Action::Diagnose("STEMI")}) {
      auto r = ep->Step(a);
      EXPECT_TRUE(r.ok());
      total += r->reward;
      double parts = 0;
      for (const auto& [k, v] : r->reward_breakdown.ToMap()) parts += v;
      EXPECT_NEAR(parts, r->reward, 1e-12);
    }
    EXPECT_NEAR(total, ep->score()->total_reward, 1e-12);
    return total;
  };
  double sparse = play(false), dense = play(true);
  EXPECT_NEAR(sparse, dense, 1e-12);
  // correct (1.0) + rubric share - cost - discomfort - 4 turns
  EXPECT_GT(sparse, 1.0);
}

TEST(Episode, InformationGainShapingPaysForNewKeyFactsAndAbnormalResults) {
  EpisodeOptions o;
  o.dense_reward = true;
  o.weights.information_gain = 0.1;
  o.weights.cost_per_1000_usd = 0;
  o.weights.discomfort = 0;
  auto ep = NewEpisode(o);
  ASSERT_OK_AND_ASSIGN(StepResult r, ep->Step(Action::Ask("Does the pain spread anywhere?")));
  EXPECT_NEAR(r.reward_breakdown.information_gain, 0.1, 1e-12);  // hpi_radiation is key
  ASSERT_OK_AND_ASSIGN(r, ep->Step(Action::Ask("Does the pain spread anywhere?")));
  EXPECT_EQ(r.reward_breakdown.information_gain, 0);  // nothing new
  ASSERT_OK_AND_ASSIGN(r, ep->Step(Action::Order({"ecg", "cbc"})));
  EXPECT_NEAR(r.reward_breakdown.information_gain, 0.1, 1e-12);  // ECG abnormal, CBC normal
  ASSERT_OK_AND_ASSIGN(r, ep->Step(Action::Ask("Any allergies?")));
  EXPECT_EQ(r.reward_breakdown.information_gain, 0);  // not a key fact
}

TEST(Episode, SameSeedSameActionsSameBytes) {
  auto run = [](uint64_t seed) {
    auto ep = NewEpisode({}, seed);
    std::string out;
    for (const char* t : {"Any fever?", "What brings you in?", "EXAMINE: heart", "ORDER: cbc, ecg",
                          "What's the weather like?", "DIAGNOSIS: pericarditis"}) {
      auto r = ep->StepText(t);
      EXPECT_TRUE(r.ok());
      out += StepResultToJson(*r).dump();
    }
    return out + MessagesToJson(ep->transcript()).dump() + ScoreToJson(*ep->score()).dump();
  };
  EXPECT_EQ(run(3), run(3));
}

}  // namespace
}  // namespace clinsim::env

namespace clinsim::env {
namespace {

std::string PlayScript(EpisodeOptions o, uint64_t seed, const std::vector<std::string>& script) {
  auto ep = *Episode::Create(clinsim::testing::BundledWorld(), kCase, seed, o);
  std::string out;
  for (const auto& t : script) {
    auto r = ep->StepText(t);
    EXPECT_TRUE(r.ok());
    out += StepResultToJson(*r).dump();
  }
  return out + MessagesToJson(ep->transcript()).dump() + ScoreToJson(*ep->score()).dump();
}

const std::vector<std::string> kScript = {
    "When did it start?", "Describe the pain. Does it spread?", "Do you smoke? Family history?",
    "EXAMINE: vitals, heart, lungs", "ORDER: ecg, troponin, bmp", "DIAGNOSIS: STEMI"};

TEST(EpisodeNoise, NoneReproducesTheNoiseFreePathByteForByte) {
  EpisodeOptions plain;
  EpisodeOptions none;
  none.noise = *noise::ParseNoiseSpec("none");
  EpisodeOptions zero;
  zero.noise = *noise::ParseNoiseSpec("patient.omission=0,exam.ambiguity=0");
  std::string base = PlayScript(plain, 4, kScript);
  EXPECT_EQ(PlayScript(none, 4, kScript), base);
  // A zero-rate profile changes nothing but its recorded name.
  std::string z = PlayScript(zero, 4, kScript);
  EXPECT_NE(z.find("\"noise_events\":[]"), std::string::npos);
}

TEST(Serialize, ScoreRoundTripsThroughJson) {
  EpisodeOptions o;
  o.noise = *noise::ParseNoiseSpec("hostile");
  auto ep = *Episode::Create(clinsim::testing::BundledWorld(), kCase, 4, o);
  for (const auto& t : kScript) ASSERT_OK(ep->StepText(t));
  nlohmann::json j = ScoreToJson(*ep->score());
  EXPECT_EQ(ScoreToJson(ScoreFromJson(j)).dump(), j.dump());
}

TEST(EpisodeNoise, HostileNoiseIsRecordedAndReplays) {
  EpisodeOptions o;
  o.noise = *noise::ParseNoiseSpec("hostile");
  EXPECT_EQ(PlayScript(o, 4, kScript), PlayScript(o, 4, kScript));
  auto ep = *Episode::Create(clinsim::testing::BundledWorld(), kCase, 4, o);
  for (const auto& t : kScript) ASSERT_OK(ep->StepText(t));
  const Score* s = ep->score();
  EXPECT_EQ(s->noise_profile, "hostile");
  ASSERT_FALSE(s->noise_events.empty());
  for (const auto& e : s->noise_events) {
    EXPECT_NE(e.event.before, e.event.after);
    EXPECT_GE(e.turn, 1);
  }
}

// Asking in a different order gives the same corrupted facts.
TEST(EpisodeNoise, SameFactSameCorruptionWhateverTheOrder) {
  EpisodeOptions o;
  o.noise = *noise::ParseNoiseSpec("hostile");
  const std::vector<std::string> qs = {"When did it start?", "Does it spread?", "Do you smoke?",
                                       "Any family history?", "How bad is it?", "Any sweating?"};
  auto answers = [&](std::vector<std::string> order) {
    auto ep = *Episode::Create(clinsim::testing::BundledWorld(), kCase, 8, o);
    std::map<std::string, std::string> by_q;
    for (const auto& q : order) by_q[q] = ep->Step(Action::Ask(q))->observation.messages[0].content;
    return by_q;
  };
  std::vector<std::string> reversed(qs.rbegin(), qs.rend());
  EXPECT_EQ(answers(qs), answers(reversed));
}

}  // namespace
}  // namespace clinsim::env
