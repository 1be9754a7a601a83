#include "agents/llm/chat_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "agents/llm/response_cache.h"
#include "nlohmann/json.hpp"

namespace clinsim::agents::llm {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr size_t kMaxReplyBytes = 32u << 20;  // a chat reply is kilobytes; this stops a runaway
constexpr size_t kErrorBodyChars = 300;

// "http://user:pass@host/v1?key=x" -> "http://host/v1": error messages name the endpoint, never
// credentials that may sit in the URL.
std::string RedactUrl(const std::string& url) {
  std::string out = url.substr(0, url.find_first_of("?#"));
  size_t scheme_end = out.find("://");
  if (scheme_end == std::string::npos) return out;
  size_t host_start = scheme_end + 3;
  size_t path_start = out.find('/', host_start);
  size_t at = out.rfind('@', path_start == std::string::npos ? out.size() : path_start);
  if (at != std::string::npos && at >= host_start) out.erase(host_start, at + 1 - host_start);
  return out;
}

std::string JsonTypeName(const Json& j) { return j.type_name(); }

bool RetriableCurlError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_AGAIN:
    case CURLE_WEIRD_SERVER_REPLY:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string ChatRequestBody(const ChatRequest& request, const std::string& default_model) {
  // nlohmann's default object is a sorted std::map, so equal requests give equal bytes: the
  // cache keys on this text.
  Json body = Json::object();
  body["model"] = request.model.empty() ? default_model : request.model;
  Json messages = Json::array();
  for (const ChatMessage& m : request.messages) {
    messages.push_back(Json{{"role", m.role}, {"content", m.content}});
  }
  body["messages"] = std::move(messages);
  body["temperature"] = request.temperature;
  body["max_tokens"] = request.max_tokens;
  if (request.seed.has_value()) body["seed"] = *request.seed;
  if (request.json_object) body["response_format"] = Json{{"type", "json_object"}};
  // Invalid UTF-8 (from a case file or a noisy transcript) becomes U+FFFD instead of throwing.
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<ChatResponse> ParseChatResponse(const std::string& body) {
  Json reply;
  try {
    reply = Json::parse(body);
  } catch (const Json::parse_error& e) {
    return absl::DataLossError(absl::StrCat(
        "LLM reply is not valid JSON (", body.size(), " bytes; truncated or malformed: ", e.what(),
        "); starts with: ", body.substr(0, 120)));
  }
  if (!reply.is_object()) {
    return absl::DataLossError(
        absl::StrCat("LLM reply is a JSON ", JsonTypeName(reply), ", not an object"));
  }
  auto choices = reply.find("choices");
  if (choices == reply.end()) {
    std::string hint;
    if (auto err = reply.find("error"); err != reply.end()) {
      hint = absl::StrCat(" (it has an \"error\": ", err->dump(-1, ' ', false,
                          Json::error_handler_t::replace).substr(0, kErrorBodyChars), ")");
    }
    return absl::DataLossError(absl::StrCat("LLM reply has no \"choices\"", hint));
  }
  if (!choices->is_array()) {
    return absl::DataLossError(absl::StrCat("LLM reply's \"choices\" is a ",
                                            JsonTypeName(*choices), ", not an array"));
  }
  if (choices->empty()) return absl::DataLossError("LLM reply has an empty \"choices\" array");
  const Json& choice = (*choices)[0];
  if (!choice.is_object()) {
    return absl::DataLossError(absl::StrCat("LLM reply's choices[0] is a ", JsonTypeName(choice),
                                            ", not an object"));
  }
  auto message = choice.find("message");
  if (message == choice.end() || !message->is_object()) {
    return absl::DataLossError("LLM reply's choices[0] has no \"message\" object");
  }
  auto content = message->find("content");
  if (content == message->end()) {
    return absl::DataLossError("LLM reply's choices[0].message has no \"content\"");
  }
  if (!content->is_string()) {
    return absl::DataLossError(absl::StrCat("LLM reply's choices[0].message.content is ",
                                            JsonTypeName(*content), ", not a string"));
  }
  ChatResponse out;
  out.content = content->get<std::string>();
  if (auto model = reply.find("model"); model != reply.end() && model->is_string()) {
    out.model = model->get<std::string>();
  }
  if (auto usage = reply.find("usage"); usage != reply.end() && usage->is_object()) {
    auto count = [&](const char* name) {
      auto it = usage->find(name);
      return it != usage->end() && it->is_number_integer() ? it->get<int>() : 0;
    };
    out.prompt_tokens = count("prompt_tokens");
    out.completion_tokens = count("completion_tokens");
  }
  return out;
}

// One request through its life: queued, on the wire (possibly several attempts), waiting for a
// retry, done.
struct PendingRequest {
  std::string body;
  std::string model;  // the request's model, for cache hits
  ChatClient::Callback done;
  Clock::time_point start;
  int attempts = 0;
  int data_loss_retries = 0;
  std::string last_error;  // what went wrong on the last attempt, for the final message
  // Per attempt:
  std::string reply;
  bool reply_too_large = false;
  double retry_after_s = -1;
  char curl_error[CURL_ERROR_SIZE] = {};
};

class ChatClient::Impl {
 public:
  Impl(const ChatClientOptions& options, std::string api_key)
      : options_(options), api_key_(std::move(api_key)), rng_(std::random_device{}()) {}

  absl::Status Init() {
    std::string base = options_.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    url_ = base + "/chat/completions";
    display_url_ = RedactUrl(url_);
    multi_ = curl_multi_init();
    if (multi_ == nullptr) return absl::InternalError("curl_multi_init failed");
    const long limit = options_.max_concurrency;
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, limit);
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, limit);
    // The connection cache must hold every connection we may reuse, or keep-alive is lost.
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, limit);
    headers_ = curl_slist_append(headers_, "Content-Type: application/json");
    // Without this curl sends "Expect: 100-continue" for bodies over 1 KiB and waits a round trip.
    headers_ = curl_slist_append(headers_, "Expect:");
    if (!api_key_.empty()) {
      headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + api_key_).c_str());
    }
    if (headers_ == nullptr) return absl::InternalError("curl_slist_append failed");
    thread_ = std::thread([this] { Loop(); });
    thread_id_ = thread_.get_id();
    return absl::OkStatus();
  }

  ~Impl() {
    if (thread_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
      }
      curl_multi_wakeup(multi_);
      thread_.join();
    }
    for (CURL* easy : easy_pool_) curl_easy_cleanup(easy);
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
    curl_slist_free_all(headers_);
  }

  void Send(ChatRequest request, Callback done) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    auto p = std::make_unique<PendingRequest>();
    p->start = Clock::now();
    p->model = request.model.empty() ? options_.model : request.model;
    p->done = std::move(done);
    if (request.messages.empty()) {
      p->last_error = "ChatRequest has no messages";  // answered on the client thread below
    } else {
      // Built on the caller's thread: spreads the JSON work over the callers.
      p->body = ChatRequestBody(request, options_.model);
    }
    bool closed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed = closed_;
      if (!closed) incoming_.push_back(std::move(p));
    }
    if (closed) {
      // Only reachable from a callback racing the very end of the destructor.
      Finish(std::move(p), absl::CancelledError("ChatClient is shut down"));
      return;
    }
    curl_multi_wakeup(multi_);
  }

  bool OnClientThread() const { return std::this_thread::get_id() == thread_id_; }

  ChatClientStats stats() const {
    ChatClientStats s;
    s.requests = requests_.load(std::memory_order_relaxed);
    s.http_attempts = http_attempts_.load(std::memory_order_relaxed);
    s.retries = retries_.load(std::memory_order_relaxed);
    s.cache_hits = cache_hits_.load(std::memory_order_relaxed);
    s.failures = failures_.load(std::memory_order_relaxed);
    s.prompt_tokens = prompt_tokens_.load(std::memory_order_relaxed);
    s.completion_tokens = completion_tokens_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  using Pending = std::unique_ptr<PendingRequest>;

  static size_t OnBody(char* data, size_t size, size_t n, void* user) {
    auto* p = static_cast<PendingRequest*>(user);
    if (p->reply.size() + size * n > kMaxReplyBytes) {
      p->reply_too_large = true;
      return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    p->reply.append(data, size * n);
    return size * n;
  }

  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* p = static_cast<PendingRequest*>(user);
    absl::string_view line(data, size * n);
    constexpr absl::string_view kName = "retry-after:";
    if (line.size() > kName.size() &&
        absl::EqualsIgnoreCase(line.substr(0, kName.size()), kName)) {
      double seconds;
      // Delta-seconds only; an HTTP date is ignored and the normal backoff applies.
      if (absl::SimpleAtod(absl::StripAsciiWhitespace(line.substr(kName.size())), &seconds) &&
          seconds >= 0) {
        p->retry_after_s = seconds;
      }
    }
    return size * n;
  }

  void Loop() {
    std::vector<std::pair<Pending, absl::StatusOr<ChatResponse>>> finished;
    while (true) {
      std::deque<Pending> incoming;
      bool stopping;
      {
        std::lock_guard<std::mutex> lock(mu_);
        incoming.swap(incoming_);
        stopping = stopping_;
        if (stopping && incoming.empty() && active_ == 0 && ready_.empty() && timers_.empty()) {
          closed_ = true;
          break;
        }
      }
      for (Pending& p : incoming) Admit(std::move(p), stopping, finished);
      const Clock::time_point now = Clock::now();
      while (!timers_.empty() && (stopping || timers_.begin()->first <= now)) {
        Pending p = std::move(timers_.begin()->second);
        timers_.erase(timers_.begin());
        if (stopping) {
          finished.emplace_back(std::move(p), absl::CancelledError(""));
        } else {
          ready_.push_back(std::move(p));
        }
      }
      if (stopping) {
        for (Pending& p : ready_) finished.emplace_back(std::move(p), absl::CancelledError(""));
        ready_.clear();
      }
      while (!ready_.empty() && active_ < options_.max_concurrency) {
        Pending p = std::move(ready_.front());
        ready_.pop_front();
        StartAttempt(std::move(p), finished);
      }

      int running = 0;
      curl_multi_perform(multi_, &running);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        OnAttemptDone(msg->easy_handle, msg->data.result, stopping, finished);
      }

      // Callbacks run without the lock held: they may Send() again.
      const bool ran_callbacks = !finished.empty();
      for (auto& [p, result] : finished) {
        if (result.status().code() == absl::StatusCode::kCancelled &&
            result.status().message().empty()) {
          result = absl::CancelledError(
              p->last_error.empty()
                  ? "ChatClient shut down before the request was sent"
                  : absl::StrCat("ChatClient shut down before retrying; last error: ",
                                 p->last_error, " (", p->attempts, " attempts)"));
        }
        Finish(std::move(p), std::move(result));
      }
      finished.clear();
      if (ran_callbacks) continue;  // they may have queued requests or freed slots
      if (!ready_.empty() && active_ < options_.max_concurrency) continue;

      int timeout_ms = 1000;
      if (!timers_.empty()) {
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
            timers_.begin()->first - Clock::now());
        timeout_ms = static_cast<int>(std::clamp<int64_t>(wait.count() + 1, 0, timeout_ms));
      }
      // Returns early on socket activity, curl's own timers, or curl_multi_wakeup from Send().
      curl_multi_poll(multi_, nullptr, 0, timeout_ms, nullptr);
    }
  }

  void Admit(Pending p, bool stopping,
             std::vector<std::pair<Pending, absl::StatusOr<ChatResponse>>>& finished) {
    if (p->body.empty()) {
      absl::Status invalid = absl::InvalidArgumentError(p->last_error);
      finished.emplace_back(std::move(p), std::move(invalid));
      return;
    }
    if (stopping) {
      finished.emplace_back(std::move(p), absl::CancelledError(""));
      return;
    }
    if (options_.cache != nullptr) {
      if (std::optional<ChatResponse> hit = options_.cache->Get(p->body)) {
        cache_hits_.fetch_add(1, std::memory_order_relaxed);
        hit->from_cache = true;
        hit->attempts = 0;
        finished.emplace_back(std::move(p), std::move(*hit));
        return;
      }
    }
    ready_.push_back(std::move(p));
  }

  void StartAttempt(Pending p,
                    std::vector<std::pair<Pending, absl::StatusOr<ChatResponse>>>& finished) {
    CURL* easy;
    if (!easy_pool_.empty()) {
      easy = easy_pool_.back();
      easy_pool_.pop_back();
    } else {
      easy = curl_easy_init();
    }
    PendingRequest* raw = p.release();  // owned by the easy handle until OnAttemptDone
    raw->attempts++;
    raw->reply.clear();
    raw->reply_too_large = false;
    raw->retry_after_s = -1;
    raw->curl_error[0] = '\0';
    http_attempts_.fetch_add(1, std::memory_order_relaxed);
    curl_easy_setopt(easy, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, raw->body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(raw->body.size()));
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::OnBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, raw);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Impl::OnHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, raw);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, raw->curl_error);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, raw);
    // At least 1 ms: curl reads 0 as "no timeout".
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                     std::max(1L, static_cast<long>(options_.timeout_s * 1000)));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     std::max(1L, static_cast<long>(options_.connect_timeout_s * 1000)));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    CURLMcode rc = curl_multi_add_handle(multi_, easy);
    if (rc != CURLM_OK) {  // out of memory or a curl bug: nothing a retry would fix
      curl_easy_cleanup(easy);
      finished.emplace_back(Pending(raw), absl::InternalError(absl::StrCat(
                                              "curl_multi_add_handle: ", curl_multi_strerror(rc))));
      return;
    }
    active_++;
  }

  // Full jitter: uniform in [0, min(max, initial * 2^k)] for the k-th retry (k from 0), so
  // many clients hitting one overloaded server spread out; a server's Retry-After wins.
  double BackoffSeconds(const PendingRequest& p) {
    if (p.retry_after_s >= 0) return std::min(p.retry_after_s, options_.backoff_max_s);
    double cap = std::min(options_.backoff_max_s,
                          options_.backoff_initial_s * std::ldexp(1.0, p.attempts - 1));
    std::uniform_real_distribution<double> jitter(0.0, std::max(cap, 0.0));
    return jitter(rng_);
  }

  void OnAttemptDone(CURL* easy, CURLcode code, bool stopping,
                     std::vector<std::pair<Pending, absl::StatusOr<ChatResponse>>>& finished) {
    char* priv = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    Pending p(reinterpret_cast<PendingRequest*>(priv));
    long http = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http);
    curl_multi_remove_handle(multi_, easy);
    easy_pool_.push_back(easy);
    active_--;

    bool retriable = false;
    absl::StatusCode fail_code = absl::StatusCode::kUnavailable;
    if (code != CURLE_OK) {
      retriable = RetriableCurlError(code);
      if (p->reply_too_large) {
        p->last_error = absl::StrCat("reply larger than ", kMaxReplyBytes >> 20, " MiB");
        fail_code = absl::StatusCode::kDataLoss;
      } else {
        p->last_error = absl::StrCat("curl error ", static_cast<int>(code), " (",
                                     curl_easy_strerror(code), ")",
                                     p->curl_error[0] ? absl::StrCat(": ", p->curl_error) : "");
      }
    } else if (http >= 200 && http < 300) {
      absl::StatusOr<ChatResponse> parsed = ParseChatResponse(p->reply);
      if (parsed.ok()) {
        parsed->attempts = p->attempts;
        if (parsed->model.empty()) parsed->model = p->model;
        if (options_.cache != nullptr) {
          // A cache that cannot be written costs replay, not this answer: the reply still goes out.
          options_.cache->Put(p->body, *parsed).IgnoreError();
        }
        finished.emplace_back(std::move(p), std::move(parsed));
        return;
      }
      // A malformed 200 is usually a server bug, but a proxy or an overloaded server can cut a
      // reply short once; one retry covers that without hammering a server that is broken.
      p->last_error = std::string(parsed.status().message());
      fail_code = absl::StatusCode::kDataLoss;
      retriable = p->data_loss_retries++ < 1;
    } else if (http == 429 || http >= 500) {
      retriable = true;
      p->last_error = absl::StrCat("HTTP ", http, ": ", BodyExcerpt(p->reply));
    } else {
      std::string hint;
      if (http == 401 || http == 403) {
        hint = absl::StrCat(" (check the API key in $", options_.api_key_env, ")");
      } else if (http == 404) {
        hint = " (check base_url: it should end in /v1 for most servers, and the model name)";
      }
      absl::Status refused = absl::InvalidArgumentError(absl::StrCat(
          "LLM server refused POST ", display_url_, ": HTTP ", http, hint, ": ",
          BodyExcerpt(p->reply)));
      finished.emplace_back(std::move(p), std::move(refused));
      return;
    }

    if (retriable && p->attempts <= options_.max_retries && !stopping) {
      retries_.fetch_add(1, std::memory_order_relaxed);
      Clock::time_point due =
          Clock::now() + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(BackoffSeconds(*p)));
      timers_.emplace(due, std::move(p));
      return;
    }
    if (retriable && stopping) {
      finished.emplace_back(std::move(p), absl::CancelledError(""));
      return;
    }
    absl::Status failed(fail_code,
                        absl::StrCat("LLM request to POST ", display_url_, " failed after ",
                                     p->attempts, p->attempts == 1 ? " attempt" : " attempts",
                                     ": ", p->last_error));
    finished.emplace_back(std::move(p), std::move(failed));
  }

  // The start of an error body, for the message; the key is masked in case a server echoes it.
  std::string BodyExcerpt(const std::string& body) const {
    std::string excerpt = body.substr(0, kErrorBodyChars);
    if (body.size() > kErrorBodyChars) excerpt += "...";
    if (excerpt.empty()) excerpt = "(empty body)";
    if (!api_key_.empty()) excerpt = absl::StrReplaceAll(excerpt, {{api_key_, "[redacted]"}});
    return excerpt;
  }

  void Finish(Pending p, absl::StatusOr<ChatResponse> result) {
    if (result.ok()) {
      result->latency_s = std::chrono::duration<double>(Clock::now() - p->start).count();
      prompt_tokens_.fetch_add(result->prompt_tokens, std::memory_order_relaxed);
      completion_tokens_.fetch_add(result->completion_tokens, std::memory_order_relaxed);
    } else {
      failures_.fetch_add(1, std::memory_order_relaxed);
    }
    Callback done = std::move(p->done);
    p.reset();
    std::move(done)(std::move(result));
  }

  const ChatClientOptions options_;
  const std::string api_key_;
  std::string url_;
  std::string display_url_;
  CURLM* multi_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::thread thread_;
  std::thread::id thread_id_;

  std::mutex mu_;
  std::deque<Pending> incoming_;  // guarded by mu_
  bool stopping_ = false;         // guarded by mu_
  bool closed_ = false;           // guarded by mu_

  // Client thread only.
  std::deque<Pending> ready_;
  std::multimap<Clock::time_point, Pending> timers_;  // retries waiting for their backoff
  std::vector<CURL*> easy_pool_;
  int active_ = 0;
  std::mt19937_64 rng_;

  std::atomic<int64_t> requests_{0}, http_attempts_{0}, retries_{0}, cache_hits_{0}, failures_{0},
      prompt_tokens_{0}, completion_tokens_{0};
};

absl::StatusOr<std::unique_ptr<ChatClient>> ChatClient::Create(const ChatClientOptions& options) {
  const std::string lower_url = absl::AsciiStrToLower(options.base_url);
  if (!absl::StartsWith(lower_url, "http://") && !absl::StartsWith(lower_url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ChatClientOptions.base_url must start with http:// or https:// (e.g. "
        "http://127.0.0.1:8000/v1), got '", RedactUrl(options.base_url), "'"));
  }
  if (lower_url.size() <= (absl::StartsWith(lower_url, "https://") ? 8u : 7u)) {
    return absl::InvalidArgumentError("ChatClientOptions.base_url has no host");
  }
  auto positive = [](double v) { return std::isfinite(v) && v > 0; };
  if (!positive(options.timeout_s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ChatClientOptions.timeout_s must be > 0, got ", options.timeout_s));
  }
  if (!positive(options.connect_timeout_s)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ChatClientOptions.connect_timeout_s must be > 0, got ", options.connect_timeout_s));
  }
  if (options.max_concurrency < 1 || options.max_concurrency > 4096) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ChatClientOptions.max_concurrency must be in 1..4096, got ", options.max_concurrency));
  }
  if (options.max_retries < 0 || options.max_retries > 20) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ChatClientOptions.max_retries must be in 0..20, got ", options.max_retries));
  }
  if (!std::isfinite(options.backoff_initial_s) || options.backoff_initial_s < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ChatClientOptions.backoff_initial_s must be >= 0, got ", options.backoff_initial_s));
  }
  if (!std::isfinite(options.backoff_max_s) || options.backoff_max_s < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ChatClientOptions.backoff_max_s must be >= 0, got ", options.backoff_max_s));
  }
  static std::once_flag curl_once;
  static CURLcode curl_init = CURLE_OK;
  std::call_once(curl_once, [] { curl_init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_init != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_global_init failed: ", curl_easy_strerror(curl_init)));
  }
  std::string api_key;
  if (!options.api_key_env.empty()) {
    if (const char* v = std::getenv(options.api_key_env.c_str())) api_key = v;
  }
  std::unique_ptr<ChatClient> client(new ChatClient(options));
  client->impl_ = std::make_unique<Impl>(options, std::move(api_key));
  absl::Status started = client->impl_->Init();
  if (!started.ok()) return started;
  return client;
}

ChatClient::ChatClient(const ChatClientOptions& options) : options_(options) {}

ChatClient::~ChatClient() = default;

void ChatClient::Send(ChatRequest request, Callback done) {
  impl_->Send(std::move(request), std::move(done));
}

absl::StatusOr<ChatResponse> ChatClient::SendAndWait(ChatRequest request) {
  if (impl_->OnClientThread()) {
    return absl::FailedPreconditionError(
        "ChatClient::SendAndWait called from a ChatClient callback would deadlock; use Send()");
  }
  // std::promise rather than absl::Notification: Debian's Abseil is not built with TSan, so
  // its synchronization is invisible to a -fsanitize=thread build of this project.
  std::promise<absl::StatusOr<ChatResponse>> result;
  std::future<absl::StatusOr<ChatResponse>> ready = result.get_future();
  Send(std::move(request),
       [&result](absl::StatusOr<ChatResponse> r) { result.set_value(std::move(r)); });
  return ready.get();
}

ChatClientStats ChatClient::stats() const { return impl_->stats(); }

}  // namespace clinsim::agents::llm
