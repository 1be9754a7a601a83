// A fake OpenAI-compatible HTTP server for tests, on 127.0.0.1 and an ephemeral port. It answers
// POST /v1/chat/completions from a script: a handler sees each request (parsed JSON body, headers)
// and returns what to send back, with an optional delay, an HTTP status, or a raw (possibly
// malformed or truncated) body. Keep-alive connections, many at once (one thread per connection),
// so the chat client's connection reuse and concurrency are exercised for real.
//
//   FakeOpenAiServer server([](const FakeRequest& r) { return FakeReply::Content("hello"); });
//   ChatClientOptions o; o.base_url = server.base_url();   // http://127.0.0.1:PORT/v1
//   ... server.requests() == 1
#ifndef CLINSIM_TESTS_TESTING_FAKE_OPENAI_SERVER_H_
#define CLINSIM_TESTS_TESTING_FAKE_OPENAI_SERVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "nlohmann/json.hpp"

namespace clinsim::testing {

struct FakeRequest {
  std::string method;  // POST
  std::string path;    // /v1/chat/completions
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json json;  // parsed body (null when it did not parse)
  // Convenience: the content of the last message with role "user" (empty if none), and of the
  // first "system" message.
  std::string last_user() const;
  std::string system() const;
};

struct FakeReply {
  int status = 200;
  std::string body;          // sent as is
  double delay_s = 0;        // wait before answering
  bool close_without_reply = false;  // drop the connection instead of answering
  std::map<std::string, std::string> headers;  // extra response headers (e.g. Retry-After)

  // A well-formed completion whose message content is `content`.
  static FakeReply Content(const std::string& content, double delay_s = 0);
  static FakeReply Status(int status, const std::string& body = "{\"error\":\"injected\"}");
  static FakeReply Raw(const std::string& body);  // 200 with this exact body (e.g. truncated JSON)
};

class FakeOpenAiServer {
 public:
  using Handler = std::function<FakeReply(const FakeRequest&)>;
  // Handler calls may run concurrently on connection threads.
  explicit FakeOpenAiServer(Handler handler);
  ~FakeOpenAiServer();  // stops accepting, closes connections, joins threads

  std::string base_url() const;  // "http://127.0.0.1:PORT/v1"
  int port() const;
  int64_t requests() const;      // chat requests received
  int64_t connections() const;   // TCP connections accepted (to check reuse)
  int max_in_flight() const;     // most requests being handled at once

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace clinsim::testing

#endif  // CLINSIM_TESTS_TESTING_FAKE_OPENAI_SERVER_H_
