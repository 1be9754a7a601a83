// A doctor agent that lives elsewhere: each turn it sends the consultation so far to a
// clinsim.v1.Doctor service and plays the action that comes back. This is what
// `clinsim bench --doctor grpc://HOST:PORT` uses.
//
//   RegisterRemoteDoctors();   // makes "grpc://..." names work in agents::CreateDoctor
//   auto d = agents::CreateDoctor("grpc://127.0.0.1:50052").value();
//
// Unavailable or slow services are retried (3 tries, backoff 0.2 s, 0.8 s); after that the
// doctor's status() carries the error and bench abandons the episode (a run store keeps what
// was recorded, so the run resumes once the service is back).
#ifndef CLINSIM_ENV_SERVER_REMOTE_DOCTOR_H_
#define CLINSIM_ENV_SERVER_REMOTE_DOCTOR_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "agents/doctors/doctor.h"

namespace clinsim::server {

struct RemoteDoctorOptions {
  absl::Duration deadline = absl::Seconds(120);  // per Act call (LLM agents can be slow)
  int attempts = 3;
};

// Registers the "grpc" doctor scheme. Idempotent.
void RegisterRemoteDoctors(RemoteDoctorOptions options = {});

// "grpc://HOST:PORT" -> a doctor talking to that service (the channel is shared per target).
absl::StatusOr<std::unique_ptr<agents::Doctor>> CreateRemoteDoctor(const std::string& name,
                                                                   const RemoteDoctorOptions& options);

}  // namespace clinsim::server

#endif  // CLINSIM_ENV_SERVER_REMOTE_DOCTOR_H_
