// `clinsim serve`: the Environment gRPC service until SIGTERM or SIGINT.
#include <pthread.h>
#include <signal.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "apps/clinsim/commands.h"
#include "apps/clinsim/llm_flags.h"
#include "cases/case_library.h"
#include "env/server/server.h"

namespace clinsim::apps {

int ServeCommand(int argc, char** argv, int first) {
  FlagSet f("serve",
            "Serves the environment over gRPC (package clinsim.v1, see docs/api.md) with health\n"
            "checking and server reflection, until SIGTERM or SIGINT; then health goes NOT_SERVING\n"
            "and calls in flight get --grace-seconds to finish.");
  f.Add("address", "127.0.0.1:50051", "HOST:PORT to listen on; port 0 picks a free port (printed)");
  f.Add("cases", "bundled", "case directory, or 'bundled' for the library built into clinsim");
  f.AddBool("strict", "fail if any case file is invalid (default: skip it with a warning)");
  f.Add("max-episodes", "100000", "live episodes before Reset answers RESOURCE_EXHAUSTED");
  f.Add("max-episodes-per-client", "0",
        "live episodes one client (one bearer token, or one peer address without tokens) may hold; 0: no limit");
  f.Add("episode-ttl", "1800", "seconds an idle episode lives before it is freed");
  f.Add("max-batch", "1024", "items in one ResetBatch or StepBatch");
  f.Add("max-message-bytes", "4194304", "largest request accepted");
  f.Add("replica-id", "", "prefix of episode ids, so a load balancer can route by id");
  f.Add("grace-seconds", "10", "how long calls in flight may take to finish at shutdown");
  f.AddBool("no-reflection", "turn server reflection off");
  f.Add("tls-cert", "", "PEM certificate chain: serve TLS (with --tls-key)");
  f.Add("tls-key", "", "PEM private key of --tls-cert");
  f.Add("token-file", "",
        "file with bearer tokens, one per line: every Environment call must send the metadata "
        "'authorization: Bearer TOKEN' (health checks stay open)");
  // Model roles: --patient etc. set the default of episodes whose options name no role; with
  // --llm-base-url any episode may ask for them (EpisodeOptions.patient = "llm", ...).
  AddLlmFlags(&f, "none");
  if (auto s = f.Parse(argc, argv, first); !s.ok()) return Fail(s);
  if (f.help_requested()) {
    std::cout << f.Help();
    return 0;
  }
  if (!f.positional().empty()) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", f.positional()[0], "'; serve takes only flags")));
  }
  auto llm = ReadLlmFlags(f, /*doctor_is_llm=*/false, /*connect_when_given=*/true);
  if (!llm.ok()) return Fail(llm.status());
  server::ServerOptions o;
  o.address = f.Get("address");
  o.handler.llm = llm->services;
  o.handler.default_roles = llm->roles;
  long long max_episodes = 0, ttl = 0, max_batch = 0, max_bytes = 0, grace = 0;
  if (auto s = f.GetInt("max-episodes", 1, 100000000, &max_episodes); !s.ok()) return Fail(s);
  if (auto s = f.GetInt("episode-ttl", 1, 7 * 24 * 3600, &ttl); !s.ok()) return Fail(s);
  long long per_client = 0;
  if (auto s = f.GetInt("max-episodes-per-client", 0, 100000000, &per_client); !s.ok()) return Fail(s);
  o.handler.store.max_episodes_per_client = static_cast<int>(per_client);
  if (auto s = f.GetInt("max-batch", 1, 100000, &max_batch); !s.ok()) return Fail(s);
  if (auto s = f.GetInt("max-message-bytes", 1024, 1 << 30, &max_bytes); !s.ok()) return Fail(s);
  if (auto s = f.GetInt("grace-seconds", 0, 3600, &grace); !s.ok()) return Fail(s);
  o.handler.store.max_episodes = static_cast<int>(max_episodes);
  o.handler.store.idle_ttl = absl::Seconds(ttl);
  o.handler.store.id_prefix = f.Get("replica-id");
  o.handler.max_batch_items = static_cast<int>(max_batch);
  o.handler.max_message_bytes = static_cast<int>(max_bytes);
  o.reflection = !f.GetBool("no-reflection");
  if (!f.Get("tls-cert").empty() || !f.Get("tls-key").empty()) {
    if (f.Get("tls-cert").empty() || f.Get("tls-key").empty()) {
      return Fail(absl::InvalidArgumentError("--tls-cert and --tls-key go together"));
    }
    auto cert = server::ReadSecretFile(f.Get("tls-cert"), "tls-cert");
    if (!cert.ok()) return Fail(cert.status());
    auto key = server::ReadSecretFile(f.Get("tls-key"), "tls-key");
    if (!key.ok()) return Fail(key.status());
    o.tls_cert_pem = *std::move(cert);
    o.tls_key_pem = *std::move(key);
  }
  if (!f.Get("token-file").empty()) {
    auto auth = server::TokenAuth::FromFile(f.Get("token-file"));
    if (!auth.ok()) return Fail(auth.status());
    o.auth = *std::move(auth);
  }
  const bool tls = !o.tls_cert_pem.empty();
  const size_t tokens = o.auth ? o.auth->size() : 0;

  auto lib = cases::CaseLibrary::Load(f.Get("cases"), f.GetBool("strict"));
  if (!lib.ok()) return Fail(lib.status(), 1);
  for (const auto& e : (*lib)->errors()) std::cerr << "clinsim: skipping invalid case: " << e << "\n";
  const size_t case_count = (*lib)->cases().size();
  auto world = env::World::Create(*lib);

  // Block the shutdown signals before gRPC starts its threads, so that only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = server::Server::Start(world, o);
  if (!server.ok()) return Fail(server.status(), 1);
  std::string host = o.address.substr(0, o.address.rfind(':'));
  std::cout << "clinsim serve: listening on " << host << ":" << (*server)->port() << " with "
            << case_count << " cases from " << f.Get("cases") << " (max " << max_episodes
            << " episodes, idle TTL " << ttl << " s, reflection " << (o.reflection ? "on" : "off")
            << ", TLS " << (tls ? "on" : "off") << ", tokens "
            << (tokens ? absl::StrCat(tokens, " (bearer auth required)") : std::string("off"))
            << ", LLM " << (llm->services ? f.Get("llm-base-url") : std::string("off"))
            << ", health: grpc.health.v1)" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  std::cout << "clinsim serve: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", draining ("
            << (*server)->handler().store().size() << " live episodes)" << std::endl;
  (*server)->Shutdown(absl::Seconds(grace));
  if (llm->services != nullptr) std::cout << FormatLlmStats(*llm->services);
  std::cout << "clinsim serve: stopped" << std::endl;
  return 0;
}

}  // namespace clinsim::apps
