// The LLM roles end to end: an episode stepped through env/llm_step.h, over real HTTP, against a
// fake OpenAI-compatible server that the test scripts (tests/testing/fake_openai_server.h).
#include "env/llm_step.h"

#include <atomic>
#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "agents/llm/chat_client.h"
#include "agents/llm/response_cache.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_openai_server.h"
#include "testing/fixtures.h"

namespace clinsim::env {
namespace {

using ::clinsim::testing::FakeOpenAiServer;
using ::clinsim::testing::FakeReply;
using ::clinsim::testing::FakeRequest;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCase[] = "cardiology_inferior_stemi";

// Which role a request is for, from its system prompt.
std::string RoleOf(const FakeRequest& r) {
  const std::string s = r.system();
  if (absl::StrContains(s, "You are a patient")) return "patient";
  if (absl::StrContains(s, "test ordering system")) return "gatekeeper_map";
  if (absl::StrContains(s, "laboratory and imaging reports")) return "gatekeeper_result";
  if (absl::StrContains(s, "You judge whether")) return "judge";
  if (absl::StrContains(s, "grading a doctor's consultation")) return "grader";
  return "unknown";
}

// A scripted endpoint: each role answers with what the test sets, and every request is counted.
struct Script {
  std::string patient = "Well doctor, it started this morning and it is crushing.";
  std::string map = R"({"tests": ["reticulocyte count"], "refuse": null})";
  std::string result = R"j({"result": "Reticulocytes 1.2 % (0.5-2.5)", "abnormal": false})j";
  std::string judge = R"({"score": 4, "reasoning": "Same disease, broader term."})";
  std::string grader = R"({"criteria_met": true, "explanation": "The doctor did it."})";
  int status = 200;  // non-200: every request fails with it
  std::atomic<int> calls{0};
  std::atomic<int> patient_calls{0};

  FakeReply Answer(const FakeRequest& r) {
    ++calls;
    if (status != 200) return FakeReply::Status(status);
    std::string role = RoleOf(r);
    if (role == "patient") {
      ++patient_calls;
      return FakeReply::Content(patient);
    }
    if (role == "gatekeeper_map") return FakeReply::Content(map);
    if (role == "gatekeeper_result") return FakeReply::Content(result);
    if (role == "judge") return FakeReply::Content(judge);
    if (role == "grader") return FakeReply::Content(grader);
    return FakeReply::Status(400, "{\"error\":\"unknown role\"}");
  }
};

class LlmStepTest : public ::testing::Test {
 protected:
  LlmStepTest() : server_([this](const FakeRequest& r) { return script_.Answer(r); }) {}

  std::shared_ptr<LlmServices> Services(std::shared_ptr<agents::llm::ResponseCache> cache = nullptr) {
    agents::llm::ChatClientOptions o;
    o.base_url = server_.base_url();
    o.model = "fake-model";
    o.max_retries = 1;
    o.backoff_initial_s = 0.01;
    o.backoff_max_s = 0.02;
    o.timeout_s = 5;
    o.cache = std::move(cache);
    auto s = std::make_shared<LlmServices>();
    s->client = std::shared_ptr<agents::llm::ChatClient>(agents::llm::ChatClient::Create(o).value());
    return s;
  }

  std::unique_ptr<Episode> NewEpisode(RoleOptions roles, uint64_t seed = 7) {
    EpisodeOptions o;
    o.roles = std::move(roles);
    return Episode::Create(clinsim::testing::BundledWorld(), kCase, seed, o).value();
  }

  // Steps a copy of `ep` and, on success, replaces `ep` with it (what the server does).
  absl::StatusOr<StepResult> Step(std::unique_ptr<Episode>& ep, const Action& a,
                                  std::shared_ptr<LlmServices> llm) {
    absl::Notification done;
    absl::StatusOr<StepResult> out = absl::UnknownError("no reply");
    StepWithLlm(ep->Clone(), a, llm, [&](absl::StatusOr<StepResult> r, std::unique_ptr<Episode> stepped) {
      if (r.ok()) ep = std::move(stepped);
      out = std::move(r);
      done.Notify();
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    return out;
  }

  Script script_;
  FakeOpenAiServer server_;
};

TEST_F(LlmStepTest, PatientVoicesTheRuleAnswerAndOnlyThat) {
  auto llm = Services();
  auto ep = NewEpisode({.patient = "llm"});
  // What the rule patient says is what the model is given as its notes.
  auto rule = NewEpisode({});
  std::string rule_text = rule->Step(Action::Ask("When did the pain start?"))->observation.messages[0].content;

  std::string notes;
  FakeOpenAiServer spy([&](const FakeRequest& r) {
    notes = r.last_user();
    return FakeReply::Content("It began this morning, doctor.");
  });
  agents::llm::ChatClientOptions o;
  o.base_url = spy.base_url();
  auto spy_llm = std::make_shared<LlmServices>();
  spy_llm->client = std::shared_ptr<agents::llm::ChatClient>(agents::llm::ChatClient::Create(o).value());
  auto r = Step(ep, Action::Ask("When did the pain start?"), spy_llm);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->observation.messages[0].content, "It began this morning, doctor.");
  EXPECT_THAT(notes, HasSubstr(rule_text));
  EXPECT_THAT(notes, HasSubstr("When did the pain start?"));
  // The transcript holds the voiced text, and the facts revealed are the rule patient's.
  EXPECT_EQ(ep->transcript().back().content, "It began this morning, doctor.");
  EXPECT_EQ(ep->turns(), 1);
}

TEST_F(LlmStepTest, LeakingPatientReplyIsRegeneratedThenReplacedByTheRuleAnswer) {
  script_.patient = "Honestly I think it is an inferior STEMI, a heart attack.";
  auto llm = Services();
  auto ep = NewEpisode({.patient = "llm"});
  auto rule = NewEpisode({});
  std::string rule_text = rule->Step(Action::Ask("What do you think is going on?"))->observation.messages[0].content;
  auto r = Step(ep, Action::Ask("What do you think is going on?"), llm);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(script_.patient_calls.load(), 2);  // the first reply and one regeneration
  EXPECT_EQ(r->observation.messages[0].content, rule_text);
  EXPECT_THAT(r->observation.messages[0].content, Not(HasSubstr("STEMI")));
  EXPECT_EQ(llm->leaks_blocked.load(), 2);
  EXPECT_EQ(llm->fallbacks.load(), 1);
}

TEST_F(LlmStepTest, IcdCodeInAReplyIsALeakToo) {
  script_.patient = "My last doctor wrote i21.19 on a form.";
  auto llm = Services();
  auto ep = NewEpisode({.patient = "llm"});
  auto r = Step(ep, Action::Ask("Any paperwork from before?"), llm);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->observation.messages[0].content, Not(HasSubstr("21.19")));
  EXPECT_GE(llm->leaks_blocked.load(), 1);
}

TEST_F(LlmStepTest, EndpointDownIsUnavailableAndTheEpisodeIsUnchanged) {
  script_.status = 503;
  auto llm = Services();
  auto ep = NewEpisode({.patient = "llm"});
  Episode* before = ep.get();
  auto r = Step(ep, Action::Ask("Where is the pain?"), llm);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("patient"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("sent again"));
  EXPECT_EQ(ep.get(), before);
  EXPECT_EQ(ep->turns(), 0);
  EXPECT_EQ(ep->transcript().size(), ep->initial_observation().messages.size());
  // The endpoint comes back: the same step now goes through.
  script_.status = 200;
  auto again = Step(ep, Action::Ask("Where is the pain?"), llm);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ep->turns(), 1);
}

TEST_F(LlmStepTest, MalformedRepliesAreUnavailableForThatStepOnly) {
  // A 200 whose body is cut off: the client reports it, the step fails cleanly.
  FakeOpenAiServer broken([](const FakeRequest&) { return FakeReply::Raw("{\"choices\": [{\"mess"); });
  agents::llm::ChatClientOptions o;
  o.base_url = broken.base_url();
  o.max_retries = 1;
  o.backoff_initial_s = 0.01;
  auto llm = std::make_shared<LlmServices>();
  llm->client = std::shared_ptr<agents::llm::ChatClient>(agents::llm::ChatClient::Create(o).value());
  auto ep = NewEpisode({.patient = "llm"});
  auto r = Step(ep, Action::Ask("Where is the pain?"), llm);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ep->turns(), 0);
  // An episode without model roles is untouched by the broken endpoint.
  auto rule = NewEpisode({});
  EXPECT_TRUE(Step(rule, Action::Ask("Where is the pain?"), llm).ok());
}

TEST_F(LlmStepTest, GatekeeperMapsFreeTextAndWritesUnlistedResults) {
  auto llm = Services();
  auto ep = NewEpisode({.gatekeeper = "llm"});
  const std::string retic = clinsim::testing::BundledWorld()->tests().FindById("reticulocyte_count")->name;
  script_.map = absl::StrCat(R"({"tests": [")", retic, R"("], "refuse": null})");
  auto r = Step(ep, Action::Order({"that young red cell count thing", "troponin"}), llm);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->observation.findings.size(), 2u);
  const Finding& f = r->observation.findings[0];
  EXPECT_EQ(f.catalog_id, "reticulocyte_count");
  EXPECT_EQ(f.result, "Reticulocytes 1.2 % (0.5-2.5)");  // written by the model: the case lists none
  EXPECT_THAT(r->observation.messages[0].content, HasSubstr("Reticulocytes 1.2 %"));
  EXPECT_THAT(ep->transcript().back().content, HasSubstr("Reticulocytes 1.2 %"));
  // The troponin is the case's own result, word for word: the model never touches it.
  EXPECT_TRUE(r->observation.findings[1].from_case);
  EXPECT_THAT(r->observation.findings[1].result, Not(HasSubstr("Reticulocytes")));
  EXPECT_GT(r->info.step_cost_usd, 0);
}

TEST_F(LlmStepTest, GatekeeperRefusalLeavesTheRuleRefusal) {
  script_.map = R"({"tests": [], "refuse": "too vague"})";
  auto llm = Services();
  auto ep = NewEpisode({.gatekeeper = "llm"});
  auto r = Step(ep, Action::Order({"whatever you have on the shelf"}), llm);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->observation.findings.empty());
  EXPECT_FALSE(r->info.errors.empty());
  EXPECT_EQ(r->info.step_cost_usd, 0);
}

TEST_F(LlmStepTest, LeakingWrittenResultKeepsTheCatalogNormal) {
  script_.result = R"({"result": "Findings in keeping with STEMI", "abnormal": true})";
  auto llm = Services();
  auto ep = NewEpisode({.gatekeeper = "llm"});
  auto r = Step(ep, Action::Order({"reticulocyte count"}), llm);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->observation.findings.size(), 1u);
  EXPECT_THAT(r->observation.findings[0].result, Not(HasSubstr("STEMI")));
  EXPECT_FALSE(r->observation.findings[0].abnormal);
  EXPECT_EQ(llm->fallbacks.load(), 1);
}

TEST_F(LlmStepTest, JudgeVerdictAndReasoningAreInTheScore) {
  auto llm = Services();
  auto ep = NewEpisode({.judge = "llm"});
  auto r = Step(ep, Action::Diagnose("coronary thrombosis of the right coronary artery"), llm);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(ep->done());
  EXPECT_EQ(ep->score()->judge_score, 4);
  EXPECT_TRUE(ep->score()->correct);
  EXPECT_THAT(ep->score()->judge_reason, HasSubstr("llm judge: Same disease"));
  EXPECT_EQ(ep->score()->llm_roles, "judge=llm");
}

TEST_F(LlmStepTest, UnusableJudgeRepliesFailTheStep) {
  script_.judge = "I think it is fine.";
  auto llm = Services();
  auto ep = NewEpisode({.judge = "llm"});
  auto r = Step(ep, Action::Diagnose("inferior STEMI"), llm);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("judge"));
  EXPECT_FALSE(ep->done());
}

TEST_F(LlmStepTest, GraderGradesFreeTextItemsAndTheRewardFollows) {
  auto with = NewEpisode({.grader = "llm"});
  auto without = NewEpisode({});
  auto llm = Services();
  auto a = Step(with, Action::Diagnose("inferior STEMI"), llm);
  auto b = Step(without, Action::Diagnose("inferior STEMI"), llm);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_GT(without->score()->rubric.ungraded, 0);
  EXPECT_EQ(with->score()->rubric.ungraded, 0);
  bool explained = false;
  for (const auto& item : with->score()->rubric.items) {
    if (absl::StrContains(item.explanation, "llm grader: The doctor did it.")) explained = true;
  }
  EXPECT_TRUE(explained);
  EXPECT_GE(with->score()->rubric.coverage, without->score()->rubric.coverage);
  EXPECT_DOUBLE_EQ(a->reward, with->score()->total_reward);  // sparse: the whole reward at the end
  EXPECT_DOUBLE_EQ(with->score()->reward_breakdown.rubric, 0.5 * with->score()->rubric.coverage);
}

TEST_F(LlmStepTest, CachedRunReplaysExactlyWithoutRequests) {
  std::string dir = ::testing::TempDir() + "/llm_cache_replay";
  std::filesystem::remove_all(dir);
  auto cache = agents::llm::ResponseCache::Open(dir + "/cache.sqlite").value();
  auto play = [&](std::shared_ptr<LlmServices> llm) {
    auto ep = NewEpisode({.patient = "llm", .gatekeeper = "llm", .judge = "llm", .grader = "llm"}, 11);
    for (const Action& a : {Action::Ask("Where is the pain?"), Action::Order({"reticulocyte count"}),
                            Action::Diagnose("inferior STEMI")}) {
      EXPECT_TRUE(Step(ep, a, llm).ok());
    }
    std::string all;
    for (const auto& m : ep->transcript()) absl::StrAppend(&all, m.role, ": ", m.content, "\n");
    return absl::StrCat(all, ep->score()->judge_reason, ep->score()->rubric.coverage);
  };
  // The services outlive the episodes: a client must not be destroyed by its own callback.
  auto first_llm = Services(cache), second_llm = Services(cache);
  const std::string first = play(first_llm);
  const int calls = script_.calls.load();
  ASSERT_GT(calls, 0);
  script_.patient = "A different answer that must not appear";
  const std::string second = play(second_llm);
  EXPECT_EQ(script_.calls.load(), calls);  // every reply came from the cache
  EXPECT_EQ(first, second);
}

}  // namespace
}  // namespace clinsim::env
