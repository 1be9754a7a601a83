#include "env/server/server.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "env/server/environment_service.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"

namespace clinsim::server {

absl::StatusOr<std::unique_ptr<Server>> Server::Start(std::shared_ptr<const env::World> world,
                                                      ServerOptions options) {
  std::unique_ptr<Server> s(new Server);
  s->handler_ = std::make_unique<EnvironmentHandler>(std::move(world), options.handler);
  s->auth_ = std::move(options.auth);
  s->service_ = std::make_unique<EnvironmentService>(s->handler_.get(), s->auth_ ? &*s->auth_ : nullptr);
  grpc::EnableDefaultHealthCheckService(true);
  if (options.reflection) grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (!options.tls_cert_pem.empty() || !options.tls_key_pem.empty()) {
    if (options.tls_cert_pem.empty() || options.tls_key_pem.empty()) {
      return absl::InvalidArgumentError("TLS needs both a certificate (--tls-cert) and a key (--tls-key)");
    }
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
    creds = grpc::SslServerCredentials(ssl);
  }
  builder.AddListeningPort(options.address, creds, &s->port_);
  builder.RegisterService(s->service_.get());
  builder.SetMaxReceiveMessageSize(options.handler.max_message_bytes);
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot listen on '", options.address,
        "': the address is malformed, in use or not allowed, or the TLS certificate and key are not a valid "
        "PEM pair; pass --address HOST:PORT (port 0 picks a free one)"));
  }
  grpc::HealthCheckServiceInterface* health = s->server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  health->SetServingStatus("clinsim.v1.Environment", true);
  s->sweeper_ = std::thread([p = s.get()] { p->SweepLoop(); });
  return s;
}

Server::~Server() { Shutdown(absl::ZeroDuration()); }

void Server::SweepLoop() {
  const absl::Duration ttl = handler_->store().options().idle_ttl;
  const absl::Duration every = std::clamp(ttl / 4, absl::Milliseconds(10), absl::Seconds(10));
  absl::MutexLock l(&mu_);
  while (!stopping_) {
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), every);
    if (stopping_) break;
    mu_.Unlock();
    handler_->store().Sweep(absl::Now());
    mu_.Lock();
  }
}

void Server::Shutdown(absl::Duration grace) {
  absl::MutexLock once(&shutdown_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (server_ == nullptr) return;  // Start failed before the server ran
  const absl::Time deadline = absl::Now() + grace;
  handler_->StartDraining();
  server_->GetHealthCheckService()->Shutdown();  // every service NOT_SERVING from now on
  // Refuse new work with UNAVAILABLE for a moment before gRPC stops accepting calls: a call that
  // reaches gRPC after its Shutdown began is CANCELLED, which a client cannot tell from its own
  // cancellation, while UNAVAILABLE tells it to go elsewhere. Calls in flight go on meanwhile.
  absl::SleepFor(std::min(grace / 2, absl::Seconds(1)));
  server_->Shutdown(absl::ToChronoTime(deadline));
  server_->Wait();
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (sweeper_.joinable()) sweeper_.join();
}

}  // namespace clinsim::server
