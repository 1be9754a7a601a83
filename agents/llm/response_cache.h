// A content-addressed cache of chat replies in SQLite: the key is a hash of the canonical request
// body (model, messages, parameters; see ChatRequestBody), and the row keeps the body itself so a
// hash collision can never return another request's reply. With the cache, a seeded run replays
// exactly and makes no requests the second time.
//
// Thread-safe (one connection, a mutex); WAL mode, so several processes may share a file (each
// write is one short transaction). Lookups are a few microseconds: the chat client calls them on
// its own thread, never on a reactor.
//
//   auto cache = ResponseCache::Open("build/llm-cache.sqlite").value();
//   cache->Put(body, response);  std::optional<ChatResponse> hit = cache->Get(body);
#ifndef CLINSIM_AGENTS_LLM_RESPONSE_CACHE_H_
#define CLINSIM_AGENTS_LLM_RESPONSE_CACHE_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "agents/llm/chat_client.h"

struct sqlite3;
struct sqlite3_stmt;

namespace clinsim::agents::llm {

class ResponseCache {
 public:
  // Creates the file (and its parent directory) when missing; FAILED_PRECONDITION with the path
  // for a file that is not a clinsim LLM cache or cannot be opened.
  static absl::StatusOr<std::shared_ptr<ResponseCache>> Open(const std::string& path);
  ~ResponseCache();

  std::optional<ChatResponse> Get(const std::string& request_body);
  absl::Status Put(const std::string& request_body, const ChatResponse& response);
  int64_t size();
  const std::string& path() const { return path_; }

  // The row key for a request body: 32 hex digits of a 128-bit hash (two independent 64-bit
  // hashes). Rows also keep the body, so Get never trusts the key alone.
  static std::string KeyFor(const std::string& request_body);

 private:
  ResponseCache() = default;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* get_ = nullptr;  // prepared once, used under mu_
  sqlite3_stmt* put_ = nullptr;
  std::string path_;
};

}  // namespace clinsim::agents::llm

#endif  // CLINSIM_AGENTS_LLM_RESPONSE_CACHE_H_
