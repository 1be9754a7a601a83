#include "agents/llm/response_cache.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "agents/llm/chat_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace clinsim::agents::llm {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;

class ResponseCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/llm_cache_test_" + std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static ChatResponse Reply(const std::string& content) {
    ChatResponse r;
    r.content = content;
    r.model = "m1";
    r.prompt_tokens = 11;
    r.completion_tokens = 3;
    r.attempts = 2;
    return r;
  }

  // Runs SQL on the file directly, as another program would.
  void Exec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string message = err != nullptr ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }

  std::string dir_;
};

TEST_F(ResponseCacheTest, PutThenGetCreatingTheDirectory) {
  const std::string path = dir_ + "/nested/deeper/cache.sqlite";
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<ResponseCache> cache, ResponseCache::Open(path));
  EXPECT_EQ(cache->path(), path);
  EXPECT_EQ(cache->size(), 0);
  EXPECT_FALSE(cache->Get("{\"a\":1}").has_value());
  ASSERT_OK(cache->Put("{\"a\":1}", Reply("hello")));
  std::optional<ChatResponse> hit = cache->Get("{\"a\":1}");
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->content, "hello");
  EXPECT_EQ(hit->model, "m1");
  EXPECT_EQ(hit->prompt_tokens, 11);
  EXPECT_EQ(hit->completion_tokens, 3);
  EXPECT_TRUE(hit->from_cache);
  EXPECT_EQ(hit->attempts, 0);
  EXPECT_FALSE(cache->Get("{\"a\":2}").has_value());
  // Putting the same body again replaces, it does not add a row.
  ASSERT_OK(cache->Put("{\"a\":1}", Reply("hello again")));
  EXPECT_EQ(cache->size(), 1);
  EXPECT_EQ(cache->Get("{\"a\":1}")->content, "hello again");
}

TEST_F(ResponseCacheTest, PersistsAcrossReopen) {
  const std::string path = dir_ + "/cache.sqlite";
  ChatRequest request;
  request.messages = {{"user", "Où avez-vous mal ? \xe2\x9c\x93"}};
  const std::string body = ChatRequestBody(request, "m");
  {
    ASSERT_OK_AND_ASSIGN(std::shared_ptr<ResponseCache> cache, ResponseCache::Open(path));
    ASSERT_OK(cache->Put(body, Reply("Ici, docteur.")));
  }
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<ResponseCache> reopened, ResponseCache::Open(path));
  EXPECT_EQ(reopened->size(), 1);
  std::optional<ChatResponse> hit = reopened->Get(body);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->content, "Ici, docteur.");
}

TEST_F(ResponseCacheTest, RefusesAnotherSqliteDatabase) {
  std::filesystem::create_directories(dir_);
  const std::string path = dir_ + "/other.sqlite";
  Exec(path, "CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)");
  EXPECT_THAT(ResponseCache::Open(path),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(path)));
  EXPECT_THAT(ResponseCache::Open(path), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                  HasSubstr("not a clinsim LLM cache")));
}

TEST_F(ResponseCacheTest, RefusesANonSqliteFileAndLeavesItAlone) {
  std::filesystem::create_directories(dir_);
  const std::string path = dir_ + "/notes.txt";
  const std::string text = "these are my notes, not a database\n";
  std::ofstream(path) << text;
  EXPECT_THAT(ResponseCache::Open(path),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(path)));
  std::ifstream in(path);
  std::stringstream read;
  read << in.rdbuf();
  EXPECT_EQ(read.str(), text);
  EXPECT_THAT(ResponseCache::Open(dir_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("directory")));
}

TEST_F(ResponseCacheTest, RefusesANewerSchema) {
  const std::string path = dir_ + "/cache.sqlite";
  { ASSERT_OK(ResponseCache::Open(path)); }
  Exec(path, "PRAGMA user_version = 99");
  EXPECT_THAT(ResponseCache::Open(path),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("schema version 99")));
}

TEST_F(ResponseCacheTest, HashCollisionNeverReturnsAnotherRequestsReply) {
  const std::string path = dir_ + "/cache.sqlite";
  const std::string a = R"({"messages":[{"content":"chest pain?","role":"user"}]})";
  const std::string b = R"({"messages":[{"content":"any fever?","role":"user"}]})";
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<ResponseCache> cache, ResponseCache::Open(path));
  ASSERT_OK(cache->Put(a, Reply("reply to A")));
  // Make A's row sit under B's key, exactly what a 128-bit collision between A and B would do.
  Exec(path, "UPDATE responses SET key = '" + ResponseCache::KeyFor(b) + "' WHERE key = '" +
                 ResponseCache::KeyFor(a) + "'");
  EXPECT_FALSE(cache->Get(b).has_value()) << "a key match alone must not return A's reply";
  EXPECT_FALSE(cache->Get(a).has_value());
  // B's own reply then replaces the colliding row and is found.
  ASSERT_OK(cache->Put(b, Reply("reply to B")));
  EXPECT_EQ(cache->Get(b)->content, "reply to B");
}

TEST_F(ResponseCacheTest, KeysAreStableHexAndSpread) {
  const std::string k = ResponseCache::KeyFor("hello");
  EXPECT_EQ(k.size(), 32u);
  EXPECT_EQ(k.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(k, ResponseCache::KeyFor("hello"));
  std::set<std::string> keys;
  // Near-identical bodies (one byte apart, length 0..200) must all get distinct keys.
  for (int len = 0; len < 200; ++len) {
    std::string s(len, 'a');
    keys.insert(ResponseCache::KeyFor(s));
    if (len > 0) {
      s[len / 2] = 'b';
      keys.insert(ResponseCache::KeyFor(s));
    }
  }
  EXPECT_EQ(keys.size(), 399u);
}

TEST_F(ResponseCacheTest, ConcurrentPutsAndGets) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<ResponseCache> cache,
                       ResponseCache::Open(dir_ + "/cache.sqlite"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string body = "t" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_OK(cache->Put(body, Reply(body)));
        std::optional<ChatResponse> hit = cache->Get(body);
        EXPECT_TRUE(hit.has_value() && hit->content == body) << body;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(cache->size(), 200);
}

}  // namespace
}  // namespace clinsim::agents::llm
