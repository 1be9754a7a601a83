// Load generator for `clinsim serve`'s gRPC path, with an echo service as the baseline measured
// in the same run (same process, same kind of server, a canned reply of the same size).
//
//   build/bench/grpc_load                       # all measurements, a table
//   build/bench/grpc_load --json out.json       # the same, as JSON
//   build/bench/grpc_load --serve               # serve clinsim + echo and print both ports
//                                               # (bench/python_grpc_bench.py uses this)
// Measures: unary Step and echo latency p50/p99 (one client, calls in sequence); StepBatch
// throughput for 64/128/256 episodes per batch against echo; resident memory with 10,000 live
// episodes.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "cases/case_library.h"
#include "clients/cpp/env_client.h"
#include "clinsim_bench/echo.grpc.pb.h"
#include "env/server/server.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"

namespace v1 = clinsim::v1;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kQuestions[] = {"ASK: Where is the pain?", "ASK: When did it start?",
                                      "ASK: Any shortness of breath?", "ASK: Do you smoke?"};

class EchoService final : public clinsim_bench::Echo::CallbackService {
 public:
  EchoService(v1::StepResponse step, int batch_cap) : step_(std::move(step)) {
    for (int i = 0; i < batch_cap; ++i) {
      auto* item = batch_.add_items();
      *item->mutable_response() = step_;
      item->mutable_status();
    }
  }
  grpc::ServerUnaryReactor* Step(grpc::CallbackServerContext* ctx, const v1::StepRequest*,
                                 v1::StepResponse* resp) override {
    *resp = step_;
    auto* r = ctx->DefaultReactor();
    r->Finish(grpc::Status::OK);
    return r;
  }
  grpc::ServerUnaryReactor* StepBatch(grpc::CallbackServerContext* ctx, const v1::StepBatchRequest* req,
                                      v1::StepBatchResponse* resp) override {
    resp->mutable_items()->Reserve(req->items_size());
    for (int i = 0; i < req->items_size(); ++i) *resp->add_items() = batch_.items(i % batch_.items_size());
    auto* r = ctx->DefaultReactor();
    r->Finish(grpc::Status::OK);
    return r;
  }

 private:
  v1::StepResponse step_;
  v1::StepBatchResponse batch_;
};

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

long RssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

struct Servers {
  std::unique_ptr<clinsim::server::Server> env;
  std::unique_ptr<EchoService> echo_service;
  std::unique_ptr<grpc::Server> echo;
  int echo_port = 0;
};

Servers StartServers() {
  Servers s;
  auto lib = clinsim::cases::CaseLibrary::LoadBundled().value();
  clinsim::server::ServerOptions o;
  o.address = "127.0.0.1:0";
  s.env = clinsim::server::Server::Start(clinsim::env::World::Create(lib), o).value();
  // The echo's canned reply is a real ask step's reply.
  auto c = clinsim::client::EnvClient::Connect(absl::StrCat("127.0.0.1:", s.env->port()));
  auto r = c->Reset("cardiology_inferior_stemi", 1).value();
  v1::StepResponse sample = c->StepText(r.episode_id(), kQuestions[0]).value();
  (void)c->Close(r.episode_id());
  s.echo_service = std::make_unique<EchoService>(sample, 256);
  grpc::ServerBuilder b;
  b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &s.echo_port);
  b.RegisterService(s.echo_service.get());
  s.echo = b.BuildAndStart();
  return s;
}

v1::ResetBatchRequest Resets(int n, int seed0) {
  v1::ResetBatchRequest req;
  for (int i = 0; i < n; ++i) {
    auto* item = req.add_items();
    item->set_seed(seed0 + i);
    item->mutable_options()->set_max_turns(1000);
  }
  return req;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  bool serve = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--serve") serve = true;
    else if (a == "--json" && i + 1 < argc) json_path = argv[++i];
    else {
      std::cerr << "usage: grpc_load [--json PATH] [--serve]\n";
      return 2;
    }
  }
  Servers servers = StartServers();
  const std::string env_target = absl::StrCat("127.0.0.1:", servers.env->port());
  const std::string echo_target = absl::StrCat("127.0.0.1:", servers.echo_port);
  if (serve) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::cout << "clinsim " << env_target << " echo " << echo_target << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    servers.env->Shutdown(absl::Seconds(1));
    servers.echo->Shutdown();
    return 0;
  }
  nlohmann::json out;
  auto env_channel = grpc::CreateChannel(env_target, grpc::InsecureChannelCredentials());
  auto echo_channel = grpc::CreateChannel(echo_target, grpc::InsecureChannelCredentials());
  auto env_stub = v1::Environment::NewStub(env_channel);
  auto echo_stub = clinsim_bench::Echo::NewStub(echo_channel);

  // 1. Memory with 10,000 live episodes (each reset and stepped 5 times), measured first so that
  // the allocator holds nothing from the other phases; then they are closed.
  {
    long before = RssKb();
    std::vector<std::string> ids;
    for (int b = 0; b < 10000 / 250; ++b) {
      v1::ResetBatchResponse resets;
      grpc::ClientContext ctx;
      env_stub->ResetBatch(&ctx, Resets(250, b * 250), &resets);
      v1::StepBatchRequest steps;
      for (const auto& item : resets.items()) {
        ids.push_back(item.response().episode_id());
        steps.add_items()->set_episode_id(item.response().episode_id());
      }
      for (int t = 0; t < 5; ++t) {
        for (auto& item : *steps.mutable_items()) item.mutable_action()->set_text(kQuestions[t % 4]);
        v1::StepBatchResponse sr;
        grpc::ClientContext c2;
        env_stub->StepBatch(&c2, steps, &sr);
      }
    }
    long after = RssKb();
    out["memory"] = {{"live_episodes", servers.env->handler().store().size()},
                     {"rss_before_mb", before / 1024.0}, {"rss_after_mb", after / 1024.0},
                     {"per_episode_kb", static_cast<double>(after - before) / ids.size()}};
    for (const auto& id : ids) {
      grpc::ClientContext ctx;
      v1::CloseRequest c;
      c.set_episode_id(id);
      v1::CloseResponse cr;
      env_stub->Close(&ctx, c, &cr);
    }
  }


  // 2. Unary latency: alternate blocks of Step and echo so drift hits both alike.
  {
    v1::ResetResponse reset;
    {
      grpc::ClientContext ctx;
      v1::ResetRequest req;
      req.set_case_id("cardiology_inferior_stemi");
      req.set_seed(1);
      req.mutable_options()->set_max_turns(1000);
      env_stub->Reset(&ctx, req, &reset);
    }
    std::vector<double> step_us, echo_us;
    v1::StepRequest req;
    req.set_episode_id(reset.episode_id());
    int turns = 0;
    for (int block = 0; block < 20; ++block) {
      for (int i = 0; i < 1000; ++i) {
        req.mutable_action()->set_text(kQuestions[i % 4]);
        v1::StepResponse resp;
        grpc::ClientContext ctx;
        auto t0 = Clock::now();
        grpc::Status st = env_stub->Step(&ctx, req, &resp);
        step_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (!st.ok()) {
          std::cerr << "Step failed: " << st.error_message() << "\n";
          return 1;
        }
        if (++turns == 990) {  // stay below the turn limit
          grpc::ClientContext c2;
          v1::ResetRequest r2;
          r2.set_case_id("cardiology_inferior_stemi");
          r2.set_seed(block);
          r2.mutable_options()->set_max_turns(1000);
          env_stub->Reset(&c2, r2, &reset);
          req.set_episode_id(reset.episode_id());
          turns = 0;
        }
      }
      for (int i = 0; i < 1000; ++i) {
        req.mutable_action()->set_text(kQuestions[i % 4]);
        v1::StepResponse resp;
        grpc::ClientContext ctx;
        auto t0 = Clock::now();
        echo_stub->Step(&ctx, req, &resp);
        echo_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
    }
    double sp50 = Percentile(step_us, 0.5), sp99 = Percentile(step_us, 0.99);
    double ep50 = Percentile(echo_us, 0.5), ep99 = Percentile(echo_us, 0.99);
    out["unary"] = {{"calls", step_us.size()}, {"step_p50_us", sp50}, {"step_p99_us", sp99},
                    {"echo_p50_us", ep50}, {"echo_p99_us", ep99},
                    {"ratio_p50", sp50 / ep50}, {"ratio_p99", sp99 / ep99}};
  }

  // 3. StepBatch throughput (one client thread, calls in sequence) against echo.
  for (int n : {64, 128, 256}) {
    v1::ResetBatchResponse resets;
    {
      grpc::ClientContext ctx;
      env_stub->ResetBatch(&ctx, Resets(n, 1000 * n), &resets);
    }
    v1::StepBatchRequest req;
    for (const auto& item : resets.items()) req.add_items()->set_episode_id(item.response().episode_id());
    auto run = [&](auto&& call) {
      int batches = 0;
      auto t0 = Clock::now();
      while (std::chrono::duration<double>(Clock::now() - t0).count() < 2.0) {
        for (int i = 0; i < n; ++i) req.mutable_items(i)->mutable_action()->set_text(kQuestions[(batches + i) % 4]);
        v1::StepBatchResponse resp;
        grpc::ClientContext ctx;
        call(&ctx, &resp);
        ++batches;
      }
      return batches * n / std::chrono::duration<double>(Clock::now() - t0).count();
    };
    double env_rate = run([&](grpc::ClientContext* ctx, v1::StepBatchResponse* r) { env_stub->StepBatch(ctx, req, r); });
    double echo_rate = run([&](grpc::ClientContext* ctx, v1::StepBatchResponse* r) { echo_stub->StepBatch(ctx, req, r); });
    out["step_batch"][std::to_string(n)] = {{"env_steps_per_s", env_rate}, {"echo_items_per_s", echo_rate},
                                            {"ratio", echo_rate / env_rate}};
    // Free them for the memory measurement.
    for (const auto& item : resets.items()) {
      grpc::ClientContext ctx;
      v1::CloseRequest c;
      c.set_episode_id(item.response().episode_id());
      v1::CloseResponse cr;
      env_stub->Close(&ctx, c, &cr);
    }
  }

  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  const auto& u = out["unary"];
  std::cout << absl::StrFormat("unary (%d calls each, one client):\n", u["calls"].get<int>());
  std::cout << absl::StrFormat("  Step  p50 %.1f us  p99 %.1f us\n", u["step_p50_us"].get<double>(), u["step_p99_us"].get<double>());
  std::cout << absl::StrFormat("  echo  p50 %.1f us  p99 %.1f us\n", u["echo_p50_us"].get<double>(), u["echo_p99_us"].get<double>());
  std::cout << absl::StrFormat("  Step / echo: p50 %.2fx  p99 %.2fx\n", u["ratio_p50"].get<double>(), u["ratio_p99"].get<double>());
  std::cout << "StepBatch from C++ (one client, batches in sequence):\n";
  for (int size : {64, 128, 256}) {
    const std::string n = std::to_string(size);
    const auto& v = out["step_batch"][n];
    std::cout << absl::StrFormat("  %3s episodes/batch: %8.0f steps/s  (echo %8.0f items/s, echo/env %.2fx)\n", n,
                                 v["env_steps_per_s"].get<double>(), v["echo_items_per_s"].get<double>(),
                                 v["ratio"].get<double>());
  }
  const auto& m = out["memory"];
  std::cout << absl::StrFormat("memory: %d live episodes, RSS %.0f MB -> %.0f MB (%.1f KB per episode)\n",
                               m["live_episodes"].get<int>(), m["rss_before_mb"].get<double>(),
                               m["rss_after_mb"].get<double>(), m["per_episode_kb"].get<double>());
  servers.env->Shutdown(absl::Seconds(1));
  servers.echo->Shutdown();
  return 0;
}
