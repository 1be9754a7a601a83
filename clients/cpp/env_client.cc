#include "clients/cpp/env_client.h"

#include "grpcpp/grpcpp.h"

namespace clinsim::client {

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

std::unique_ptr<EnvClient> EnvClient::Connect(const std::string& target, absl::Duration deadline) {
  return std::make_unique<EnvClient>(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()),
                                     deadline);
}

std::unique_ptr<EnvClient> EnvClient::Connect(const std::string& target, const ClientOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  grpc::ChannelArguments args;
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_root_pem;
    creds = grpc::SslCredentials(ssl);
    if (!options.tls_server_name.empty()) args.SetSslTargetNameOverride(options.tls_server_name);
  }
  auto client = std::make_unique<EnvClient>(grpc::CreateCustomChannel(target, creds, args), options.deadline);
  client->bearer_token_ = options.bearer_token;
  return client;
}

EnvClient::EnvClient(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline)
    : channel_(std::move(channel)), stub_(v1::Environment::NewStub(channel_)), deadline_(deadline) {}

void EnvClient::Prepare(grpc::ClientContext* ctx) const {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
  if (!bearer_token_.empty()) ctx->AddMetadata("authorization", "Bearer " + bearer_token_);
}

namespace {
template <typename Resp, typename Fn>
absl::StatusOr<Resp> Call(Fn&& fn) {
  Resp resp;
  grpc::Status s = fn(&resp);
  if (!s.ok()) return FromGrpc(s);
  return resp;
}
}  // namespace

absl::StatusOr<v1::Spec> EnvClient::GetSpec() {
  return Call<v1::Spec>([&](v1::Spec* r) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    return stub_->GetSpec(&ctx, v1::GetSpecRequest(), r);
  });
}

absl::StatusOr<v1::ListCasesResponse> EnvClient::ListCases(const std::string& specialty,
                                                           const std::string& difficulty) {
  v1::ListCasesRequest req;
  req.set_specialty(specialty);
  req.set_difficulty(difficulty);
  return Call<v1::ListCasesResponse>([&](v1::ListCasesResponse* r) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    return stub_->ListCases(&ctx, req, r);
  });
}

absl::StatusOr<v1::ResetResponse> EnvClient::Reset(const v1::ResetRequest& req) {
  return Call<v1::ResetResponse>([&](v1::ResetResponse* r) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    return stub_->Reset(&ctx, req, r);
  });
}

absl::StatusOr<v1::ResetResponse> EnvClient::Reset(const std::string& case_id, std::optional<uint64_t> seed,
                                                   const v1::EpisodeOptions& options) {
  v1::ResetRequest req;
  req.set_case_id(case_id);
  if (seed) req.set_seed(*seed);
  *req.mutable_options() = options;
  return Reset(req);
}

absl::StatusOr<v1::StepResponse> EnvClient::Step(const v1::StepRequest& req) {
  return Call<v1::StepResponse>([&](v1::StepResponse* r) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    return stub_->Step(&ctx, req, r);
  });
}

absl::StatusOr<v1::StepResponse> EnvClient::StepText(const std::string& episode_id, const std::string& text) {
  v1::StepRequest req;
  req.set_episode_id(episode_id);
  req.mutable_action()->set_text(text);
  return Step(req);
}

absl::StatusOr<v1::ResetBatchResponse> EnvClient::ResetBatch(const v1::ResetBatchRequest& req) {
  return Call<v1::ResetBatchResponse>([&](v1::ResetBatchResponse* r) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    return stub_->ResetBatch(&ctx, req, r);
  });
}

absl::StatusOr<v1::StepBatchResponse> EnvClient::StepBatch(const v1::StepBatchRequest& req) {
  return Call<v1::StepBatchResponse>([&](v1::StepBatchResponse* r) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    return stub_->StepBatch(&ctx, req, r);
  });
}

absl::StatusOr<v1::Score> EnvClient::GetScore(const std::string& episode_id) {
  v1::GetScoreRequest req;
  req.set_episode_id(episode_id);
  return Call<v1::Score>([&](v1::Score* r) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    return stub_->GetScore(&ctx, req, r);
  });
}

absl::Status EnvClient::Close(const std::string& episode_id) {
  v1::CloseRequest req;
  req.set_episode_id(episode_id);
  v1::CloseResponse resp;
  grpc::ClientContext ctx;
  Prepare(&ctx);
  return FromGrpc(stub_->Close(&ctx, req, &resp));
}

}  // namespace clinsim::client
