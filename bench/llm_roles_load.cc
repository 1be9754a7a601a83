// LLM roles under load, end to end: `bench` (RunBench with the episode driver) plays episodes
// with model roles against the fake OpenAI server answering after a fixed delay, and reports the
// model calls per second achieved against the ideal in_flight / delay (issue goal: >= 80% of
// 256 / 0.2 s = 1280 calls/s). No GPU, no model: this measures clinsim, the client and the driver.
//
//   build/bench/llm_roles_load [--in-flight 256] [--delay 0.2] [--seeds 4] [--doctor scripted|llm]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agents/doctors/doctor.h"
#include "agents/doctors/llm_doctor.h"
#include "apps/clinsim/bench_runner.h"
#include "cases/case_library.h"
#include "testing/fake_openai_server.h"

using clinsim::testing::FakeOpenAiServer;
using clinsim::testing::FakeReply;
using clinsim::testing::FakeRequest;

int main(int argc, char** argv) {
  int in_flight = 256, seeds = 4;
  double delay = 0.2;
  std::string doctor = "scripted";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--in-flight")) in_flight = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--delay")) delay = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seeds")) seeds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--doctor")) doctor = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  // The doctor (when it is the model) asks twice, examines, orders, then diagnoses; the patient
  // voices its notes back; the judge says 5.
  FakeOpenAiServer server([delay](const FakeRequest& r) {
    const std::string sys = r.system();
    if (absl::StrContains(sys, "You are a physician")) {
      int turns = 0;
      for (const auto& m : r.json["messages"]) turns += m["role"] == "user" ? 1 : 0;
      const char* actions[] = {"ASK: When did it start?", "ASK: Any other symptoms?",
                               "EXAMINE: general, cardiovascular", "ORDER: cbc, bmp",
                               "DIAGNOSIS: viral illness"};
      return FakeReply::Content(actions[std::min(turns, 5) - 1], delay);
    }
    if (absl::StrContains(sys, "You are a patient")) return FakeReply::Content("It began two days ago.", delay);
    if (absl::StrContains(sys, "You judge")) return FakeReply::Content(R"({"score": 5, "reasoning": "same"})", delay);
    return FakeReply::Content(R"({"tests": [], "refuse": "n/a"})", delay);
  });
  clinsim::agents::llm::ChatClientOptions o;
  o.base_url = server.base_url();
  o.model = "fake";
  o.max_concurrency = std::max(in_flight * 2, 1);
  auto llm = std::make_shared<clinsim::env::LlmServices>();
  llm->client = std::shared_ptr<clinsim::agents::llm::ChatClient>(clinsim::agents::llm::ChatClient::Create(o).value());
  if (doctor == "llm") {
    auto c = llm->client;
    clinsim::agents::RegisterDoctor("llm", [c] { return std::make_unique<clinsim::agents::LlmDoctor>(c, "fake"); });
  }
  auto lib = clinsim::cases::CaseLibrary::LoadBundled().value();
  auto world = clinsim::env::World::Create(lib);
  clinsim::apps::BenchConfig cfg;
  cfg.doctor = doctor;
  cfg.seeds = seeds;
  cfg.threads = 2;
  cfg.concurrency = in_flight;
  cfg.llm = llm;
  cfg.options.roles.patient = "llm";
  cfg.options.roles.judge = "llm";
  // The whole run includes the ramp-down, when fewer than in_flight episodes are left; the
  // median of the half-second rates is the steady state.
  std::atomic<bool> stop{false};
  std::vector<double> rates;
  std::thread sampler([&] {
    int64_t last = 0;
    while (!stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      int64_t now = llm->client->stats().requests;
      rates.push_back((now - last) / 0.5);
      last = now;
    }
  });
  auto t0 = std::chrono::steady_clock::now();
  auto report = clinsim::apps::RunBench(world, cfg);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stop = true;
  sampler.join();
  if (rates.size() > 2) rates.pop_back();  // the last interval is cut short
  std::sort(rates.begin(), rates.end());
  const double median = rates.empty() ? 0 : rates[rates.size() / 2];
  if (!report.ok()) {
    std::fprintf(stderr, "bench failed: %s\n", std::string(report.status().message()).c_str());
    return 1;
  }
  auto st = llm->client->stats();
  const double ideal = in_flight / delay;
  std::printf("doctor=%s episodes=%zu in_flight=%d delay=%.3fs wall=%.2fs model_calls=%lld "
              "calls/s=%.0f ideal=%.0f ratio=%.3f steady(median of 0.5 s windows)=%.0f ratio=%.3f "
              "failures=%lld\n",
              doctor.c_str(), report->episodes.size(), in_flight, delay, s,
              static_cast<long long>(st.requests), st.requests / s, ideal, st.requests / s / ideal,
              median, median / ideal, static_cast<long long>(st.failures));
  return 0;
}
