// The chat client over real HTTP against the fake OpenAI server on 127.0.0.1.
#include "agents/llm/chat_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "agents/llm/response_cache.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_openai_server.h"
#include "testing/status_matchers.h"

namespace clinsim::agents::llm {
namespace {

using ::clinsim::testing::FakeOpenAiServer;
using ::clinsim::testing::FakeReply;
using ::clinsim::testing::FakeRequest;
using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKeyEnv[] = "CLINSIM_LLM_TEST_API_KEY";
constexpr char kKey[] = "sk-test-very-secret-0123";

ChatClientOptions OptionsFor(const FakeOpenAiServer& server) {
  ChatClientOptions o;
  o.base_url = server.base_url();
  o.model = "test-model";
  o.api_key_env = kKeyEnv;
  o.timeout_s = 10;
  o.connect_timeout_s = 5;
  o.max_retries = 3;
  o.backoff_initial_s = 0.01;  // keeps the suite fast; the jitter logic is the same
  o.backoff_max_s = 0.05;
  return o;
}

ChatRequest Ask(const std::string& question) {
  ChatRequest r;
  r.messages = {{"system", "You are the patient."}, {"user", question}};
  return r;
}

std::unique_ptr<ChatClient> MakeClient(const ChatClientOptions& o) {
  auto client = ChatClient::Create(o);
  EXPECT_OK(client);
  return client.ok() ? std::move(*client) : nullptr;
}

// A port nothing listens on: bound, then closed.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Waits for `pred` with a generous bound, so a bug fails the test instead of hanging it.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 3000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

// A one-shot event on std primitives (TSan sees them; Debian's Abseil is not instrumented).
class Event {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }
  // False if it did not happen within a generous bound: a bug fails the test, not hangs it.
  bool Wait(double seconds = 60) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return done_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

class ChatClientTest : public ::testing::Test {
 protected:
  void SetUp() override { unsetenv(kKeyEnv); }
  void TearDown() override { unsetenv(kKeyEnv); }
};

TEST_F(ChatClientTest, NormalReply) {
  FakeOpenAiServer server([](const FakeRequest& r) {
    return FakeReply::Content("It started two days ago, " + r.last_user());
  });
  auto client = MakeClient(OptionsFor(server));
  ASSERT_OK_AND_ASSIGN(ChatResponse reply, client->SendAndWait(Ask("when?")));
  EXPECT_EQ(reply.content, "It started two days ago, when?");
  EXPECT_EQ(reply.model, "fake-model");
  EXPECT_EQ(reply.prompt_tokens, 7);
  EXPECT_EQ(reply.completion_tokens, 6);  // words of the reply
  EXPECT_EQ(reply.attempts, 1);
  EXPECT_FALSE(reply.from_cache);
  EXPECT_GT(reply.latency_s, 0);
  EXPECT_EQ(server.requests(), 1);
  ChatClientStats s = client->stats();
  EXPECT_EQ(s.requests, 1);
  EXPECT_EQ(s.http_attempts, 1);
  EXPECT_EQ(s.retries, 0);
  EXPECT_EQ(s.failures, 0);
  EXPECT_EQ(s.completion_tokens, 6);
}

TEST_F(ChatClientTest, RequestBodyHasEveryField) {
  std::mutex mu;
  std::vector<FakeRequest> seen;
  FakeOpenAiServer server([&](const FakeRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(r);
    return FakeReply::Content("ok");
  });
  auto client = MakeClient(OptionsFor(server));
  ChatRequest plain = Ask("first");
  ASSERT_OK(client->SendAndWait(plain));
  ChatRequest full = Ask(std::string(4000, 'q'));  // large enough that curl would send Expect:
  full.model = "other-model";
  full.temperature = 0.7;
  full.max_tokens = 64;
  full.seed = 42;
  full.json_object = true;
  ASSERT_OK(client->SendAndWait(full));

  ASSERT_EQ(seen.size(), 2u);
  const FakeRequest& a = seen[0];
  EXPECT_EQ(a.method, "POST");
  EXPECT_EQ(a.path, "/v1/chat/completions");
  EXPECT_EQ(a.headers.at("content-type"), "application/json");
  EXPECT_EQ(a.json["model"], "test-model");  // the client's default
  EXPECT_EQ(a.json["messages"].size(), 2u);
  EXPECT_EQ(a.json["messages"][0]["role"], "system");
  EXPECT_EQ(a.system(), "You are the patient.");
  EXPECT_EQ(a.last_user(), "first");
  EXPECT_EQ(a.json["temperature"], 0.0);
  EXPECT_EQ(a.json["max_tokens"], 512);
  EXPECT_FALSE(a.json.contains("seed"));
  EXPECT_FALSE(a.json.contains("response_format"));

  const FakeRequest& b = seen[1];
  EXPECT_EQ(b.json["model"], "other-model");
  EXPECT_EQ(b.json["temperature"], 0.7);
  EXPECT_EQ(b.json["max_tokens"], 64);
  EXPECT_EQ(b.json["seed"], 42);
  EXPECT_EQ(b.json["response_format"]["type"], "json_object");
  EXPECT_EQ(b.headers.count("expect"), 0u) << "the client must not wait for 100-continue";
  // What went over the wire is the canonical body, byte for byte.
  EXPECT_EQ(b.body, ChatRequestBody(full, "test-model"));
}

TEST_F(ChatClientTest, RequestBodyIsCanonical) {
  ChatRequest r = Ask("hello");
  r.seed = 7;
  const std::string body = ChatRequestBody(r, "m");
  EXPECT_EQ(body, ChatRequestBody(r, "m"));
  EXPECT_EQ(body,
            R"({"max_tokens":512,"messages":[{"content":"You are the patient.","role":"system"},)"
            R"({"content":"hello","role":"user"}],"model":"m","seed":7,"temperature":0.0})");
  ChatRequest other = r;
  other.seed = 8;
  EXPECT_NE(ChatRequestBody(other, "m"), body);
  // Invalid UTF-8 from a noisy transcript is replaced, not thrown.
  EXPECT_THAT(ChatRequestBody(Ask("bad \xff byte"), "m"), HasSubstr("bad \xef\xbf\xbd byte"));
}

TEST_F(ChatClientTest, AuthorizationHeaderFromEnvironmentAndNeverInErrors) {
  std::mutex mu;
  std::vector<std::string> auth;
  int status = 200;
  FakeOpenAiServer server([&](const FakeRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = r.headers.find("authorization");
    auth.push_back(it == r.headers.end() ? "<none>" : it->second);
    if (status != 200) {
      return FakeReply::Status(status, std::string("{\"error\":\"Incorrect API key: ") + kKey +
                                           "\"}");
    }
    return FakeReply::Content("ok");
  });
  setenv(kKeyEnv, kKey, 1);
  auto with_key = MakeClient(OptionsFor(server));
  ASSERT_OK(with_key->SendAndWait(Ask("a")));
  {
    std::lock_guard<std::mutex> lock(mu);
    status = 401;
  }
  absl::StatusOr<ChatResponse> refused = with_key->SendAndWait(Ask("b"));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("HTTP 401")));
  EXPECT_THAT(refused.status().message(), HasSubstr(kKeyEnv));  // names the variable...
  EXPECT_THAT(refused.status().message(), Not(HasSubstr(kKey)));  // ...never the key
  {
    std::lock_guard<std::mutex> lock(mu);
    status = 503;
  }
  absl::StatusOr<ChatResponse> down = with_key->SendAndWait(Ask("c"));
  EXPECT_THAT(down, StatusIs(absl::StatusCode::kUnavailable, Not(HasSubstr(kKey))));
  {
    std::lock_guard<std::mutex> lock(mu);
    status = 200;
  }
  unsetenv(kKeyEnv);
  auto without_key = MakeClient(OptionsFor(server));
  ASSERT_OK(without_key->SendAndWait(Ask("d")));

  std::lock_guard<std::mutex> lock(mu);
  ASSERT_GE(auth.size(), 4u);
  EXPECT_EQ(auth.front(), std::string("Bearer ") + kKey);
  EXPECT_EQ(auth.back(), "<none>");
}

class RetryStatusTest : public ChatClientTest, public ::testing::WithParamInterface<int> {};

TEST_P(RetryStatusTest, RetriedThenSucceeds) {
  std::atomic<int> calls{0};
  FakeOpenAiServer server([&](const FakeRequest&) {
    return calls.fetch_add(1) < 2 ? FakeReply::Status(GetParam()) : FakeReply::Content("fine");
  });
  auto client = MakeClient(OptionsFor(server));
  ASSERT_OK_AND_ASSIGN(ChatResponse reply, client->SendAndWait(Ask("q")));
  EXPECT_EQ(reply.content, "fine");
  EXPECT_EQ(reply.attempts, 3);
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(client->stats().retries, 2);
  EXPECT_EQ(client->stats().http_attempts, 3);
  EXPECT_EQ(client->stats().failures, 0);
}

INSTANTIATE_TEST_SUITE_P(Statuses, RetryStatusTest, ::testing::Values(429, 500, 502, 503),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "Http" + std::to_string(info.param);
                         });

TEST_F(ChatClientTest, RetryAfterIsCappedAtBackoffMax) {
  std::atomic<int> calls{0};
  FakeOpenAiServer server([&](const FakeRequest&) {
    if (calls.fetch_add(1) > 0) return FakeReply::Content("after the wait");
    FakeReply r = FakeReply::Status(429);
    r.headers["Retry-After"] = "3600";  // an hour: must be capped at backoff_max_s
    return r;
  });
  auto client = MakeClient(OptionsFor(server));
  Event done;
  client->Send(Ask("q"), [&](absl::StatusOr<ChatResponse> r) {
    EXPECT_OK(r);
    done.Notify();
  });
  ASSERT_TRUE(done.Wait())
      << "Retry-After was not capped";
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(ChatClientTest, RetriesExhaustedIsUnavailable) {
  FakeOpenAiServer server([](const FakeRequest&) {
    return FakeReply::Status(503, "{\"error\":\"model is loading\"}");
  });
  auto client = MakeClient(OptionsFor(server));  // max_retries 3
  absl::StatusOr<ChatResponse> r = client->SendAndWait(Ask("q"));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("HTTP 503")));
  EXPECT_THAT(r.status().message(), HasSubstr("4 attempts"));
  EXPECT_THAT(r.status().message(), HasSubstr(server.base_url() + "/chat/completions"));
  EXPECT_THAT(r.status().message(), HasSubstr("model is loading"));
  EXPECT_EQ(server.requests(), 4);
  EXPECT_EQ(client->stats().failures, 1);
}

TEST_F(ChatClientTest, BadRequestIsInvalidArgumentWithoutRetry) {
  const std::string long_error = "{\"error\":\"context length exceeded" + std::string(2000, '!');
  FakeOpenAiServer server([&](const FakeRequest&) { return FakeReply::Status(400, long_error); });
  auto client = MakeClient(OptionsFor(server));
  absl::StatusOr<ChatResponse> r = client->SendAndWait(Ask("q"));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("context length exceeded")));
  EXPECT_LT(r.status().message().size(), 600u) << "the error body is truncated";
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(ChatClientTest, ServerDownIsUnavailable) {
  ChatClientOptions o;
  const int port = ClosedPort();
  o.base_url = "http://user:pa55word@127.0.0.1:" + std::to_string(port) + "/v1?api_key=zzz";
  o.max_retries = 2;
  o.backoff_initial_s = 0.01;
  o.backoff_max_s = 0.02;
  auto client = MakeClient(o);
  absl::StatusOr<ChatResponse> r = client->SendAndWait(Ask("q"));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("3 attempts")));
  EXPECT_THAT(r.status().message(), HasSubstr("curl error 7"));
  EXPECT_THAT(r.status().message(), HasSubstr("http://127.0.0.1:" + std::to_string(port)));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("pa55word")));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("zzz")));
}

TEST_F(ChatClientTest, TimeoutIsRetriedThenUnavailable) {
  FakeOpenAiServer server([](const FakeRequest&) { return FakeReply::Content("late", 2.0); });
  ChatClientOptions o = OptionsFor(server);
  o.timeout_s = 0.2;
  o.max_retries = 1;
  auto client = MakeClient(o);
  absl::StatusOr<ChatResponse> r = client->SendAndWait(Ask("q"));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("curl error 28")));
  EXPECT_THAT(r.status().message(), HasSubstr("2 attempts"));
  EXPECT_EQ(server.requests(), 2);
}

struct Malformed {
  std::string name;
  std::string body;
  std::string problem;
};
void PrintTo(const Malformed& m, std::ostream* os) { *os << m.body; }

class MalformedReplyTest : public ChatClientTest, public ::testing::WithParamInterface<Malformed> {
};

TEST_P(MalformedReplyTest, IsDataLossNamingTheProblem) {
  FakeOpenAiServer server([](const FakeRequest&) { return FakeReply::Raw(GetParam().body); });
  auto client = MakeClient(OptionsFor(server));
  absl::StatusOr<ChatResponse> r = client->SendAndWait(Ask("q"));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss, HasSubstr(GetParam().problem)));
  // One retry (a reply cut short once), not max_retries.
  EXPECT_EQ(server.requests(), 2);
  EXPECT_THAT(ParseChatResponse(GetParam().body),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(GetParam().problem)));
}

INSTANTIATE_TEST_SUITE_P(
    Replies, MalformedReplyTest,
    ::testing::Values(
        Malformed{"NotJson", "<html>Bad gateway</html>", "not valid JSON"},
        Malformed{"Truncated", R"({"choices":[{"message":{"content":"cut sh)", "not valid JSON"},
        Malformed{"NotAnObject", R"([1,2])", "not an object"},
        Malformed{"NoChoices", R"({"object":"chat.completion"})", "no \"choices\""},
        Malformed{"ErrorInsteadOfChoices", R"({"error":{"message":"overloaded"}})", "overloaded"},
        Malformed{"ChoicesNotAnArray", R"({"choices":{}})", "not an array"},
        Malformed{"EmptyChoices", R"({"choices":[]})", "empty \"choices\""},
        Malformed{"NoMessage", R"({"choices":[{"index":0}]})", "no \"message\""},
        Malformed{"NoContent", R"({"choices":[{"message":{"role":"assistant"}}]})",
                  "no \"content\""},
        Malformed{"NullContent", R"({"choices":[{"message":{"content":null}}]})",
                  "content is null"},
        Malformed{"ContentNotAString", R"({"choices":[{"message":{"content":42}}]})",
                  "not a string"}),
    [](const ::testing::TestParamInfo<Malformed>& info) { return info.param.name; });

TEST_F(ChatClientTest, DroppedConnectionIsRetried) {
  std::atomic<int> calls{0};
  FakeOpenAiServer server([&](const FakeRequest&) {
    if (calls.fetch_add(1) == 0) {
      FakeReply r;
      r.close_without_reply = true;
      return r;
    }
    return FakeReply::Content("second time");
  });
  auto client = MakeClient(OptionsFor(server));
  ASSERT_OK_AND_ASSIGN(ChatResponse reply, client->SendAndWait(Ask("q")));
  EXPECT_EQ(reply.content, "second time");
  EXPECT_EQ(reply.attempts, 2);
}

TEST_F(ChatClientTest, ConcurrencyIsCappedAndConnectionsReused) {
  FakeOpenAiServer server(
      [](const FakeRequest& r) { return FakeReply::Content(r.last_user(), 0.1); });
  ChatClientOptions o = OptionsFor(server);
  o.max_concurrency = 16;
  auto client = MakeClient(o);
  auto wave = [&] {
    std::mutex mu;
    std::vector<std::string> answers;
    std::atomic<int> left{64};
    Event all;
    for (int i = 0; i < 64; ++i) {
      client->Send(Ask("q" + std::to_string(i)), [&, i](absl::StatusOr<ChatResponse> r) {
        EXPECT_OK(r);
        if (r.ok()) {
          EXPECT_EQ(r->content, "q" + std::to_string(i));  // each reply reaches its own callback
          std::lock_guard<std::mutex> lock(mu);
          answers.push_back(r->content);
        }
        if (left.fetch_sub(1) == 1) all.Notify();
      });
    }
    ASSERT_TRUE(all.Wait());
    EXPECT_EQ(answers.size(), 64u);
  };
  wave();
  const int64_t first_wave_connections = server.connections();
  wave();
  EXPECT_EQ(server.requests(), 128);
  EXPECT_LE(server.max_in_flight(), 16);
  EXPECT_GT(server.max_in_flight(), 1) << "requests went out one at a time";
  EXPECT_LE(first_wave_connections, 16);
  // Keep-alive: the second wave rides the first wave's connections.
  EXPECT_LE(server.connections(), first_wave_connections + 2);
}

TEST_F(ChatClientTest, CallbacksMaySendAgain) {
  FakeOpenAiServer server(
      [](const FakeRequest& r) { return FakeReply::Content(r.last_user() + "!"); });
  auto client = MakeClient(OptionsFor(server));
  Event done;
  std::vector<std::string> chain;
  std::function<void(absl::StatusOr<ChatResponse>)> next = [&](absl::StatusOr<ChatResponse> r) {
    ASSERT_OK(r);
    chain.push_back(r->content);
    if (chain.size() == 5) {
      // A blocking call from the client's own thread would deadlock: refused instead.
      EXPECT_THAT(client->SendAndWait(Ask("x")),
                  StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("deadlock")));
      done.Notify();
      return;
    }
    client->Send(Ask(r->content), [&](absl::StatusOr<ChatResponse> r2) { next(std::move(r2)); });
  };
  client->Send(Ask("a"), [&](absl::StatusOr<ChatResponse> r) { next(std::move(r)); });
  ASSERT_TRUE(done.Wait());
  EXPECT_EQ(chain, (std::vector<std::string>{"a!", "a!!", "a!!!", "a!!!!", "a!!!!!"}));
}

TEST_F(ChatClientTest, DestructorRunsEveryCallbackOnce) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  FakeOpenAiServer server([&](const FakeRequest&) {
    released.wait();  // hold the requests on the wire until the client is being destroyed
    return FakeReply::Content("done");
  });
  ChatClientOptions o = OptionsFor(server);
  o.max_concurrency = 4;
  auto client = MakeClient(o);
  constexpr int kRequests = 20;
  std::vector<std::atomic<int>> calls(kRequests);
  std::atomic<int> ok{0}, cancelled{0}, other{0};
  for (int i = 0; i < kRequests; ++i) {
    client->Send(Ask("q"), [&, i](absl::StatusOr<ChatResponse> r) {
      calls[i].fetch_add(1);
      if (r.ok()) {
        ok++;
      } else if (r.status().code() == absl::StatusCode::kCancelled) {
        cancelled++;
      } else {
        other++;
      }
    });
  }
  ASSERT_TRUE(Eventually([&] { return server.requests() == 4; }));
  std::thread destroyer([&] { client.reset(); });
  // The queued requests are cancelled while the four on the wire are still held by the server.
  const bool queued_cancelled = Eventually([&] { return cancelled.load() == kRequests - 4; });
  release.set_value();
  destroyer.join();
  EXPECT_TRUE(queued_cancelled);
  EXPECT_EQ(ok.load(), 4);  // the ones on the wire were allowed to finish
  EXPECT_EQ(cancelled.load(), kRequests - 4);
  EXPECT_EQ(other.load(), 0);
  for (int i = 0; i < kRequests; ++i) EXPECT_EQ(calls[i].load(), 1) << "request " << i;
  EXPECT_EQ(server.requests(), 4);
}

TEST_F(ChatClientTest, EmptyMessagesRefused) {
  FakeOpenAiServer server([](const FakeRequest&) { return FakeReply::Content("x"); });
  auto client = MakeClient(OptionsFor(server));
  EXPECT_THAT(client->SendAndWait(ChatRequest{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no messages")));
  EXPECT_EQ(server.requests(), 0);
}

TEST_F(ChatClientTest, CacheAnswersRepeatsWithoutHttp) {
  FakeOpenAiServer server([](const FakeRequest& r) {
    return FakeReply::Content("answer to " + r.last_user() + " at T=" +
                              r.json["temperature"].dump());
  });
  const std::string path = ::testing::TempDir() + "/llm_client_cache_" +
                           std::to_string(getpid()) + "/cache.sqlite";
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<ResponseCache> cache, ResponseCache::Open(path));
  ChatClientOptions o = OptionsFor(server);
  o.cache = cache;
  auto client = MakeClient(o);
  ChatRequest r = Ask("when?");
  r.seed = 1;
  ASSERT_OK_AND_ASSIGN(ChatResponse first, client->SendAndWait(r));
  EXPECT_FALSE(first.from_cache);
  EXPECT_EQ(server.requests(), 1);
  ASSERT_OK_AND_ASSIGN(ChatResponse again, client->SendAndWait(r));
  EXPECT_TRUE(again.from_cache);
  EXPECT_EQ(again.attempts, 0);
  EXPECT_EQ(again.content, first.content);
  EXPECT_EQ(again.model, first.model);
  EXPECT_EQ(again.completion_tokens, first.completion_tokens);
  EXPECT_EQ(server.requests(), 1) << "a cache hit must not touch the network";

  ChatRequest other_seed = r;
  other_seed.seed = 2;
  ChatRequest other_temperature = r;
  other_temperature.temperature = 0.5;
  ChatRequest other_message = Ask("where?");
  other_message.seed = 1;
  for (const ChatRequest& miss : {other_seed, other_temperature, other_message}) {
    ASSERT_OK_AND_ASSIGN(ChatResponse reply, client->SendAndWait(miss));
    EXPECT_FALSE(reply.from_cache);
  }
  EXPECT_EQ(server.requests(), 4);
  EXPECT_EQ(client->stats().cache_hits, 1);
  EXPECT_EQ(cache->size(), 4);

  // Failures are not cached.
  FakeOpenAiServer failing([](const FakeRequest&) { return FakeReply::Status(400); });
  ChatClientOptions fo = OptionsFor(failing);
  fo.cache = cache;
  auto failing_client = MakeClient(fo);
  EXPECT_FALSE(failing_client->SendAndWait(Ask("never answered")).ok());
  EXPECT_EQ(cache->size(), 4);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

TEST(ChatClientCreateTest, RefusesBadOptionsNamingTheField) {
  auto create = [](auto edit) {
    ChatClientOptions o;
    o.base_url = "http://127.0.0.1:1/v1";
    edit(o);
    return ChatClient::Create(o).status();
  };
  using O = ChatClientOptions&;
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(create([](O o) { o.base_url = ""; }), StatusIs(kInvalid, HasSubstr("base_url")));
  EXPECT_THAT(create([](O o) { o.base_url = "127.0.0.1:8000/v1"; }),
              StatusIs(kInvalid, HasSubstr("base_url")));
  EXPECT_THAT(create([](O o) { o.base_url = "ftp://host/v1"; }),
              StatusIs(kInvalid, HasSubstr("base_url")));
  EXPECT_THAT(create([](O o) { o.timeout_s = 0; }), StatusIs(kInvalid, HasSubstr("timeout_s")));
  EXPECT_THAT(create([](O o) { o.connect_timeout_s = -1; }),
              StatusIs(kInvalid, HasSubstr("connect_timeout_s")));
  EXPECT_THAT(create([](O o) { o.max_concurrency = 0; }),
              StatusIs(kInvalid, HasSubstr("max_concurrency")));
  EXPECT_THAT(create([](O o) { o.max_concurrency = 4097; }),
              StatusIs(kInvalid, HasSubstr("max_concurrency")));
  EXPECT_THAT(create([](O o) { o.max_retries = -1; }),
              StatusIs(kInvalid, HasSubstr("max_retries")));
  EXPECT_THAT(create([](O o) { o.max_retries = 21; }),
              StatusIs(kInvalid, HasSubstr("max_retries")));
  EXPECT_OK(create([](O o) { o.base_url = "HTTPS://example.com/v1"; }));
}

}  // namespace
}  // namespace clinsim::agents::llm
