#include "agents/llm/response_cache.h"

#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace clinsim::agents::llm {
namespace {

// 'CLLM' in the SQLite header's application_id field marks the file as ours; user_version is
// the schema version.
constexpr int32_t kApplicationId = 0x434C4C4D;
constexpr int kSchemaVersion = 1;

uint64_t Mix64(uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::string SqliteError(sqlite3* db) {
  return db != nullptr ? sqlite3_errmsg(db) : "out of memory";
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt* get() { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// The first integer column of a one-row query, or an error.
absl::StatusOr<int64_t> QueryInt(sqlite3* db, const char* sql) {
  Statement st(db, sql);
  if (st.get() == nullptr || sqlite3_step(st.get()) != SQLITE_ROW) {
    return absl::InternalError(SqliteError(db));
  }
  return sqlite3_column_int64(st.get(), 0);
}

}  // namespace

std::string ResponseCache::KeyFor(const std::string& body) {
  // Two different 64-bit hashes: FNV-1a over bytes, and a word-at-a-time multiply-xorshift
  // hash; both finished with splitmix64 so nearby inputs spread over all bits.
  uint64_t fnv = 0xcbf29ce484222325ULL;
  for (unsigned char c : body) {
    fnv ^= c;
    fnv *= 0x100000001b3ULL;
  }
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ body.size();
  size_t i = 0;
  for (; i + 8 <= body.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, body.data() + i, 8);
    h = Mix64(h ^ Mix64(word + 0x632be59bd9b4e019ULL));
  }
  uint64_t tail = 0;
  for (size_t k = 0; i + k < body.size(); ++k) {
    tail |= static_cast<uint64_t>(static_cast<unsigned char>(body[i + k])) << (8 * k);
  }
  h = Mix64(h ^ Mix64(tail ^ 0xd6e8feb86659fd93ULL));
  return absl::StrFormat("%016x%016x", Mix64(fnv), h);
}

absl::StatusOr<std::shared_ptr<ResponseCache>> ResponseCache::Open(const std::string& path) {
  auto refuse = [&](absl::string_view why) {
    return absl::FailedPreconditionError(absl::StrCat(
        "LLM response cache ", path, ": ", why,
        "; pass the path of a clinsim LLM cache, or a new file, as the cache path"));
  };
  if (path.empty()) return refuse("empty path");
  std::filesystem::path fs_path(path);
  std::error_code ec;
  if (fs_path.has_parent_path()) {
    std::filesystem::create_directories(fs_path.parent_path(), ec);
    if (ec) return refuse(absl::StrCat("cannot create its directory: ", ec.message()));
  }
  // SQLite opens anything lazily; look at the header first so a foreign file is never touched.
  if (std::filesystem::exists(fs_path, ec)) {
    if (std::filesystem::is_directory(fs_path, ec)) return refuse("is a directory");
    std::ifstream in(fs_path, std::ios::binary);
    char header[16] = {};
    in.read(header, sizeof(header));
    if (in.gcount() > 0 &&
        (in.gcount() < 16 || std::memcmp(header, "SQLite format 3\0", 16) != 0)) {
      return refuse("not an SQLite file (so not a clinsim LLM cache)");
    }
  }

  std::shared_ptr<ResponseCache> cache(new ResponseCache());
  cache->path_ = path;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  cache->db_ = db;  // closed by the destructor, also on the error paths below
  if (rc != SQLITE_OK) return refuse(absl::StrCat("cannot open: ", SqliteError(db)));
  // Other processes sharing the file hold the write lock for one short transaction at most.
  sqlite3_busy_timeout(db, 5000);

  // Check and create in one write transaction, so two processes creating the file at once agree.
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return refuse(absl::StrCat("cannot open: ", SqliteError(db)));
  }
  auto rollback = [&](absl::Status s) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  };
  absl::StatusOr<int64_t> app_id = QueryInt(db, "PRAGMA application_id");
  absl::StatusOr<int64_t> version = QueryInt(db, "PRAGMA user_version");
  absl::StatusOr<int64_t> tables = QueryInt(db, "SELECT count(*) FROM sqlite_master");
  if (!app_id.ok() || !version.ok() || !tables.ok()) {
    absl::Status bad = !app_id.ok() ? app_id.status() : !version.ok() ? version.status()
                                                                      : tables.status();
    return rollback(refuse(absl::StrCat("cannot read it: ", bad.message())));
  }
  if (*app_id == 0 && *tables == 0) {
    const std::string create = absl::StrCat(
        "PRAGMA application_id = ", kApplicationId, "; PRAGMA user_version = ", kSchemaVersion,
        "; CREATE TABLE responses ("
        "  key TEXT PRIMARY KEY,"           // ResponseCache::KeyFor(request_body)
        "  request_body TEXT NOT NULL,"     // compared on Get: a hash collision is a miss
        "  content TEXT NOT NULL,"
        "  model TEXT NOT NULL,"
        "  prompt_tokens INTEGER NOT NULL,"
        "  completion_tokens INTEGER NOT NULL,"
        "  created_unix_s INTEGER NOT NULL)");
    char* err = nullptr;
    if (sqlite3_exec(db, create.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err != nullptr ? err : SqliteError(db);
      sqlite3_free(err);
      return rollback(refuse(absl::StrCat("cannot create the cache table: ", message)));
    }
  } else if (*app_id != kApplicationId) {
    return rollback(refuse(absl::StrFormat(
        "an SQLite database but not a clinsim LLM cache (application_id 0x%08x, %d tables)",
        static_cast<uint32_t>(*app_id), *tables)));
  } else if (*version != kSchemaVersion) {
    return rollback(refuse(absl::StrCat("a clinsim LLM cache with schema version ", *version,
                                        ", this build reads version ", kSchemaVersion)));
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return rollback(refuse(absl::StrCat("cannot write it: ", SqliteError(db))));
  }
  // WAL: readers in other processes do not block the writer; synchronous=NORMAL is durable
  // against a process crash, which is all a cache needs.
  sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", nullptr, nullptr,
               nullptr);
  if (sqlite3_prepare_v2(db,
                         "SELECT request_body, content, model, prompt_tokens, completion_tokens "
                         "FROM responses WHERE key = ?1",
                         -1, &cache->get_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db,
                         "INSERT OR REPLACE INTO responses (key, request_body, content, model, "
                         "prompt_tokens, completion_tokens, created_unix_s) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         -1, &cache->put_, nullptr) != SQLITE_OK) {
    return refuse(absl::StrCat("cannot prepare statements: ", SqliteError(db)));
  }
  return cache;
}

ResponseCache::~ResponseCache() {
  sqlite3_finalize(get_);
  sqlite3_finalize(put_);
  sqlite3_close(db_);
}

std::optional<ChatResponse> ResponseCache::Get(const std::string& request_body) {
  const std::string key = KeyFor(request_body);
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_reset(get_);
  sqlite3_bind_text(get_, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  std::optional<ChatResponse> out;
  // A read error is a miss: the request goes to the server, which is always correct.
  if (sqlite3_step(get_) == SQLITE_ROW) {
    auto text = [&](int col) {
      const unsigned char* p = sqlite3_column_text(get_, col);
      return std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(get_, col));
    };
    if (text(0) == request_body) {
      ChatResponse r;
      r.content = text(1);
      r.model = text(2);
      r.prompt_tokens = sqlite3_column_int(get_, 3);
      r.completion_tokens = sqlite3_column_int(get_, 4);
      r.from_cache = true;
      r.attempts = 0;
      out = std::move(r);
    }
  }
  sqlite3_reset(get_);
  return out;
}

absl::Status ResponseCache::Put(const std::string& request_body, const ChatResponse& response) {
  const std::string key = KeyFor(request_body);
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_reset(put_);
  auto bind = [&](int i, const std::string& s) {
    sqlite3_bind_text(put_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  };
  bind(1, key);
  bind(2, request_body);
  bind(3, response.content);
  bind(4, response.model);
  sqlite3_bind_int(put_, 5, response.prompt_tokens);
  sqlite3_bind_int(put_, 6, response.completion_tokens);
  sqlite3_bind_int64(put_, 7, now);
  int rc = sqlite3_step(put_);
  sqlite3_reset(put_);
  sqlite3_clear_bindings(put_);
  if (rc != SQLITE_DONE) {
    return absl::UnavailableError(
        absl::StrCat("LLM response cache ", path_, ": cannot store a reply: ", SqliteError(db_)));
  }
  return absl::OkStatus();
}

int64_t ResponseCache::size() {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<int64_t> n = QueryInt(db_, "SELECT count(*) FROM responses");
  return n.ok() ? *n : 0;
}

}  // namespace clinsim::agents::llm
