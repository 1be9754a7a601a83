// Soak: one in-process server (loopback, port 0, a short idle TTL, a global cap, a per-client cap,
// bearer tokens so that each kind of client is a separate "client") driven at once by
//   - well-behaved clients: unary Reset/Step, ResetBatch/StepBatch, pipelined Session streams,
//     hundreds of episodes live at once, every one played to its end and freed;
//   - abandoning clients: Reset (and perhaps one step), then walk away: the TTL must free them;
//   - cancelling clients: Session streams cancelled mid-stream (after reading, and after
//     pipelining far past the server's reply queue without reading), channels dropped, unary
//     calls whose deadline passes before the server answers;
//   - hostile clients: random bytes and half an HTTP/2 preface on raw TCP, malformed and
//     truncated protobuf through a generic stub, unknown methods, oversized messages, huge
//     texts, unknown and absurd episode ids, steps after the end, batches over the limit.
// Two equal waves. Asserted: well-behaved clients see no error at all, the others see only the
// documented codes, the server stays SERVING and plays a final episode, every live episode is
// gone once the TTL has passed, and memory after the second wave is not much above after the
// first (a leak per episode or per call would show as a second rise of the same size).
// Nothing is asserted on timings; waits are bounded polls. CLINSIM_SOAK_SCALE=N multiplies the
// well-behaved work (1 by default: about a minute on 2 cores).
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "agents/llm/chat_client.h"
#include "clients/cpp/env_client.h"
#include "env/llm_step.h"
#include "env/server/server.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "health.grpc.pb.h"
#include "testing/fake_openai_server.h"
#include "testing/fixtures.h"

namespace clinsim::server {
namespace {

using client::ClientOptions;
using client::EnvClient;

constexpr absl::Duration kTtl = absl::Seconds(3);
constexpr int kMaxEpisodes = 3000;
constexpr int kPerClientCap = 150;
constexpr int kMaxBatch = 256;
constexpr int kMaxMessageBytes = 1 << 20;
constexpr absl::Duration kDeadline = absl::Seconds(60);  // generous: 2 shared cores

// A scripted consultation: the case is picked from the seed; any case accepts these actions, and
// the diagnosis ends the episode (right or wrong).
const char* const kScript[] = {
    "ASK: Where is the pain, and does it spread anywhere?",
    "ASK: Any fever, cough or weight loss?",
    "EXAMINE: cardiovascular",
    "ORDER: ecg, troponin, cbc",
    "DIAGNOSIS: inferior STEMI | DIFFERENTIAL: aortic dissection",
};
constexpr int kScriptSteps = sizeof(kScript) / sizeof(kScript[0]);

std::string Token(absl::string_view who, int i) { return absl::StrCat("soak-token-", who, "-", i, "-0123456789"); }

long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// What one kind of client saw: calls made, and every status code by name.
struct Tally {
  std::atomic<int64_t> episodes{0}, steps{0}, calls{0};
  absl::Mutex mu;
  std::map<std::string, int64_t> codes ABSL_GUARDED_BY(mu);
  std::vector<std::string> samples ABSL_GUARDED_BY(mu);  // the first few messages per code

  void Record(absl::StatusCode code, absl::string_view message, absl::string_view what) {
    calls.fetch_add(1, std::memory_order_relaxed);
    if (code == absl::StatusCode::kOk) return;
    absl::MutexLock l(&mu);
    int64_t& n = codes[absl::StatusCodeToString(code)];
    if (n++ < 3) samples.push_back(absl::StrCat(what, ": ", absl::StatusCodeToString(code), ": ", message));
  }
  void Record(const absl::Status& s, absl::string_view what) { Record(s.code(), s.message(), what); }
  void Record(const grpc::Status& s, absl::string_view what) {
    Record(static_cast<absl::StatusCode>(s.error_code()), s.error_message(), what);
  }
  std::map<std::string, int64_t> Codes() {
    absl::MutexLock l(&mu);
    return codes;
  }
  std::string Describe() {
    absl::MutexLock l(&mu);
    std::vector<std::string> parts;
    for (const auto& [c, n] : codes) parts.push_back(absl::StrCat(c, "=", n));
    return absl::StrCat(calls.load(), " calls, errors {", absl::StrJoin(parts, ", "), "}\n    ",
                        absl::StrJoin(samples, "\n    "));
  }
};

struct Figures {
  int episodes_per_unary_thread = 32;
  int unary_threads = 8;
  int batch_size = 64;
  int batch_threads = 2;
  int session_threads = 4;
  int session_episodes = 24;  // per stream, one after another, pipelined
  int rounds = 10;
  int abandon_resets = 400;
  int cancel_rounds = 60;
  int garbage_rounds = 30;
};

class SoakTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> tokens;
    for (absl::string_view who : {"unary", "batch", "session", "abandon", "cancel", "garbage", "probe"}) {
      for (int i = 0; i < 16; ++i) tokens.push_back(Token(who, i));
    }
    ServerOptions o;
    o.address = "127.0.0.1:0";
    o.handler.store.max_episodes = kMaxEpisodes;
    o.handler.store.idle_ttl = kTtl;
    o.handler.store.max_episodes_per_client = kPerClientCap;
    o.handler.max_batch_items = kMaxBatch;
    o.handler.max_message_bytes = kMaxMessageBytes;
    auto auth = TokenAuth::FromTokens(tokens, "soak");
    ASSERT_TRUE(auth.ok()) << auth.status();
    o.auth = *std::move(auth);
    auto s = Server::Start(testing::BundledWorld(), o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    target_ = absl::StrCat("127.0.0.1:", server_->port());
    if (const char* scale = std::getenv("CLINSIM_SOAK_SCALE")) scale_ = std::max(1, std::atoi(scale));
  }

  std::unique_ptr<EnvClient> Client(absl::string_view who, int i) {
    ClientOptions o;
    o.deadline = kDeadline;
    o.bearer_token = Token(who, i);
    return EnvClient::Connect(target_, o);
  }
  void Authorize(grpc::ClientContext* ctx, absl::string_view who, int i) {
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", Token(who, i)));
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + kDeadline));
  }

  // Unary: `n` episodes live at once, stepped round-robin; half end with include_score and
  // close_on_end, half with GetScore and Close.
  void UnaryClient(int thread, int rounds, int n) {
    auto env = Client("unary", thread);
    for (int round = 0; round < rounds; ++round) {
      std::vector<std::string> ids;
      for (int k = 0; k < n; ++k) {
        auto r = env->Reset("", static_cast<uint64_t>(thread) * 1000003 + round * 1009 + k);
        good_.Record(r.status(), "unary Reset");
        if (r.ok()) ids.push_back(r->episode_id());
      }
      good_.episodes += static_cast<int64_t>(ids.size());
      std::vector<bool> ended(ids.size(), false);
      for (int step = 0; step < kScriptSteps; ++step) {
        for (size_t k = 0; k < ids.size(); ++k) {
          if (ended[k]) continue;
          v1::StepRequest req;
          req.set_episode_id(ids[k]);
          req.mutable_action()->set_text(kScript[step]);
          const bool auto_close = k % 2 == 0;
          req.set_include_score(auto_close);
          req.set_close_on_end(auto_close);
          auto r = env->Step(req);
          good_.Record(r.status(), "unary Step");
          good_.steps++;
          if (!r.ok()) continue;
          ended[k] = r->terminated() || r->truncated();
          if (ended[k] && auto_close && !r->has_score()) {
            good_.Record(absl::InternalError("the last step carried no score"), "unary Step");
          }
          if (ended[k] && !auto_close) {
            good_.Record(env->GetScore(ids[k]).status(), "unary GetScore");
            good_.Record(env->Close(ids[k]), "unary Close");
          }
        }
      }
      for (size_t k = 0; k < ids.size(); ++k) {
        if (!ended[k]) good_.Record(absl::InternalError("the script did not end the episode"), "unary");
      }
    }
  }

  // ResetBatch then StepBatch of the whole batch each turn; the last turn closes on end.
  void BatchClient(int thread, int rounds, int n) {
    auto env = Client("batch", thread);
    for (int round = 0; round < rounds; ++round) {
      v1::ResetBatchRequest rb;
      for (int k = 0; k < n; ++k) rb.add_items()->set_seed(7000000 + thread * 100003 + round * 1009 + k);
      auto reset = env->ResetBatch(rb);
      good_.Record(reset.status(), "ResetBatch");
      if (!reset.ok()) continue;
      std::vector<std::string> ids;
      for (const auto& item : reset->items()) {
        good_.Record(static_cast<absl::StatusCode>(item.status().code()), item.status().message(), "ResetBatch item");
        if (item.status().code() == 0) ids.push_back(item.response().episode_id());
      }
      good_.episodes += static_cast<int64_t>(ids.size());
      for (int step = 0; step < kScriptSteps; ++step) {
        v1::StepBatchRequest sb;
        for (const auto& id : ids) {
          v1::StepRequest* item = sb.add_items();
          item->set_episode_id(id);
          item->mutable_action()->set_text(kScript[step]);
          item->set_include_score(true);
          item->set_close_on_end(true);
        }
        auto r = env->StepBatch(sb);
        good_.Record(r.status(), "StepBatch");
        if (!r.ok()) break;
        good_.steps += r->items_size();
        for (const auto& item : r->items()) {
          good_.Record(static_cast<absl::StatusCode>(item.status().code()), item.status().message(), "StepBatch item");
          const bool ended = item.response().terminated() || item.response().truncated();
          if ((step == kScriptSteps - 1) != ended) {
            good_.Record(absl::InternalError("the script ended early or late"), "StepBatch item");
          }
        }
      }
    }
  }

  // One Session stream per round: each episode is reset, stepped, scored and closed by eight
  // pipelined requests (empty ids: the stream's last episode), then the eight replies are read.
  // Every other stream leaves its last episode open: the stream's end must free it.
  void SessionClient(int thread, int rounds, int n) {
    auto stub = v1::Environment::NewStub(grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
    for (int round = 0; round < rounds; ++round) {
      grpc::ClientContext ctx;
      Authorize(&ctx, "session", thread);
      auto stream = stub->Session(&ctx);
      bool broken = false;
      for (int k = 0; k < n && !broken; ++k) {
        const bool leave_open = k == n - 1 && round % 2 == 1;
        std::vector<v1::SessionRequest> reqs;
        reqs.emplace_back().mutable_reset()->set_seed(9000000 + thread * 100003 + round * 1009 + k);
        for (const char* text : kScript) reqs.emplace_back().mutable_step()->mutable_action()->set_text(text);
        reqs.emplace_back().mutable_get_score();
        if (!leave_open) reqs.emplace_back().mutable_close();
        for (const auto& r : reqs) {
          if (!stream->Write(r)) {
            broken = true;
            break;
          }
        }
        for (size_t i = 0; i < reqs.size() && !broken; ++i) {
          v1::SessionResponse resp;
          if (!stream->Read(&resp)) {
            broken = true;
            break;
          }
          good_.Record(static_cast<absl::StatusCode>(resp.status().code()), resp.status().message(), "Session reply");
          if (resp.has_step()) good_.steps++;
          if (i == static_cast<size_t>(kScriptSteps) && !(resp.step().terminated() || resp.step().truncated())) {
            good_.Record(absl::InternalError("the script did not end the episode"), "Session");
          }
        }
        good_.episodes++;
      }
      stream->WritesDone();
      grpc::Status s = stream->Finish();
      good_.Record(s, "Session stream");
      if (broken && s.ok()) good_.Record(absl::InternalError("the stream broke with an OK status"), "Session");
    }
  }

  // Reset, perhaps one step, and walk away. Only OK and (the per-client cap) RESOURCE_EXHAUSTED
  // are expected.
  void AbandonClient(int n) {
    auto env = Client("abandon", 0);
    for (int k = 0; k < n; ++k) {
      auto r = env->Reset("", 5000000 + k);
      abandon_.Record(r.status(), "abandon Reset");
      if (r.ok() && k % 3 == 0) abandon_.Record(env->StepText(r->episode_id(), kScript[0]).status(), "abandon Step");
    }
  }

  // Streams and calls that end badly: each round on a fresh channel, dropped at the end.
  void CancelClient(int rounds) {
    for (int round = 0; round < rounds; ++round) {
      auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
      auto stub = v1::Environment::NewStub(channel);
      grpc::ClientContext ctx;
      Authorize(&ctx, "cancel", round % 4);
      switch (round % 4) {
        case 0: {  // read one reply of a pipelined episode, then cancel
          auto stream = stub->Session(&ctx);
          v1::SessionRequest r;
          r.mutable_reset()->set_seed(round);
          stream->Write(r);
          for (int i = 0; i < 3; ++i) {
            v1::SessionRequest s;
            s.mutable_step()->mutable_action()->set_text(kScript[i]);
            stream->Write(s);
          }
          v1::SessionResponse resp;
          stream->Read(&resp);
          ctx.TryCancel();
          while (stream->Read(&resp)) {
          }
          cancel_.Record(stream->Finish(), "cancelled Session");
          break;
        }
        case 1: {  // pipeline far past the server's reply queue without reading, then cancel
          auto stream = stub->Session(&ctx);
          v1::SessionRequest r;
          r.mutable_reset()->set_seed(round);
          stream->Write(r);
          v1::SessionRequest s;
          s.mutable_step()->mutable_action()->set_text(kScript[0]);
          for (int i = 0; i < 300; ++i) {
            if (!stream->Write(s)) break;
          }
          ctx.TryCancel();
          v1::SessionResponse resp;
          while (stream->Read(&resp)) {
          }
          cancel_.Record(stream->Finish(), "cancelled Session");
          break;
        }
        case 2: {  // a unary Reset whose deadline passes at once (the episode may still be made)
          ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Microseconds(50)));
          v1::ResetRequest req;
          req.set_seed(round);
          v1::ResetResponse resp;
          cancel_.Record(stub->Reset(&ctx, req, &resp), "expired Reset");
          break;
        }
        case 3: {  // resets, half-close, and the channel goes away without reading a reply
          auto stream = stub->Session(&ctx);
          for (int i = 0; i < 5; ++i) {
            v1::SessionRequest r;
            r.mutable_reset()->set_seed(round * 10 + i);
            stream->Write(r);
          }
          stream->WritesDone();
          ctx.TryCancel();
          cancel_.Record(stream->Finish(), "dropped Session");
          break;
        }
      }
    }
  }

  // Raw bytes on the port: random junk, and a valid HTTP/2 preface followed by junk.
  void RawTcp(std::mt19937_64& gen) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return;
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      std::string junk;
      if (gen() % 2 == 0) junk = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
      const size_t n = 1 + gen() % 8192;
      for (size_t i = 0; i < n; ++i) junk.push_back(static_cast<char>(gen()));
      (void)!send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
      char buf[512];
      (void)!recv(fd, buf, sizeof buf, 0);  // whatever the server answers (a GOAWAY, or nothing)
      raw_connections_++;
    }
    close(fd);
  }

  // One generic call with raw request bytes; the status it ended with.
  grpc::Status GenericCall(grpc::GenericStub& stub, const std::string& method, const std::string& bytes) {
    grpc::ClientContext ctx;
    Authorize(&ctx, "garbage", 0);
    grpc::Slice slice(bytes.data(), bytes.size());
    grpc::ByteBuffer request(&slice, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status s) { done.set_value(std::move(s)); });
    auto f = done.get_future();
    if (f.wait_for(absl::ToChronoSeconds(kDeadline + absl::Seconds(30))) != std::future_status::ready) {
      // The deadline should have ended the call: a hang is a bug. Cancel, and wait for gRPC to
      // call back (it must) so that nothing outlives this frame.
      ctx.TryCancel();
      f.wait();
      return grpc::Status(grpc::StatusCode::INTERNAL, "the call outlived its deadline");
    }
    return f.get();
  }

  // Each probe checks for its documented code; a wrong code is counted as a mismatch.
  void GarbageClient(int rounds) {
    std::mt19937_64 gen(42);
    auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
    grpc::GenericStub generic(channel);
    auto env = Client("garbage", 0);
    auto expect = [&](absl::StatusCode want, const absl::Status& got, absl::string_view what) {
      garbage_.Record(got, what);
      if (got.code() != want) {
        absl::MutexLock l(&mismatch_mu_);
        mismatches_.push_back(absl::StrCat(what, ": wanted ", absl::StatusCodeToString(want), ", got ", got.ToString()));
      }
    };
    auto expect_refused = [&](const grpc::Status& got, absl::string_view what) {
      // Bytes that do not parse are refused by gRPC (its code, not ours); bytes that happen to
      // parse reach the handler, which refuses what they say. Either way: an answer, not OK,
      // and not a transport failure.
      garbage_.Record(got, what);
      if (got.ok() || got.error_code() == grpc::StatusCode::UNAVAILABLE ||
          got.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED || got.error_code() == grpc::StatusCode::UNKNOWN) {
        absl::MutexLock l(&mismatch_mu_);
        mismatches_.push_back(absl::StrCat(what, ": ", got.error_code(), " ", got.error_message()));
      }
    };
    for (int round = 0; round < rounds; ++round) {
      RawTcp(gen);
      // Random bytes as a Step request; a valid request cut short; invalid UTF-8 in a string.
      std::string junk;
      for (size_t i = 0, n = 1 + gen() % 512; i < n; ++i) junk.push_back(static_cast<char>(gen()));
      expect_refused(GenericCall(generic, "/clinsim.v1.Environment/Step", junk), "random bytes Step");
      v1::StepRequest valid;
      valid.set_episode_id("ep-00000000000000000000000000000000");
      valid.mutable_action()->set_text(kScript[0]);
      std::string cut = valid.SerializeAsString();
      cut.resize(cut.size() / 2);
      expect_refused(GenericCall(generic, "/clinsim.v1.Environment/Step", cut), "truncated Step");
      expect_refused(GenericCall(generic, "/clinsim.v1.Environment/Step", std::string("\x0a\x03\xff\xfe\xfd", 5)),
                     "invalid UTF-8 Step");
      {
        grpc::Status s = GenericCall(generic, "/clinsim.v1.Environment/NoSuchMethod", "");
        garbage_.Record(s, "unknown method");
        if (s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
          absl::MutexLock l(&mismatch_mu_);
          mismatches_.push_back(absl::StrCat("unknown method: ", s.error_code(), " ", s.error_message()));
        }
      }
      // A request over --max-message-bytes; a text far over the 4,000-character field limit.
      expect(absl::StatusCode::kResourceExhausted,
             env->StepText("ep-x", std::string(kMaxMessageBytes + 1000, 'a')).status(), "oversized message");
      expect(absl::StatusCode::kNotFound, env->StepText(valid.episode_id(), kScript[0]).status(), "unknown episode");
      expect(absl::StatusCode::kInvalidArgument, env->StepText(std::string(5000, 'e'), kScript[0]).status(),
             "absurd episode id");
      expect(absl::StatusCode::kNotFound, env->Close(valid.episode_id()), "close unknown episode");
      // An episode that ends at once, then a step after its end.
      auto r = env->Reset("", 100 + round);
      expect(absl::StatusCode::kOk, r.status(), "garbage Reset");
      if (r.ok()) {
        // Malformed actions change nothing: the episode is still there to diagnose.
        expect(absl::StatusCode::kInvalidArgument,
               env->StepText(r->episode_id(), std::string(kMaxMessageBytes / 2, 'a')).status(), "huge text");
        expect(absl::StatusCode::kInvalidArgument, env->StepText(r->episode_id(), "").status(), "empty action");
        expect(absl::StatusCode::kInvalidArgument, env->StepText(r->episode_id(), "ASK: any fever?\nORDER: cbc").status(),
               "unparsable action");
        expect(absl::StatusCode::kOk, env->StepText(r->episode_id(), kScript[kScriptSteps - 1]).status(), "diagnose");
        expect(absl::StatusCode::kFailedPrecondition, env->StepText(r->episode_id(), kScript[0]).status(),
               "step after end");
        expect(absl::StatusCode::kOk, env->Close(r->episode_id()), "close ended");
      }
      v1::ResetBatchRequest big;
      for (int i = 0; i <= kMaxBatch; ++i) big.add_items()->set_seed(i);
      expect(absl::StatusCode::kInvalidArgument, env->ResetBatch(big).status(), "batch over the limit");
      // Without a token: refused before anything else.
      expect(absl::StatusCode::kUnauthenticated, EnvClient::Connect(target_, kDeadline)->Reset("", 1).status(),
             "no token");
      // An empty Session request, and a session step with no episode.
      grpc::ClientContext ctx;
      Authorize(&ctx, "garbage", 1);
      auto stub = v1::Environment::NewStub(channel);
      auto stream = stub->Session(&ctx);
      stream->Write(v1::SessionRequest());
      v1::SessionRequest step;
      step.mutable_step()->mutable_action()->set_text(kScript[0]);
      stream->Write(step);
      stream->WritesDone();
      v1::SessionResponse resp;
      for (absl::StatusCode want : {absl::StatusCode::kInvalidArgument, absl::StatusCode::kInvalidArgument}) {
        if (!stream->Read(&resp)) {
          expect(want, absl::InternalError("no reply"), "session garbage");
          break;
        }
        expect(want, absl::Status(static_cast<absl::StatusCode>(resp.status().code()), resp.status().message()),
               "session garbage");
      }
      grpc::Status fs = stream->Finish();
      expect(absl::StatusCode::kOk, absl::Status(static_cast<absl::StatusCode>(fs.error_code()), fs.error_message()),
             "session garbage stream");
    }
  }

  // One wave: every kind of client at once; returns when all are done.
  void Wave(const Figures& f) {
    std::vector<std::thread> threads;
    for (int t = 0; t < f.unary_threads; ++t) {
      threads.emplace_back([&, t] { UnaryClient(t, f.rounds * scale_, f.episodes_per_unary_thread); });
    }
    for (int t = 0; t < f.batch_threads; ++t) threads.emplace_back([&, t] { BatchClient(t, f.rounds * scale_, f.batch_size); });
    for (int t = 0; t < f.session_threads; ++t) {
      threads.emplace_back([&, t] { SessionClient(t, f.rounds * scale_, f.session_episodes); });
    }
    threads.emplace_back([&] { AbandonClient(f.abandon_resets); });
    threads.emplace_back([&] { CancelClient(f.cancel_rounds); });
    threads.emplace_back([&] { GarbageClient(f.garbage_rounds); });
    // The peak of live episodes while the wave runs (sampled).
    std::atomic<bool> done{false};
    std::thread sampler([&] {
      while (!done.load()) {
        peak_live_ = std::max(peak_live_.load(), server_->handler().store().size());
        absl::SleepFor(absl::Milliseconds(20));
      }
    });
    for (auto& t : threads) t.join();
    done = true;
    sampler.join();
  }

  // Bounded poll until the store is empty: abandoned episodes go when the TTL passes.
  int WaitForEmptyStore() {
    for (int i = 0; i < 400 && server_->handler().store().size() != 0; ++i) absl::SleepFor(absl::Milliseconds(50));
    return server_->handler().store().size();
  }

  // RSS once the allocator has returned what it can: what is still held, not what glibc caches.
  long SettledRssKb() {
    malloc_trim(0);
    return RssKb();
  }

  std::unique_ptr<Server> server_;
  std::string target_;
  int scale_ = 1;
  Tally good_, abandon_, cancel_, garbage_;
  absl::Mutex mismatch_mu_;
  std::vector<std::string> mismatches_ ABSL_GUARDED_BY(mismatch_mu_);
  std::atomic<int> raw_connections_{0};
  std::atomic<int> peak_live_{0};
};

TEST_F(SoakTest, ServerSurvivesMixedLoadAndFreesEverything) {
  const Figures f;
  // Warm-up: one of each well-behaved kind, so that gRPC's pools and the world's caches are
  // counted in the baseline rather than as growth.
  UnaryClient(15, 1, 4);
  BatchClient(15, 1, 4);
  SessionClient(15, 1, 2);
  ASSERT_EQ(WaitForEmptyStore(), 0);
  const long rss_start = SettledRssKb();
  const int64_t warmup_episodes = good_.episodes.load(), warmup_steps = good_.steps.load();
  // Bytes that do not parse make protobuf log an error per request: count them, quietly.
  static std::atomic<int> protobuf_errors{0};
  google::protobuf::LogHandler* old_handler = google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) { protobuf_errors++; });
  const absl::Time t0 = absl::Now();

  Wave(f);
  const absl::Duration wave1_time = absl::Now() - t0;
  const int live_after_wave1 = server_->handler().store().size();
  const int left_after_ttl1 = WaitForEmptyStore();
  const long rss_wave1 = SettledRssKb();
  const int64_t episodes1 = good_.episodes.load() - warmup_episodes, steps1 = good_.steps.load() - warmup_steps;

  const absl::Time t1 = absl::Now();
  Wave(f);
  const absl::Duration wave2_time = absl::Now() - t1;
  const int live_after_wave2 = server_->handler().store().size();
  const int left_after_ttl2 = WaitForEmptyStore();
  const long rss_wave2 = SettledRssKb();
  google::protobuf::SetLogHandler(old_handler);

  // The server is still healthy and plays a whole episode.
  auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  for (const char* service : {"", "clinsim.v1.Environment"}) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + kDeadline));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
  Tally final_episode;
  {
    auto env = Client("probe", 0);
    auto r = env->Reset("cardiology_inferior_stemi", 7);
    ASSERT_TRUE(r.ok()) << r.status();
    bool ended = false;
    for (const char* text : kScript) {
      auto s = env->StepText(r->episode_id(), text);
      ASSERT_TRUE(s.ok()) << s.status();
      ended = s->terminated();
    }
    ASSERT_TRUE(ended);
    auto score = env->GetScore(r->episode_id());
    ASSERT_TRUE(score.ok()) << score.status();
    EXPECT_TRUE(score->correct());
    EXPECT_TRUE(env->Close(r->episode_id()).ok());
  }

  std::printf(
      "soak (scale %d): well-behaved %lld episodes, %lld steps (wave 1: %lld, %lld; waves took %s and %s); "
      "peak live %d;\n"
      "  well-behaved: %s\n  abandoning: %s\n  cancelling: %s\n  hostile: %s, %d raw TCP connections, %d protobuf parse errors logged\n"
      "  live after wave 1: %d, after the TTL: %d; after wave 2: %d, after the TTL: %d\n"
      "  RSS (KiB, after malloc_trim): start %ld, after wave 1 %ld, after wave 2 %ld\n",
      scale_, static_cast<long long>(good_.episodes.load() - warmup_episodes),
      static_cast<long long>(good_.steps.load() - warmup_steps), static_cast<long long>(episodes1),
      static_cast<long long>(steps1), absl::FormatDuration(wave1_time).c_str(),
      absl::FormatDuration(wave2_time).c_str(), peak_live_.load(),
      good_.Describe().c_str(), abandon_.Describe().c_str(), cancel_.Describe().c_str(),
      garbage_.Describe().c_str(), raw_connections_.load(), protobuf_errors.load(), live_after_wave1, left_after_ttl1,
      live_after_wave2, left_after_ttl2, rss_start, rss_wave1, rss_wave2);

  // Well-behaved clients: no error of any kind, and all the work done.
  EXPECT_TRUE(good_.Codes().empty()) << good_.Describe();
  const int per_wave = (f.unary_threads * f.episodes_per_unary_thread + f.batch_threads * f.batch_size +
                        f.session_threads * f.session_episodes) * f.rounds * scale_;
  EXPECT_EQ(good_.episodes.load() - warmup_episodes, 2 * per_wave);
  // Abandoners: only their cap.
  for (const auto& [code, n] : abandon_.Codes()) EXPECT_EQ(code, "RESOURCE_EXHAUSTED") << abandon_.Describe();
  // Cancellers: what cancelling and expired deadlines give, nothing else.
  for (const auto& [code, n] : cancel_.Codes()) {
    EXPECT_TRUE(code == "CANCELLED" || code == "DEADLINE_EXCEEDED") << cancel_.Describe();
  }
  {
    absl::MutexLock l(&mismatch_mu_);
    EXPECT_TRUE(mismatches_.empty()) << absl::StrJoin(mismatches_, "\n");
  }
  // Every episode freed: closed by its client, by its stream's end, or by the TTL.
  EXPECT_EQ(left_after_ttl1, 0);
  EXPECT_EQ(left_after_ttl2, 0);
  // Memory: the second equal wave must not add what the first did. The bound is generous
  // (25% of the first wave's level plus 30 MiB) because RSS also holds allocator caches and
  // gRPC's per-connection buffers, which vary from run to run; a leak of even 1 KiB per
  // episode or per call (tens of thousands of each per wave) would exceed it.
  EXPECT_LE(rss_wave2, rss_wave1 + rss_wave1 / 4 + 30 * 1024)
      << "start " << rss_start << " KiB, wave 1 " << rss_wave1 << " KiB, wave 2 " << rss_wave2 << " KiB";
}

// A Session client that goes away while a model answers its step. The replies to the requests
// before it are stuck in flow control (the client never reads), so the cancel fails a write while
// the step is pending; the stream must not be finished (and its reactor deleted) before the
// model's reply is back, or that reply lands in freed memory (it did: a use-after-free, which
// ASan reports). Afterwards the stream's episodes are freed and the server still answers.
TEST(SessionModelStepTest, ClientGoneWhileAModelAnswersLeavesNothingBehind) {
  std::atomic<int> asked{0};
  clinsim::testing::FakeOpenAiServer fake([&](const clinsim::testing::FakeRequest&) {
    asked++;
    return clinsim::testing::FakeReply::Content("It is a heavy pain in the middle of my chest.", 0.5);
  });
  agents::llm::ChatClientOptions co;
  co.base_url = fake.base_url();
  co.model = "fake-model";
  co.max_retries = 0;
  co.timeout_s = 10;
  auto chat = agents::llm::ChatClient::Create(co);
  ASSERT_TRUE(chat.ok()) << chat.status();
  auto llm = std::make_shared<env::LlmServices>();
  llm->client = std::shared_ptr<agents::llm::ChatClient>(*std::move(chat));
  ServerOptions o;
  o.address = "127.0.0.1:0";
  o.handler.llm = llm;
  auto server = Server::Start(testing::BundledWorld(), o);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string target = absl::StrCat("127.0.0.1:", (*server)->port());
  for (int round = 0; round < 3; ++round) {
    auto stub = v1::Environment::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + kDeadline));
    auto stream = stub->Session(&ctx);
    v1::SessionRequest spec;
    spec.mutable_get_spec();
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(stream->Write(spec));  // about 1 MB of replies, unread
    v1::SessionRequest reset;
    reset.mutable_reset()->set_case_id("cardiology_inferior_stemi");
    reset.mutable_reset()->mutable_options()->set_patient("llm");
    ASSERT_TRUE(stream->Write(reset));
    v1::SessionRequest step;
    step.mutable_step()->mutable_action()->set_text(kScript[0]);
    ASSERT_TRUE(stream->Write(step));
    // Wait (bounded) until the model has been asked: the step is pending.
    for (int i = 0; i < 400 && asked.load() <= round; ++i) absl::SleepFor(absl::Milliseconds(25));
    ASSERT_GT(asked.load(), round);
    ctx.TryCancel();
    v1::SessionResponse resp;
    while (stream->Read(&resp)) {
    }
    EXPECT_FALSE(stream->Finish().ok());
  }
  // The stream's episodes go once the pending steps have come back (bounded poll).
  for (int i = 0; i < 400 && (*server)->handler().store().size() != 0; ++i) absl::SleepFor(absl::Milliseconds(25));
  EXPECT_EQ((*server)->handler().store().size(), 0);
  auto env = EnvClient::Connect(target, kDeadline);
  auto r = env->Reset("cardiology_inferior_stemi", 7);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(env->StepText(r->episode_id(), kScript[4]).ok());
  (*server)->Shutdown(absl::Seconds(5));
}

}  // namespace
}  // namespace clinsim::server
