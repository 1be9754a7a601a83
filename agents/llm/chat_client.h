// One OpenAI-compatible chat client (POST {base_url}/chat/completions) shared by every LLM role:
// the LLM patient, gatekeeper, judge, rubric grader and doctor. It works with vLLM, llama.cpp
// server, Ollama and hosted APIs.
//
// Non-blocking: Send() only queues the request and returns; one background thread drives libcurl's
// multi interface (connection reuse, per-request timeouts) and runs the callback when the reply is
// in, so gRPC reactors and bench workers never wait on the network. Callbacks run on that thread:
// they must be short (hand long work to another thread) and may call Send() again.
//
// Reliability: 429, 5xx, connection errors and timeouts are retried with jittered exponential
// backoff up to `max_retries`; other 4xx and malformed replies (not JSON, no choices, no content)
// fail at once with a status that says what was wrong. The final error of a request is UNAVAILABLE
// for a backend that is down, slow or overloaded, INVALID_ARGUMENT for a request the server
// refused (4xx other than 429) and DATA_LOSS for a malformed reply. The API key is read from the
// environment variable named in the options and never logged or put in an error.
//
// With a cache (ResponseCache), a request whose (model, messages, parameters) were answered before
// is answered from the cache without touching the network, so a seeded run replays exactly.
//
//   ChatClientOptions o; o.base_url = "http://127.0.0.1:8000/v1"; o.model = "qwen2.5-7b";
//   auto client = ChatClient::Create(o).value();
//   client->Send({.messages = {{"user", "Hello"}}}, [](absl::StatusOr<ChatResponse> r) {...});
#ifndef CLINSIM_AGENTS_LLM_CHAT_CLIENT_H_
#define CLINSIM_AGENTS_LLM_CHAT_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"

namespace clinsim::agents::llm {

class ResponseCache;

struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
};

struct ChatRequest {
  std::string model;  // empty: the client's default model
  std::vector<ChatMessage> messages;
  double temperature = 0.0;
  int max_tokens = 512;
  std::optional<uint64_t> seed;  // sent as "seed" when set (vLLM, llama.cpp and OpenAI honour it)
  bool json_object = false;      // response_format {"type": "json_object"}
};

struct ChatResponse {
  std::string content;  // choices[0].message.content
  std::string model;    // as reported by the server (or the request's model for cache hits)
  int prompt_tokens = 0;
  int completion_tokens = 0;
  bool from_cache = false;
  int attempts = 0;     // HTTP requests made (0 for a cache hit)
  double latency_s = 0; // from Send() to the callback
};

struct ChatClientOptions {
  std::string base_url;                        // e.g. http://127.0.0.1:8000/v1 (required)
  std::string model;                           // default model for requests that name none
  std::string api_key_env = "OPENAI_API_KEY";  // unset or empty variable: no Authorization header
  double timeout_s = 60;                       // per HTTP attempt
  double connect_timeout_s = 10;
  int max_retries = 4;                         // retries after the first attempt
  double backoff_initial_s = 0.5;              // doubled per retry, capped, with full jitter
  double backoff_max_s = 8;
  int max_concurrency = 256;                   // requests on the wire at once; more wait in a queue
  std::shared_ptr<ResponseCache> cache;        // may be null
};

struct ChatClientStats {
  int64_t requests = 0;      // Send() calls
  int64_t http_attempts = 0; // HTTP requests made, retries included
  int64_t retries = 0;
  int64_t cache_hits = 0;
  int64_t failures = 0;      // callbacks with an error
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

class ChatClient {
 public:
  using Callback = absl::AnyInvocable<void(absl::StatusOr<ChatResponse>) &&>;

  // INVALID_ARGUMENT for a base_url that is not http(s):// or options out of range.
  static absl::StatusOr<std::unique_ptr<ChatClient>> Create(const ChatClientOptions& options);
  // Waits for the requests on the wire to finish or fail (their callbacks run), then stops.
  // Must not run on the client's own thread: never drop the last reference in a callback.
  ~ChatClient();

  // Queues the request; `done` runs exactly once, on the client's thread.
  void Send(ChatRequest request, Callback done);
  // Send() and wait: for command-line tools and tests, never for reactors or bench workers.
  absl::StatusOr<ChatResponse> SendAndWait(ChatRequest request);

  ChatClientStats stats() const;
  const ChatClientOptions& options() const { return options_; }

  ChatClient(const ChatClient&) = delete;
  ChatClient& operator=(const ChatClient&) = delete;

 private:
  class Impl;
  explicit ChatClient(const ChatClientOptions& options);
  ChatClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

// The JSON body the client POSTs for `request` (model filled in from `default_model`); also the
// canonical text the cache keys on.
std::string ChatRequestBody(const ChatRequest& request, const std::string& default_model);
// Parses a /chat/completions reply; DATA_LOSS naming what was missing or malformed.
absl::StatusOr<ChatResponse> ParseChatResponse(const std::string& body);

}  // namespace clinsim::agents::llm

#endif  // CLINSIM_AGENTS_LLM_CHAT_CLIENT_H_
