// The gRPC service end to end: an in-process server on 127.0.0.1 port 0 and real clients.
#include "env/server/server.h"

#include <atomic>
#include <thread>

#include "apps/clinsim/bench_runner.h"
#include "clients/cpp/env_client.h"
#include "env/serialize.h"
#include "env/server/remote_doctor.h"
#include "env/server/proto_convert.h"
#include "gmock/gmock.h"
#include "health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "clinsim/v1/doctor.grpc.pb.h"
#include "testing/fixtures.h"
#include "testing/status_matchers.h"

namespace clinsim::server {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;
using client::EnvClient;

constexpr char kCase[] = "cardiology_inferior_stemi";

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions o = {}) {
    o.address = "127.0.0.1:0";
    auto s = Server::Start(testing::BundledWorld(), o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    target_ = absl::StrCat("127.0.0.1:", server_->port());
    client_ = EnvClient::Connect(target_, absl::Seconds(20));
  }
  void SetUp() override { StartServer(); }

  v1::ResetResponse MustReset(const std::string& case_id = kCase, uint64_t seed = 1) {
    auto r = client_->Reset(case_id, seed);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::ResetResponse();
  }

  std::unique_ptr<Server> server_;
  std::string target_;
  std::unique_ptr<EnvClient> client_;
};

TEST_F(ServerTest, SpecDescribesCatalogGrammarLimitsAndDefaults) {
  ASSERT_OK_AND_ASSIGN(v1::Spec spec, client_->GetSpec());
  EXPECT_EQ(spec.api_version(), "clinsim.v1");
  EXPECT_EQ(spec.tests_size(), 284);
  EXPECT_EQ(spec.exam_systems_size(), 18);
  EXPECT_THAT(spec.action_grammar(), HasSubstr("ORDER:"));
  EXPECT_THAT(std::vector<std::string>(spec.reward_components().begin(), spec.reward_components().end()),
              ::testing::Contains("diagnosis"));
  EXPECT_EQ(spec.limits().max_text_length(), 4000);
  EXPECT_EQ(spec.default_options().max_turns(), 40);
  EXPECT_EQ(spec.default_options().visit_fee_usd(), 300);
  EXPECT_EQ(spec.case_count(), 152);
  EXPECT_THAT(std::vector<std::string>(spec.noise_profiles().begin(), spec.noise_profiles().end()),
              ::testing::Contains("realistic"));
  bool priced = false;
  for (const auto& t : spec.tests()) priced |= (t.id() == "troponin_i" || t.price_usd() > 0);
  EXPECT_TRUE(priced);
}

TEST_F(ServerTest, ListCasesFiltersAndNamesNoDiagnosis) {
  ASSERT_OK_AND_ASSIGN(v1::ListCasesResponse all, client_->ListCases());
  EXPECT_EQ(all.cases_size(), 152);
  ASSERT_OK_AND_ASSIGN(v1::ListCasesResponse cardio, client_->ListCases("cardiology"));
  EXPECT_GT(cardio.cases_size(), 3);
  for (const auto& c : cardio.cases()) EXPECT_EQ(c.specialty(), "cardiology");
  ASSERT_OK_AND_ASSIGN(v1::ListCasesResponse hard, client_->ListCases("", "hard"));
  EXPECT_GT(hard.cases_size(), 10);
  EXPECT_THAT(client_->ListCases("no-such-specialty").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cardiology")));
  EXPECT_THAT(client_->ListCases("", "impossible").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("easy, medium or hard")));
}

// The same case, seed and actions over gRPC give byte for byte the score of the in-process run
// that `clinsim bench` makes.
TEST_F(ServerTest, EpisodeOverGrpcMatchesInProcessBench) {
  for (const char* case_id : {kCase, "pulmonology_community_acquired_pneumonia"}) {
    for (uint64_t seed : {0, 3}) {
      env::EpisodeOptions options;
      options.noise = noise::ParseNoiseSpec("realistic").value();
      nlohmann::json trajectory;
      auto local = apps::PlayEpisode(testing::BundledWorld(), "scripted", case_id, seed, options,
                                     nullptr, &trajectory);
      ASSERT_TRUE(local.ok()) << local.status();
      v1::EpisodeOptions remote_options;
      remote_options.set_noise("realistic");
      ASSERT_OK_AND_ASSIGN(v1::ResetResponse reset, client_->Reset(case_id, seed, remote_options));
      EXPECT_EQ(reset.case_id(), case_id);
      bool ended = false;
      for (const auto& step : trajectory["steps"]) {
        ASSERT_FALSE(ended);
        ASSERT_OK_AND_ASSIGN(v1::StepResponse r,
                             client_->StepText(reset.episode_id(), step["action"].get<std::string>()));
        EXPECT_DOUBLE_EQ(r.reward(), step["reward"].get<double>());
        ended = r.terminated() || r.truncated();
      }
      EXPECT_TRUE(ended);
      ASSERT_OK_AND_ASSIGN(v1::Score score, client_->GetScore(reset.episode_id()));
      EXPECT_EQ(score.json(), env::ScoreToJson(*local).dump()) << case_id << " seed " << seed;
      EXPECT_EQ(score.case_id(), case_id);
      EXPECT_EQ(score.correct(), local->correct);
      EXPECT_DOUBLE_EQ(score.cost_usd(), local->cost_usd);
      EXPECT_OK(client_->Close(reset.episode_id()));
    }
  }
}

TEST_F(ServerTest, StructuredAndTextActionsAreTheSame) {
  v1::ResetResponse a = MustReset(kCase, 5), b = MustReset(kCase, 5);
  v1::StepRequest structured;
  structured.set_episode_id(a.episode_id());
  structured.mutable_action()->mutable_order()->add_tests("troponin");
  structured.mutable_action()->mutable_order()->add_tests("ecg");
  ASSERT_OK_AND_ASSIGN(v1::StepResponse ra, client_->Step(structured));
  ASSERT_OK_AND_ASSIGN(v1::StepResponse rb, client_->StepText(b.episode_id(), "ORDER: troponin, ecg"));
  EXPECT_EQ(ra.SerializeAsString(), rb.SerializeAsString());
  EXPECT_EQ(ra.info().action_kind(), "order");
  EXPECT_EQ(ra.observation().findings_size(), 2);
  EXPECT_GT(ra.info().total_cost_usd(), 0);
}

TEST_F(ServerTest, SeedPickedCaseIsNotRevealedUntilTheScore) {
  v1::ResetRequest req;
  req.set_seed(42);
  ASSERT_OK_AND_ASSIGN(v1::ResetResponse r1, client_->Reset(req));
  ASSERT_OK_AND_ASSIGN(v1::ResetResponse r2, client_->Reset(req));
  EXPECT_EQ(r1.case_id(), "");
  EXPECT_EQ(r1.seed(), 42u);
  // The same seed picks the same case: the presentations agree.
  EXPECT_EQ(r1.observation().SerializeAsString(), r2.observation().SerializeAsString());
  ASSERT_OK_AND_ASSIGN(v1::StepResponse s, client_->StepText(r1.episode_id(), "DIAGNOSIS: influenza"));
  EXPECT_TRUE(s.terminated());
  ASSERT_OK_AND_ASSIGN(v1::Score score, client_->GetScore(r1.episode_id()));
  EXPECT_FALSE(score.case_id().empty());
  // Without a seed the server draws one and says which.
  ASSERT_OK_AND_ASSIGN(v1::ResetResponse r3, client_->Reset(v1::ResetRequest()));
  ASSERT_OK_AND_ASSIGN(v1::ResetResponse r4, client_->Reset(v1::ResetRequest()));
  EXPECT_NE(r3.seed(), r4.seed());
}

TEST_F(ServerTest, StatusCodesOfTheContract) {
  EXPECT_THAT(client_->Reset("no_such_case", 1).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("ListCases")));
  EXPECT_THAT(client_->StepText("ep-0000", "ASK: hello?").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown episode")));
  EXPECT_THAT(client_->StepText("", "ASK: hello?").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("episode_id is empty")));
  EXPECT_THAT(client_->GetScore("ep-0000").status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(client_->Close("ep-0000"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));

  v1::ResetResponse r = MustReset();
  v1::StepRequest empty;
  empty.set_episode_id(r.episode_id());
  EXPECT_THAT(client_->Step(empty).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the action is empty")));
  EXPECT_THAT(client_->StepText(r.episode_id(), std::string(20000, 'a')).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  // Invalid UTF-8 in a proto3 string never reaches the service: protobuf refuses to parse the
  // request (gRPC 1.51 answers UNIMPLEMENTED with no message). The handler's own check covers
  // in-process callers.
  EXPECT_FALSE(client_->StepText(r.episode_id(), "ASK: \xff\xfe?").ok());
  EXPECT_THAT(client_->StepText(r.episode_id(), "ORDER:").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  v1::StepRequest too_many;
  too_many.set_episode_id(r.episode_id());
  for (int i = 0; i < 30; ++i) too_many.mutable_action()->mutable_order()->add_tests("cbc");
  EXPECT_THAT(client_->Step(too_many).status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  v1::StepRequest bad_conf;
  bad_conf.set_episode_id(r.episode_id());
  bad_conf.mutable_action()->mutable_diagnose()->set_diagnosis("stemi");
  bad_conf.mutable_action()->mutable_diagnose()->set_confidence(7);
  EXPECT_THAT(client_->Step(bad_conf).status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("confidence")));
  // None of the refused requests used a turn or cost anything.
  ASSERT_OK_AND_ASSIGN(v1::StepResponse ok, client_->StepText(r.episode_id(), "ASK: Where is the pain?"));
  EXPECT_EQ(ok.info().turn(), 1);
  EXPECT_THAT(client_->GetScore(r.episode_id()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("has not ended")));
  ASSERT_OK_AND_ASSIGN(v1::StepResponse end, client_->StepText(r.episode_id(), "DIAGNOSIS: inferior STEMI"));
  EXPECT_TRUE(end.terminated());
  EXPECT_GT(end.reward_breakdown().diagnosis(), 0);
  EXPECT_THAT(client_->StepText(r.episode_id(), "ASK: anything else?").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("has ended")));

  v1::EpisodeOptions bad;
  bad.set_noise("loud");
  EXPECT_THAT(client_->Reset(kCase, 1, bad).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("EpisodeOptions.noise")));
  bad.Clear();
  bad.set_max_turns(0);
  EXPECT_THAT(client_->Reset(kCase, 1, bad).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_turns")));
  bad.Clear();
  bad.set_persona("temperament=grumpy");
  EXPECT_THAT(client_->Reset(kCase, 1, bad).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("persona")));
  bad.Clear();
  bad.mutable_reward_weights()->set_diagnosis(std::nan(""));
  EXPECT_THAT(client_->Reset(kCase, 1, bad).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reward_weights.diagnosis")));
}

TEST_F(ServerTest, InvalidActionAsTurnPlaysMalformedTextAsAnInvalidTurn) {
  v1::EpisodeOptions o;
  o.set_invalid_action_as_turn(true);
  ASSERT_OK_AND_ASSIGN(v1::ResetResponse r, client_->Reset(kCase, 1, o));
  ASSERT_OK_AND_ASSIGN(v1::StepResponse s, client_->StepText(r.episode_id(), "ORDER:"));
  EXPECT_EQ(s.info().action_kind(), "invalid");
  EXPECT_EQ(s.info().turn(), 1);
  EXPECT_LT(s.reward_breakdown().invalid_actions() + s.reward(), 1e-9);
  // Structured actions with bad contents are invalid turns too.
  v1::StepRequest empty_question;
  empty_question.set_episode_id(r.episode_id());
  empty_question.mutable_action()->mutable_ask();
  ASSERT_OK_AND_ASSIGN(v1::StepResponse s2, client_->Step(empty_question));
  EXPECT_EQ(s2.info().action_kind(), "invalid");
  EXPECT_EQ(s2.info().turn(), 2);
  EXPECT_THAT(s2.info().errors(0), HasSubstr("question is empty"));
  // An empty action is still a malformed request, not a turn.
  v1::StepRequest empty;
  empty.set_episode_id(r.episode_id());
  EXPECT_THAT(client_->Step(empty).status(), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST_F(ServerTest, StepCanReturnTheScoreAndFreeTheEpisodeWhenItEnds) {
  v1::ResetResponse r = MustReset();
  v1::StepRequest req;
  req.set_episode_id(r.episode_id());
  req.set_include_score(true);
  req.set_close_on_end(true);
  req.mutable_action()->set_text("ASK: Where is the pain?");
  ASSERT_OK_AND_ASSIGN(v1::StepResponse mid, client_->Step(req));
  EXPECT_FALSE(mid.has_score());  // not ended: no score, still open
  EXPECT_EQ(server_->handler().store().size(), 1);
  req.mutable_action()->set_text("DIAGNOSIS: inferior STEMI");
  ASSERT_OK_AND_ASSIGN(v1::StepResponse end, client_->Step(req));
  ASSERT_TRUE(end.has_score());
  EXPECT_TRUE(end.score().correct());
  EXPECT_FALSE(end.score().json().empty());
  EXPECT_EQ(server_->handler().store().size(), 0);
  EXPECT_THAT(client_->GetScore(r.episode_id()).status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(ServerTest, BatchItemsFailAlone) {
  v1::ResetBatchRequest resets;
  for (int i = 0; i < 3; ++i) {
    v1::ResetRequest* r = resets.add_items();
    r->set_case_id(i == 1 ? "no_such_case" : kCase);
    r->set_seed(i);
  }
  ASSERT_OK_AND_ASSIGN(v1::ResetBatchResponse rb, client_->ResetBatch(resets));
  ASSERT_EQ(rb.items_size(), 3);
  EXPECT_EQ(rb.items(0).status().code(), 0);
  EXPECT_EQ(rb.items(1).status().code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_FALSE(rb.items(1).has_response());
  EXPECT_EQ(rb.items(2).status().code(), 0);

  v1::StepBatchRequest steps;
  steps.add_items()->set_episode_id(rb.items(0).response().episode_id());
  steps.mutable_items(0)->mutable_action()->set_text("ASK: Where is the pain?");
  steps.add_items()->set_episode_id("ep-unknown");
  steps.mutable_items(1)->mutable_action()->set_text("ASK: Where is the pain?");
  steps.add_items()->set_episode_id(rb.items(2).response().episode_id());  // no action
  ASSERT_OK_AND_ASSIGN(v1::StepBatchResponse sb, client_->StepBatch(steps));
  ASSERT_EQ(sb.items_size(), 3);
  EXPECT_EQ(sb.items(0).status().code(), 0);
  EXPECT_FALSE(sb.items(0).response().observation().messages().empty());
  EXPECT_EQ(sb.items(1).status().code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(sb.items(2).status().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));

  v1::StepBatchRequest huge;
  for (int i = 0; i < 1025; ++i) huge.add_items();
  EXPECT_THAT(client_->StepBatch(huge).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit is 1024")));
}

TEST_F(ServerTest, SessionAnswersPipelinedRequestsInOrderWithPerRequestStatus) {
  grpc::ClientContext ctx;
  auto stream = client_->stub().Session(&ctx);
  std::vector<v1::SessionRequest> reqs(6);
  reqs[0].mutable_reset()->set_case_id(kCase);
  reqs[0].mutable_reset()->set_seed(2);
  reqs[1].mutable_step()->mutable_action()->set_text("ASK: Where is the pain?");  // last episode
  reqs[2].mutable_step()->mutable_action()->set_text("ORDER:");                    // malformed
  // reqs[3] stays an empty envelope
  reqs[4].mutable_step()->mutable_action()->set_text("DIAGNOSIS: inferior STEMI");
  reqs[5].mutable_get_score();
  for (const auto& r : reqs) ASSERT_TRUE(stream->Write(r));  // all sent before reading any
  stream->WritesDone();
  std::vector<v1::SessionResponse> resps;
  v1::SessionResponse resp;
  while (stream->Read(&resp)) resps.push_back(resp);
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(resps.size(), 6u);
  EXPECT_EQ(resps[0].status().code(), 0);
  EXPECT_TRUE(resps[0].has_reset());
  EXPECT_EQ(resps[1].status().code(), 0);
  EXPECT_EQ(resps[1].step().info().turn(), 1);
  EXPECT_EQ(resps[2].status().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(resps[2].has_step());
  EXPECT_EQ(resps[3].status().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(resps[3].status().message(), HasSubstr("SessionRequest is empty"));
  EXPECT_TRUE(resps[4].step().terminated());
  EXPECT_EQ(resps[4].step().info().turn(), 2);
  EXPECT_TRUE(resps[5].score().correct());
  // The stream's episode ended with it.
  for (int i = 0; i < 100 && server_->handler().store().size() != 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(server_->handler().store().size(), 0);
}

TEST_F(ServerTest, ClientThatVanishesMidStreamLeavesNoEpisodes) {
  for (int round = 0; round < 5; ++round) {
    grpc::ClientContext ctx;
    auto stream = client_->stub().Session(&ctx);
    for (int i = 0; i < 4; ++i) {
      v1::SessionRequest r;
      r.mutable_reset()->set_seed(i);
      ASSERT_TRUE(stream->Write(r));
    }
    v1::SessionResponse resp;
    ASSERT_TRUE(stream->Read(&resp));
    ctx.TryCancel();  // gone without WritesDone
    while (stream->Read(&resp)) {
    }
    stream->Finish();
  }
  for (int i = 0; i < 200 && server_->handler().store().size() != 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(server_->handler().store().size(), 0);
  // The server still answers.
  EXPECT_TRUE(client_->GetSpec().ok());
}

TEST_F(ServerTest, ConcurrentClientsGetReproducibleEpisodes) {
  constexpr int kThreads = 8, kEpisodes = 10;
  std::vector<std::vector<std::string>> scores(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = EnvClient::Connect(target_);
      for (int e = 0; e < kEpisodes; ++e) {
        auto r = c->Reset(kCase, e);
        if (!r.ok()) { ++failures; continue; }
        for (const char* a : {"ASK: Where is the pain?", "EXAMINE: cardiovascular", "ORDER: ecg, troponin",
                              "DIAGNOSIS: inferior STEMI"}) {
          if (!c->StepText(r->episode_id(), a).ok()) ++failures;
        }
        auto s = c->GetScore(r->episode_id());
        if (!s.ok()) { ++failures; continue; }
        scores[t].push_back(s->json());
        if (!c->Close(r->episode_id()).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(scores[t], scores[0]);
  EXPECT_EQ(server_->handler().store().size(), 0);
}

TEST_F(ServerTest, FullServerRefusesThenRecoversAfterClose) {
  server_.reset();
  ServerOptions o;
  o.handler.store.max_episodes = 3;
  StartServer(o);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(MustReset(kCase, i).episode_id());
  EXPECT_THAT(client_->Reset(kCase, 9).status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("maximum of 3")));
  ASSERT_OK(client_->Close(ids[0]));
  EXPECT_TRUE(client_->Reset(kCase, 9).ok());
}

TEST_F(ServerTest, IdleEpisodesExpire) {
  server_.reset();
  ServerOptions o;
  o.handler.store.idle_ttl = absl::Milliseconds(200);
  StartServer(o);
  v1::ResetResponse r = MustReset();
  for (int i = 0; i < 300 && server_->handler().store().size() != 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(server_->handler().store().size(), 0);
  EXPECT_THAT(client_->StepText(r.episode_id(), "ASK: hello?").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("expired")));
}

TEST_F(ServerTest, OversizedRequestIsRefusedByTheTransport) {
  v1::StepRequest req;
  req.set_episode_id(MustReset().episode_id());
  req.mutable_action()->set_text(std::string(5 << 20, 'a'));
  EXPECT_THAT(client_->Step(req).status(), StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
  EXPECT_TRUE(client_->GetSpec().ok());
}

TEST_F(ServerTest, HealthIsServingThenNotServingAtShutdownAndNewWorkIsUnavailable) {
  auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  for (const char* service : {"", "clinsim.v1.Environment"}) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
  // Draining: what would start or advance an episode is UNAVAILABLE.
  server_->handler().StartDraining();
  EXPECT_THAT(client_->Reset(kCase, 1).status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
  std::thread stopper([&] { server_->Shutdown(absl::Seconds(2)); });
  stopper.join();
  EXPECT_THAT(client_->GetSpec().status(), StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
}

// A Doctor service written here, as an agent builder would: bench plays it through grpc://.
class EchoPlanDoctor final : public v1::Doctor::CallbackService {
 public:
  grpc::ServerUnaryReactor* Act(grpc::CallbackServerContext* ctx, const v1::ActRequest* req,
                                v1::ActResponse* resp) override {
    calls++;
    static const char* kPlan[] = {"ASK: Where is the pain?", "EXAMINE: cardiovascular", "ORDER: ecg, troponin",
                                  "nonsense: ORDER:", "DIAGNOSIS: inferior STEMI"};
    int turn = std::min<int>(req->turn(), 4);
    if (turn == 4 && req->last_info().errors_size() == 0) turn = 3;  // first try the bad one
    if (req->turn() >= 4) turn = 4;
    resp->mutable_action()->set_text(kPlan[turn]);
    last_history = req->history_size();
    auto* r = ctx->DefaultReactor();
    r->Finish(grpc::Status::OK);
    return r;
  }
  std::atomic<int> calls{0};
  std::atomic<int> last_history{0};
};

TEST(RemoteDoctor, BenchPlaysADoctorService) {
  EchoPlanDoctor service;
  grpc::ServerBuilder b;
  int port = 0;
  b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  b.RegisterService(&service);
  auto doctor_server = b.BuildAndStart();
  ASSERT_NE(port, 0);
  RegisterRemoteDoctors();
  apps::BenchConfig cfg;
  cfg.doctor = absl::StrCat("grpc://127.0.0.1:", port);
  cfg.case_ids = {kCase};
  cfg.seeds = 2;
  cfg.threads = 2;
  ASSERT_OK_AND_ASSIGN(apps::BenchReport report, apps::RunBench(testing::BundledWorld(), cfg));
  ASSERT_EQ(report.episodes.size(), 2u);
  for (const auto& s : report.episodes) {
    EXPECT_TRUE(s.correct);
    EXPECT_EQ(s.tests_ordered, 2);
  }
  EXPECT_EQ(service.calls.load(), 2 * 5);
  EXPECT_GE(service.last_history.load(), 8);
  doctor_server->Shutdown();
}

TEST(RemoteDoctor, UnreachableServiceFailsTheRunWithAClearError) {
  RemoteDoctorOptions o;
  o.deadline = absl::Milliseconds(300);
  o.attempts = 2;
  agents::RegisterDoctorScheme("grpc", [o](const std::string& name) { return CreateRemoteDoctor(name, o); });
  apps::BenchConfig cfg;
  cfg.doctor = "grpc://127.0.0.1:1";
  cfg.case_ids = {kCase};
  cfg.threads = 1;
  EXPECT_THAT(apps::RunBench(testing::BundledWorld(), cfg).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("doctor service 127.0.0.1:1")));
  RegisterRemoteDoctors();
}

}  // namespace
}  // namespace clinsim::server

namespace clinsim::server {
namespace {

// The handler without gRPC, as in-process callers and fuzzers use it.
TEST(EnvironmentHandler, RefusesInvalidUtf8AndOversizedIds) {
  EnvironmentHandler h(testing::BundledWorld(), HandlerOptions{});
  v1::ResetRequest reset;
  reset.set_case_id(kCase);
  reset.set_seed(1);
  v1::ResetResponse r;
  ASSERT_TRUE(h.Reset(reset, &r).ok());
  v1::StepRequest step;
  step.set_episode_id(r.episode_id());
  step.mutable_action()->set_text("ASK: \xff\xfe?");
  v1::StepResponse out;
  EXPECT_THAT(h.Step(step, &out), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  step.set_episode_id(std::string(1000, 'x'));
  EXPECT_THAT(h.Step(step, &out), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an id")));
  reset.set_case_id(std::string(1000, 'x'));
  EXPECT_THAT(h.Reset(reset, &r), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ListCases")));
}

}  // namespace
}  // namespace clinsim::server
