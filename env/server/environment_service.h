// The gRPC face of EnvironmentHandler: the callback-API service. Unary calls run on gRPC's own
// threads and finish before returning (the work is a few microseconds of CPU and a per-episode
// lock, never I/O); Session is a bidirectional reactor that keeps reading while it writes, so
// clients may pipeline requests.
#ifndef CLINSIM_ENV_SERVER_ENVIRONMENT_SERVICE_H_
#define CLINSIM_ENV_SERVER_ENVIRONMENT_SERVICE_H_

#include "absl/status/status.h"
#include "clinsim/v1/environment.grpc.pb.h"
#include "env/server/auth.h"
#include "env/server/environment_handler.h"
#include "grpcpp/grpcpp.h"

namespace clinsim::server {

// Who a call counts against for --max-episodes-per-client: a hash of its bearer token, else its
// peer address without the port.
std::string ClientKey(grpc::CallbackServerContext* ctx);

// The one place absl::Status becomes grpc::Status (the codes share their numbers).
grpc::Status ToGrpcStatus(const absl::Status& s);

class EnvironmentService final : public v1::Environment::CallbackService {
 public:
  // `auth` may be null (no token required); it must outlive the service.
  EnvironmentService(EnvironmentHandler* handler, const TokenAuth* auth) : handler_(handler), auth_(auth) {}

  grpc::ServerUnaryReactor* GetSpec(grpc::CallbackServerContext* ctx, const v1::GetSpecRequest* req,
                                    v1::Spec* resp) override;
  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext* ctx, const v1::ListCasesRequest* req,
                                      v1::ListCasesResponse* resp) override;
  grpc::ServerUnaryReactor* Reset(grpc::CallbackServerContext* ctx, const v1::ResetRequest* req,
                                  v1::ResetResponse* resp) override;
  grpc::ServerUnaryReactor* Step(grpc::CallbackServerContext* ctx, const v1::StepRequest* req,
                                 v1::StepResponse* resp) override;
  grpc::ServerUnaryReactor* ResetBatch(grpc::CallbackServerContext* ctx, const v1::ResetBatchRequest* req,
                                       v1::ResetBatchResponse* resp) override;
  grpc::ServerUnaryReactor* StepBatch(grpc::CallbackServerContext* ctx, const v1::StepBatchRequest* req,
                                      v1::StepBatchResponse* resp) override;
  grpc::ServerUnaryReactor* GetScore(grpc::CallbackServerContext* ctx, const v1::GetScoreRequest* req,
                                     v1::Score* resp) override;
  grpc::ServerUnaryReactor* Close(grpc::CallbackServerContext* ctx, const v1::CloseRequest* req,
                                  v1::CloseResponse* resp) override;
  grpc::ServerBidiReactor<v1::SessionRequest, v1::SessionResponse>* Session(
      grpc::CallbackServerContext* ctx) override;

 private:
  absl::Status Authorize(grpc::CallbackServerContext* ctx) const;

  EnvironmentHandler* handler_;
  const TokenAuth* auth_;
};

}  // namespace clinsim::server

#endif  // CLINSIM_ENV_SERVER_ENVIRONMENT_SERVICE_H_
