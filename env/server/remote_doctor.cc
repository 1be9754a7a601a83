#include "env/server/remote_doctor.h"

#include <map>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "clinsim/v1/doctor.grpc.pb.h"
#include "env/action.h"
#include "env/server/environment_service.h"
#include "env/server/proto_convert.h"
#include "grpcpp/grpcpp.h"

namespace clinsim::server {
namespace {

std::shared_ptr<grpc::Channel> SharedChannel(const std::string& target) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* channels = new std::map<std::string, std::shared_ptr<grpc::Channel>>;
  absl::MutexLock l(&mu);
  auto& ch = (*channels)[target];
  if (ch == nullptr) ch = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  return ch;
}

std::string RandomKey() {
  thread_local std::mt19937_64 gen(std::random_device{}());
  return absl::StrFormat("%016x", gen());
}

class RemoteDoctor final : public agents::Doctor {
 public:
  RemoteDoctor(std::string target, RemoteDoctorOptions options)
      : target_(std::move(target)),
        options_(options),
        stub_(v1::Doctor::NewStub(SharedChannel(target_))),
        key_(RandomKey()) {}

  void Configure(const env::EpisodeOptions& options) override { max_turns_ = options.max_turns; }

  env::Action Start(const env::Observation& initial, uint64_t seed) override {
    seed_ = seed;
    Append(initial);
    ToProto(initial, request_.mutable_last_observation());
    return Call();
  }

  env::Action Act(const env::Observation& observation) override {
    env::StepResult step;
    step.observation = observation;
    return ActOnStep(step);
  }

  env::Action ActOnStep(const env::StepResult& step) override {
    Append(step.observation);
    request_.clear_last_observation();
    ToProto(step.observation, request_.mutable_last_observation());
    request_.clear_last_info();
    env::StepInfo info = step.info;
    if (!parse_error_.empty()) info.errors.insert(info.errors.begin(), parse_error_);
    ToProto(info, request_.mutable_last_info());
    request_.set_turn(step.info.turn);
    request_.set_cost_usd(step.info.total_cost_usd);
    return Call();
  }

  absl::Status status() const override { return status_; }

 private:
  void Append(const env::Observation& o) {
    v1::Observation p;
    ToProto(o, &p);
    for (auto& m : *p.mutable_messages()) *request_.add_history() = std::move(m);
    for (auto& f : *p.mutable_findings()) *request_.add_findings() = std::move(f);
  }

  env::Action Call() {
    request_.set_episode_key(key_);
    request_.set_seed(seed_);
    request_.set_max_turns(max_turns_);
    if (request_.action_grammar().empty()) request_.set_action_grammar(std::string(env::ActionGrammar()));
    parse_error_.clear();
    v1::ActResponse response;
    grpc::Status s;
    absl::Duration backoff = absl::Milliseconds(200);
    for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
      response.Clear();
      s = stub_->Act(&ctx, request_, &response);
      if (s.ok()) break;
      const bool retry = s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                         s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                         s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
      if (!retry || attempt == options_.attempts) break;
      absl::SleepFor(backoff);
      backoff *= 4;
    }
    if (!s.ok()) {
      status_ = absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                             absl::StrCat("doctor service ", target_, " failed: ", s.error_message()));
      return env::Action::Ask("?");
    }
    absl::StatusOr<env::Action> a = ActionFromProto(response.action());
    env::Action action;
    if (a.ok()) {
      action = *std::move(a);
    } else {
      // Played as an invalid turn, as an in-process doctor's bad action would be; the agent
      // sees why in the next request's last_info.errors.
      parse_error_ = std::string(a.status().message());
      action = env::Action::Ask("");
    }
    v1::Message* m = request_.add_history();
    m->set_role("doctor");
    m->set_content(a.ok() ? env::FormatAction(action)
                          : (response.action().has_text() ? response.action().text().substr(0, 200)
                                                          : std::string("(empty action)")));
    return action;
  }

  std::string target_;
  RemoteDoctorOptions options_;
  std::unique_ptr<v1::Doctor::Stub> stub_;
  std::string key_;
  uint64_t seed_ = 0;
  int max_turns_ = 0;
  v1::ActRequest request_;
  std::string parse_error_;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<agents::Doctor>> CreateRemoteDoctor(const std::string& name,
                                                                   const RemoteDoctorOptions& options) {
  constexpr absl::string_view kScheme = "grpc://";
  if (!absl::StartsWith(name, kScheme) || name.size() == kScheme.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", name, "' is not a doctor address; use grpc://HOST:PORT"));
  }
  return std::make_unique<RemoteDoctor>(name.substr(kScheme.size()), options);
}

void RegisterRemoteDoctors(RemoteDoctorOptions options) {
  agents::RegisterDoctorScheme("grpc", [options](const std::string& name) {
    return CreateRemoteDoctor(name, options);
  });
}

}  // namespace clinsim::server
