// Model roles over gRPC and in bench: an in-process server on 127.0.0.1 whose LLM endpoint is the
// fake OpenAI server, real clients; bench with the LLM doctor, a run store and an endpoint that
// dies mid-run.
#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agents/doctors/doctor.h"
#include "agents/doctors/llm_doctor.h"
#include "apps/clinsim/bench_runner.h"
#include "clients/cpp/env_client.h"
#include "env/server/server.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "runs/run_store.h"
#include "testing/fake_openai_server.h"
#include "testing/fixtures.h"
#include "testing/status_matchers.h"

namespace clinsim::server {
namespace {

using ::clinsim::testing::FakeOpenAiServer;
using ::clinsim::testing::FakeReply;
using ::clinsim::testing::FakeRequest;
using ::testing::HasSubstr;
using testing::StatusIs;

constexpr char kCase[] = "cardiology_inferior_stemi";

std::shared_ptr<env::LlmServices> ServicesFor(const FakeOpenAiServer& server, int retries = 1) {
  agents::llm::ChatClientOptions o;
  o.base_url = server.base_url();
  o.model = "fake";
  o.max_retries = retries;
  o.backoff_initial_s = 0.01;
  o.backoff_max_s = 0.02;
  o.timeout_s = 5;
  auto s = std::make_shared<env::LlmServices>();
  s->client = std::shared_ptr<agents::llm::ChatClient>(agents::llm::ChatClient::Create(o).value());
  return s;
}

class LlmServerTest : public ::testing::Test {
 protected:
  LlmServerTest()
      : fake_([this](const FakeRequest& r) {
          ++calls_;
          if (down_.load()) return FakeReply::Status(503);
          return FakeReply::Content(absl::StrCat("Voiced: ", r.last_user().size() % 7, " things"),
                                    delay_s_.load());
        }) {}

  void Start(bool with_llm = true) {
    ServerOptions o;
    o.address = "127.0.0.1:0";
    if (with_llm) {
      llm_ = ServicesFor(fake_);
      o.handler.llm = llm_;
    }
    server_ = Server::Start(clinsim::testing::BundledWorld(), o).value();
    client_ = client::EnvClient::Connect(absl::StrCat("127.0.0.1:", server_->port()), absl::Seconds(20));
  }

  v1::ResetResponse ResetWithLlmPatient() {
    v1::EpisodeOptions opts;
    opts.set_patient("llm");
    auto r = client_->Reset(kCase, 3, opts);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::ResetResponse();
  }

  std::atomic<int> calls_{0};
  std::atomic<bool> down_{false};
  std::atomic<double> delay_s_{0};
  FakeOpenAiServer fake_;
  std::shared_ptr<env::LlmServices> llm_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<client::EnvClient> client_;
};

TEST_F(LlmServerTest, SpecSaysWhetherModelRolesAreAvailable) {
  Start(/*with_llm=*/false);
  ASSERT_OK_AND_ASSIGN(v1::Spec spec, client_->GetSpec());
  EXPECT_FALSE(spec.llm_available());
  EXPECT_EQ(spec.default_options().patient(), "rule");
  v1::EpisodeOptions opts;
  opts.set_patient("llm");
  EXPECT_THAT(client_->Reset(kCase, 1, opts),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--llm-base-url")));
  opts.set_patient("poet");
  EXPECT_THAT(client_->Reset(kCase, 1, opts),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("patient must be rule or llm")));
}

TEST_F(LlmServerTest, UnknownRoleChoiceIsInvalid) {
  Start();
  v1::EpisodeOptions opts;
  opts.set_judge("oracle");
  EXPECT_THAT(client_->Reset(kCase, 1, opts),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("judge must be rule or llm")));
}

TEST_F(LlmServerTest, StepIsVoicedByTheModelOverUnaryAndSession) {
  Start();
  ASSERT_OK_AND_ASSIGN(v1::Spec spec, client_->GetSpec());
  EXPECT_TRUE(spec.llm_available());
  v1::ResetResponse reset = ResetWithLlmPatient();
  ASSERT_OK_AND_ASSIGN(v1::StepResponse step, client_->StepText(reset.episode_id(), "ASK: Where is the pain?"));
  ASSERT_GE(step.observation().messages_size(), 1);
  EXPECT_THAT(step.observation().messages(0).content(), HasSubstr("Voiced:"));

  grpc::ClientContext ctx;
  auto stream = client_->stub().Session(&ctx);
  v1::SessionRequest req;
  *req.mutable_reset()->mutable_case_id() = kCase;
  req.mutable_reset()->mutable_options()->set_patient("llm");
  ASSERT_TRUE(stream->Write(req));
  v1::SessionRequest ask;
  ask.mutable_step()->mutable_action()->set_text("ASK: Any fever?");
  ASSERT_TRUE(stream->Write(ask));
  stream->WritesDone();
  v1::SessionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_EQ(resp.status().code(), 0) << resp.status().message();
  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_EQ(resp.status().code(), 0) << resp.status().message();
  EXPECT_THAT(resp.step().observation().messages(0).content(), HasSubstr("Voiced:"));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(LlmServerTest, EndpointDownIsUnavailableOthersUnaffectedAndTheStepCanBeRetried) {
  Start();
  v1::ResetResponse with_model = ResetWithLlmPatient();
  auto rule = client_->Reset(kCase, 3);
  ASSERT_TRUE(rule.ok());
  down_ = true;
  EXPECT_THAT(client_->StepText(with_model.episode_id(), "ASK: Where is the pain?"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("could not answer")));
  // A rule-based episode on the same server goes on.
  EXPECT_TRUE(client_->StepText(rule->episode_id(), "ASK: Where is the pain?").ok());
  down_ = false;
  ASSERT_OK_AND_ASSIGN(v1::StepResponse again, client_->StepText(with_model.episode_id(), "ASK: Where is the pain?"));
  EXPECT_EQ(again.info().turn(), 1);  // the failed attempt used no turn
}

TEST_F(LlmServerTest, SecondStepWhileTheModelAnswersIsRefused) {
  Start();
  v1::ResetResponse reset = ResetWithLlmPatient();
  delay_s_ = 0.5;
  std::thread slow([&] { EXPECT_TRUE(client_->StepText(reset.episode_id(), "ASK: Where is the pain?").ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_THAT(client_->StepText(reset.episode_id(), "ASK: Any fever?"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("previous step")));
  slow.join();
  delay_s_ = 0;
  EXPECT_TRUE(client_->StepText(reset.episode_id(), "ASK: Any fever?").ok());
}

TEST_F(LlmServerTest, BatchOfModelStepsRunsSideBySide) {
  Start();
  delay_s_ = 0.2;
  v1::StepBatchRequest batch;
  for (int i = 0; i < 16; ++i) {
    v1::StepRequest* s = batch.add_items();
    s->set_episode_id(ResetWithLlmPatient().episode_id());
    s->mutable_action()->set_text("ASK: Where is the pain?");
  }
  auto t0 = absl::Now();
  ASSERT_OK_AND_ASSIGN(v1::StepBatchResponse resp, client_->StepBatch(batch));
  const absl::Duration took = absl::Now() - t0;
  ASSERT_EQ(resp.items_size(), 16);
  for (const auto& item : resp.items()) {
    EXPECT_EQ(item.status().code(), 0) << item.status().message();
    EXPECT_THAT(item.response().observation().messages(0).content(), HasSubstr("Voiced:"));
  }
  // Printed, not asserted: 16 model calls of 0.2 s each, side by side.
  std::cout << "16 model steps in one batch took " << absl::FormatDuration(took) << "\n";
}

// Bench with the LLM doctor: scripted replies, a run store, and an endpoint that dies mid-run.
TEST(LlmBenchTest, LlmDoctorPlaysThroughTheDriverAndAResumedRunLosesNothing) {
  std::atomic<bool> down{false};
  std::atomic<int> doctor_calls{0};
  FakeOpenAiServer fake([&](const FakeRequest& r) {
    if (down.load()) return FakeReply::Status(500);
    if (absl::StrContains(r.system(), "You are a physician")) {
      int n = ++doctor_calls;
      int users = 0;
      for (const auto& m : r.json["messages"]) users += m["role"] == "user" ? 1 : 0;
      if (n % 5 == 0) return FakeReply::Content("I am thinking about it.");  // no action: re-asked
      if (users == 1) return FakeReply::Content("Let me start.\nASK: When did this start?");
      if (users == 2) return FakeReply::Content("**ORDER:** cbc, troponin");
      return FakeReply::Content("DIAGNOSIS: myocardial infarction\nDIFFERENTIAL: pericarditis");
    }
    return FakeReply::Content("It started yesterday.");
  });
  auto llm = ServicesFor(fake, /*retries=*/0);
  auto c = llm->client;
  agents::RegisterDoctor("llm", [c] { return std::make_unique<agents::LlmDoctor>(c, "fake"); });
  apps::BenchConfig cfg;
  cfg.doctor = "llm";
  cfg.seeds = 2;
  cfg.case_ids = {kCase, "neurology_migraine_with_aura", "pulmonology_community_acquired_pneumonia"};
  for (const auto& id : cfg.case_ids) {
    if (clinsim::testing::BundledWorld()->FindCase(id) == nullptr) GTEST_SKIP() << "no case " << id;
  }
  cfg.llm = llm;
  cfg.concurrency = 4;
  cfg.options.roles.patient = "llm";
  std::string dir = ::testing::TempDir() + "/llm_bench_resume";
  std::filesystem::remove_all(dir);

  // Uninterrupted reference run.
  auto whole = apps::RunBench(clinsim::testing::BundledWorld(), cfg);
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_EQ(whole->episodes.size(), 6u);
  for (const auto& s : whole->episodes) {
    EXPECT_TRUE(s.terminated);
    EXPECT_EQ(s.diagnosis, "myocardial infarction");
    EXPECT_EQ(s.llm_roles, "patient=llm");
  }
  EXPECT_TRUE(whole->episodes[0].correct);  // the STEMI case, by the rule judge

  // With a store: the endpoint fails after the first episodes; the error is clear, what was
  // recorded stays, and rerunning records the rest.
  auto config_json = apps::BenchConfigToJson(cfg, "bundled");
  {
    auto store = runs::RunStore::Open(dir, config_json).value();
    std::thread killer([&] {
      while (doctor_calls.load() < 12) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      down = true;
    });
    doctor_calls = 0;
    auto broken = apps::RunBench(clinsim::testing::BundledWorld(), cfg, store.get());
    killer.join();
    EXPECT_THAT(broken.status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("could not")));
  }
  down = false;
  auto store = runs::RunStore::Open(dir, config_json).value();
  auto resumed = apps::RunBench(clinsim::testing::BundledWorld(), cfg, store.get());
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_EQ(resumed->episodes.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(resumed->episodes[i].case_id, whole->episodes[i].case_id);
    EXPECT_EQ(resumed->episodes[i].judge_score, whole->episodes[i].judge_score);
  }
}

TEST(LlmDoctorParseTest, ActionIsReadFromItsFirstTaggedLine) {
  EXPECT_EQ(agents::ParseDoctorReply("Thinking...\nASK: Any fever?")->question, "Any fever?");
  auto d = agents::ParseDoctorReply("Reasoning here.\n**DIAGNOSIS:** Gout\nDIFFERENTIAL: septic arthritis; pseudogout");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->kind, env::Action::kDiagnose);
  EXPECT_EQ(d->diagnosis, "Gout");
  EXPECT_EQ(d->differential.size(), 2u);
  EXPECT_THAT(agents::ParseDoctorReply("I would like to know more."),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no action line")));
  EXPECT_FALSE(agents::ParseDoctorReply("ORDER:").ok());
}

}  // namespace
}  // namespace clinsim::server
