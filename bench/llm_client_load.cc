// Load on the LLM chat client: N requests kept in flight through one ChatClient against the fake
// OpenAI server, which answers each after a fixed delay (a stand-in for model latency). With
// delay d the ideal is N/d calls/s; the ratio shows what the client (one curl_multi thread) and
// the loopback HTTP cost. Counted over `seconds` of steady state, after a short warm-up that
// opens the connections. No model, no GPU.
//
//   build/bench/llm_client_load                       # in flight 1, 64, 256; 5 s each; 0.2 s delay
//   build/bench/llm_client_load --in_flight=256 --seconds=10 --delay_s=0.2
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "agents/llm/chat_client.h"
#include "tests/testing/fake_openai_server.h"

namespace {

using clinsim::agents::llm::ChatClient;
using clinsim::agents::llm::ChatClientOptions;
using clinsim::agents::llm::ChatRequest;
using clinsim::agents::llm::ChatResponse;
using Clock = std::chrono::steady_clock;

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

struct Run {
  ChatClient* client;
  Clock::time_point start;
  Clock::time_point steady;    // after the warm-up (connections made): the window starts here
  Clock::time_point deadline;  // the window ends here; the requests then in flight drain
  ChatRequest request;
  std::vector<double> latencies;  // in the window; client thread only, read after the drain
  int64_t total = 0;  // every completion, warm-up and drain included (for CPU per call)
  int64_t errors = 0;
  double client_thread_cpu_s = 0;  // the client thread's CPU since it started (one client per run)
  std::string first_error;
  std::mutex mu;
  std::condition_variable drained;
  int outstanding = 0;

  // A closed loop: each reply sends the next request from the callback (the client allows it).
  void Fire() {
    client->Send(request, [this](absl::StatusOr<ChatResponse> r) {
      const Clock::time_point now = Clock::now();
      ++total;
      timespec ts{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);  // callbacks run on the client's thread
      client_thread_cpu_s = ts.tv_sec + ts.tv_nsec * 1e-9;
      if (r.ok()) {
        if (now >= steady && now < deadline) latencies.push_back(r->latency_s);
      } else if (errors++ == 0) {
        first_error = r.status().ToString();
      }
      if (now < deadline) {
        Fire();
        return;
      }
      std::lock_guard<std::mutex> lock(mu);
      if (--outstanding == 0) drained.notify_all();
    });
  }
};

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(q * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> in_flight = {1, 64, 256};
  double seconds = 5, delay_s = 0.2;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string& flag) -> const char* {
      return arg.rfind(flag + "=", 0) == 0 ? argv[i] + flag.size() + 1 : nullptr;
    };
    if (const char* v = value("--in_flight")) {
      in_flight.clear();
      for (absl::string_view part : absl::StrSplit(v, ',')) {
        int n;
        if (!absl::SimpleAtoi(part, &n) || n < 1 || n > 4096) {
          std::fprintf(stderr, "--in_flight: want numbers in 1..4096, got '%s'\n", v);
          return 2;
        }
        in_flight.push_back(n);
      }
    } else if (const char* v = value("--seconds")) {
      if (!absl::SimpleAtod(v, &seconds) || seconds <= 0) {
        std::fprintf(stderr, "--seconds: want a positive number, got '%s'\n", v);
        return 2;
      }
    } else if (const char* v = value("--delay_s")) {
      if (!absl::SimpleAtod(v, &delay_s) || delay_s <= 0) {
        std::fprintf(stderr, "--delay_s: want a positive number, got '%s'\n", v);
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: %s [--in_flight=1,64,256] [--seconds=5] [--delay_s=0.2]\n",
                   argv[0]);
      return 2;
    }
  }

  clinsim::testing::FakeOpenAiServer server([delay_s](const clinsim::testing::FakeRequest& r) {
    return clinsim::testing::FakeReply::Content("The pain started two days ago.", delay_s);
  });
  // A request of the size an LLM patient sends: a persona and case prompt plus the question.
  ChatRequest request;
  request.messages = {{"system", std::string(1500, 'x')},
                      {"user", "When did the pain start?"}};
  request.temperature = 0.7;
  request.max_tokens = 128;

  std::printf("%9s %8s %9s %9s %8s %9s %9s %6s %11s %11s %6s\n", "in_flight", "calls",
              "calls/s", "ideal", "ratio", "p50_s", "p99_s", "conns", "cpu_ms/call",
              "client_ms", "errors");
  for (int n : in_flight) {
    ChatClientOptions options;
    options.base_url = server.base_url();
    options.model = "fake-model";
    options.api_key_env = "";
    options.max_concurrency = std::max(n, 1);
    options.timeout_s = 30;
    auto client = ChatClient::Create(options);
    if (!client.ok()) {
      std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
      return 1;
    }
    const int64_t conns_before = server.connections();
    Run run;
    run.client = client->get();
    run.request = request;
    run.latencies.reserve(static_cast<size_t>(n / delay_s * seconds * 1.2) + 16);
    const double cpu0 = CpuSeconds();
    const Clock::time_point start = Clock::now();
    // Steady state only: the first second (or 20%) opens the connections and is not counted.
    const double warmup = std::min(1.0, seconds * 0.2);
    auto after = [&](double s) {
      return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    };
    run.start = start;
    run.steady = after(warmup);
    run.deadline = after(warmup + seconds);
    run.outstanding = n;
    for (int i = 0; i < n; ++i) run.Fire();
    {
      std::unique_lock<std::mutex> lock(run.mu);
      run.drained.wait(lock, [&] { return run.outstanding == 0; });
    }
    const double cpu = CpuSeconds() - cpu0;
    const double calls = static_cast<double>(run.latencies.size());
    const double rate = calls / seconds;
    const double ideal = n / delay_s;
    std::printf("%9d %8.0f %9.1f %9.1f %7.1f%% %9.4f %9.4f %6lld %11.3f %11.3f %6lld\n", n, calls,
                rate, ideal, 100 * rate / ideal, Percentile(run.latencies, 0.5),
                Percentile(run.latencies, 0.99),
                static_cast<long long>(server.connections() - conns_before),
                run.total > 0 ? 1000 * cpu / run.total : 0.0,
                run.total > 0 ? 1000 * run.client_thread_cpu_s / run.total : 0.0,
                static_cast<long long>(run.errors));
    if (run.errors > 0) std::printf("  first error: %s\n", run.first_error.c_str());
    std::fflush(stdout);
  }
  std::printf("(cpu_ms/call: the whole process, client and fake server; client_ms: the client's "
              "thread alone, per call)\n");
  return 0;
}
