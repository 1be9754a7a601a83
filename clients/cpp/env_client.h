// A C++ client for a clinsim server: typed calls over the clinsim.v1.Environment stub, errors
// as absl::Status, a deadline on every call. Depends only on the generated proto code, so an
// agent builder can link it without the simulator.
//
//   auto env = clinsim::client::EnvClient::Connect("127.0.0.1:50051");
//   absl::StatusOr<v1::ResetResponse> r = env->Reset("cardiology_inferior_stemi", /*seed=*/7);
//   absl::StatusOr<v1::StepResponse> s = env->StepText(r->episode_id(), "ASK: Where is the pain?");
//   ... until s->terminated() || s->truncated()
//   absl::StatusOr<v1::Score> score = env->GetScore(r->episode_id());
#ifndef CLINSIM_CLIENTS_CPP_ENV_CLIENT_H_
#define CLINSIM_CLIENTS_CPP_ENV_CLIENT_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clinsim/v1/environment.grpc.pb.h"

namespace clinsim::client {

namespace v1 = ::clinsim::v1;

struct ClientOptions {
  absl::Duration deadline = absl::Seconds(30);  // per call
  std::string bearer_token;  // sent as 'authorization: Bearer TOKEN' when set
  bool tls = false;
  std::string tls_root_pem;  // roots to trust (empty: the system's)
  std::string tls_server_name;  // overrides the name checked in the certificate (tests)
};

class EnvClient {
 public:
  // Does not connect yet; the first call does (and fails with UNAVAILABLE if nothing listens).
  static std::unique_ptr<EnvClient> Connect(const std::string& target,
                                            absl::Duration deadline = absl::Seconds(30));
  static std::unique_ptr<EnvClient> Connect(const std::string& target, const ClientOptions& options);
  explicit EnvClient(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline = absl::Seconds(30));

  absl::StatusOr<v1::Spec> GetSpec();
  absl::StatusOr<v1::ListCasesResponse> ListCases(const std::string& specialty = "",
                                                  const std::string& difficulty = "");
  absl::StatusOr<v1::ResetResponse> Reset(const v1::ResetRequest& request);
  absl::StatusOr<v1::ResetResponse> Reset(const std::string& case_id, std::optional<uint64_t> seed,
                                          const v1::EpisodeOptions& options = {});
  absl::StatusOr<v1::StepResponse> Step(const v1::StepRequest& request);
  absl::StatusOr<v1::StepResponse> StepText(const std::string& episode_id, const std::string& text);
  absl::StatusOr<v1::ResetBatchResponse> ResetBatch(const v1::ResetBatchRequest& request);
  absl::StatusOr<v1::StepBatchResponse> StepBatch(const v1::StepBatchRequest& request);
  absl::StatusOr<v1::Score> GetScore(const std::string& episode_id);
  absl::Status Close(const std::string& episode_id);

  v1::Environment::Stub& stub() { return *stub_; }

 private:
  void Prepare(grpc::ClientContext* ctx) const;

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Environment::Stub> stub_;
  absl::Duration deadline_;
  std::string bearer_token_;
};

// grpc::Status -> absl::Status (same codes).
absl::Status FromGrpc(const grpc::Status& s);

}  // namespace clinsim::client

#endif  // CLINSIM_CLIENTS_CPP_ENV_CLIENT_H_
