#include "env/server/episode_store.h"

#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fixtures.h"
#include "testing/status_matchers.h"

namespace clinsim::server {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

std::unique_ptr<env::Episode> NewEpisode(uint64_t seed = 1) {
  return env::Episode::Create(testing::BundledWorld(), "cardiology_inferior_stemi", seed, {}).value();
}

TEST(EpisodeStore, AddFindRemove) {
  EpisodeStore store({});
  auto slot = store.Reserve();
  ASSERT_TRUE(slot.ok());
  std::string id = store.Add(*std::move(slot), NewEpisode(), false);
  EXPECT_THAT(id, ::testing::StartsWith("ep-"));
  EXPECT_EQ(id.size(), 3u + 32u);
  EXPECT_EQ(store.size(), 1);
  auto e = store.Find(id);
  ASSERT_NE(e, nullptr);
  {
    absl::MutexLock l(&e->mu);
    EXPECT_EQ(e->episode->seed(), 1u);
  }
  EXPECT_EQ(store.Find("ep-nope"), nullptr);
  EXPECT_TRUE(store.Remove(id));
  EXPECT_FALSE(store.Remove(id));
  EXPECT_EQ(store.Find(id), nullptr);
  EXPECT_EQ(store.size(), 0);
}

TEST(EpisodeStore, CapCountsReservationsAndFreesDroppedOnes) {
  StoreOptions o;
  o.max_episodes = 2;
  EpisodeStore store(o);
  auto a = store.Reserve();
  auto b = store.Reserve();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_THAT(store.Reserve().status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("maximum of 2 live episodes")));
  { auto dropped = *std::move(b); }  // a reservation dropped unused gives its slot back
  auto c = store.Reserve();
  EXPECT_TRUE(c.ok());
  store.Add(*std::move(a), NewEpisode(), false);
  EXPECT_EQ(store.size(), 2);
}

TEST(EpisodeStore, PerClientLimitCountsEachClientAndFreesOnRemoveAndSweep) {
  StoreOptions o;
  o.max_episodes_per_client = 2;
  EpisodeStore store(o);
  std::string a1 = store.Add(store.Reserve("a").value(), NewEpisode(), false);
  store.Add(store.Reserve("a").value(), NewEpisode(), false);
  EXPECT_THAT(store.Reserve("a").status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("this client holds its maximum of 2")));
  EXPECT_TRUE(store.Reserve("b").ok());  // another client is not affected (dropped at once)
  EXPECT_TRUE(store.Reserve("").ok());   // uncounted callers neither
  EXPECT_TRUE(store.Remove(a1));
  EXPECT_TRUE(store.Reserve("a").ok());
  store.Add(store.Reserve("a").value(), NewEpisode(), false);
  EXPECT_FALSE(store.Reserve("a").ok());
  EXPECT_EQ(store.Sweep(absl::Now() + absl::Hours(2)), 2);
  EXPECT_TRUE(store.Reserve("a").ok());
  EXPECT_EQ(store.size(), 0);
}

TEST(EpisodeStore, SweepFreesOnlyIdleEpisodes) {
  StoreOptions o;
  o.idle_ttl = absl::Seconds(60);
  EpisodeStore store(o);
  std::string old_id = store.Add(store.Reserve().value(), NewEpisode(1), false);
  std::string new_id = store.Add(store.Reserve().value(), NewEpisode(2), false);
  // Nothing is idle for 60 s yet.
  EXPECT_EQ(store.Sweep(absl::Now()), 0);
  // Seen from 61 s in the future, both are idle; touch one first by finding it "later".
  EXPECT_EQ(store.Sweep(absl::Now() + absl::Seconds(61)), 2);
  EXPECT_EQ(store.size(), 0);
  EXPECT_EQ(store.Find(old_id), nullptr);
  EXPECT_EQ(store.Find(new_id), nullptr);
}

TEST(EpisodeStore, IdsAreUniqueAcrossThreadsAndCarryThePrefix) {
  StoreOptions o;
  o.id_prefix = "r7-";
  EpisodeStore store(o);
  std::vector<std::vector<std::string>> ids(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) ids[t].push_back(store.Add(store.Reserve().value(), NewEpisode(i), false));
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& v : ids) {
    for (const auto& id : v) {
      EXPECT_THAT(id, ::testing::StartsWith("r7-ep-"));
      all.insert(id);
    }
  }
  EXPECT_EQ(all.size(), 200u);
  EXPECT_EQ(store.size(), 200);
}

}  // namespace
}  // namespace clinsim::server
