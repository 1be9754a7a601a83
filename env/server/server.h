// `clinsim serve`: the Environment gRPC service (callback API) over an EnvironmentHandler, with
// health checking (grpc.health.v1), server reflection, a request size limit, an idle-episode
// sweeper and graceful shutdown.
//
//   ServerOptions o; o.address = "127.0.0.1:0";
//   absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(world, o);
//   int port = (*s)->port();
//   ...
//   (*s)->Shutdown(absl::Seconds(5));   // NOT_SERVING, new work UNAVAILABLE, in-flight calls finish
#ifndef CLINSIM_ENV_SERVER_SERVER_H_
#define CLINSIM_ENV_SERVER_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <optional>

#include "env/server/auth.h"
#include "env/server/environment_handler.h"
#include "env/world.h"

namespace grpc {
class Server;
}

namespace clinsim::server {

struct ServerOptions {
  std::string address = "127.0.0.1:50051";  // HOST:PORT; port 0 picks a free one
  HandlerOptions handler;
  bool reflection = true;
  // TLS when both are set (PEM text, not paths).
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::optional<TokenAuth> auth;  // bearer tokens required when set
};

class EnvironmentService;

class Server {
 public:
  // FAILED_PRECONDITION when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(std::shared_ptr<const env::World> world,
                                                       ServerOptions options);
  ~Server();  // Shutdown(0) if still running

  int port() const { return port_; }
  EnvironmentHandler& handler() { return *handler_; }
  // Health goes NOT_SERVING, new resets and steps get UNAVAILABLE (for min(grace / 2, 1 s) before
  // gRPC stops taking calls, so that well-behaved clients stop on UNAVAILABLE rather than see
  // CANCELLED), calls in flight get up to `grace` in all to finish; then everything stops. Safe to
  // call twice.
  void Shutdown(absl::Duration grace);

 private:
  Server() = default;
  void SweepLoop();

  std::optional<TokenAuth> auth_;
  std::unique_ptr<EnvironmentHandler> handler_;
  std::unique_ptr<EnvironmentService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex shutdown_mu_;  // serializes Shutdown callers
  bool stopped_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;  // tells the sweeper to stop
  std::thread sweeper_;
};

}  // namespace clinsim::server

#endif  // CLINSIM_ENV_SERVER_SERVER_H_
