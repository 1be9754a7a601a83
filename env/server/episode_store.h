// The live episodes of one server: a sharded map from episode id to episode, with a cap on how
// many may live at once and an idle TTL after which an episode is freed. Each shard has its own
// lock and each episode its own, so steps of different episodes never wait on one another.
//
//   EpisodeStore store({/*max_episodes=*/10000, /*idle_ttl=*/absl::Minutes(10)});
//   absl::StatusOr<EpisodeStore::Reservation> slot = store.Reserve();   // RESOURCE_EXHAUSTED when full
//   std::string id = store.Add(*std::move(slot), std::move(episode), /*invalid_as_turn=*/false);
//   std::shared_ptr<EpisodeStore::Entry> e = store.Find(id);           // nullptr: unknown or expired
//   absl::MutexLock l(&e->mu); e->episode->Step(...);
#ifndef CLINSIM_ENV_SERVER_EPISODE_STORE_H_
#define CLINSIM_ENV_SERVER_EPISODE_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "env/episode.h"

namespace clinsim::server {

struct StoreOptions {
  int max_episodes = 100000;
  absl::Duration idle_ttl = absl::Minutes(30);
  int shards = 32;
  std::string id_prefix;  // e.g. a replica name, so a load balancer can route by id
  int max_episodes_per_client = 0;  // 0: no per-client limit
};

class EpisodeStore {
 public:
  struct Entry {
    absl::Mutex mu;
    std::unique_ptr<env::Episode> episode ABSL_GUARDED_BY(mu);
    // A step with a model role is running on a copy of the episode; another step must wait.
    bool busy ABSL_GUARDED_BY(mu) = false;
    bool invalid_action_as_turn = false;  // set once at Add
    std::string owner;                    // the client it counts against; set once at Add
    std::atomic<int64_t> last_used_ns{0};
  };

  // A slot counted against the cap; returned to the store if dropped unused.
  class Reservation {
   public:
    Reservation(Reservation&& o) noexcept : store_(o.store_), owner_(std::move(o.owner_)) { o.store_ = nullptr; }
    Reservation& operator=(Reservation&&) = delete;
    ~Reservation();

   private:
    friend class EpisodeStore;
    Reservation(EpisodeStore* s, std::string owner) : store_(s), owner_(std::move(owner)) {}
    EpisodeStore* store_;
    std::string owner_;
  };

  explicit EpisodeStore(StoreOptions options);
  EpisodeStore(const EpisodeStore&) = delete;
  EpisodeStore& operator=(const EpisodeStore&) = delete;

  // RESOURCE_EXHAUSTED (saying how to get room) when max_episodes are live, or when `owner` (a
  // client identity; empty: none) holds max_episodes_per_client.
  absl::StatusOr<Reservation> Reserve(absl::string_view owner = "");
  // Stores the episode under a new unguessable id and returns the id.
  std::string Add(Reservation slot, std::unique_ptr<env::Episode> episode, bool invalid_action_as_turn);
  // The entry, marked as used now; nullptr when the id is unknown, closed or expired.
  std::shared_ptr<Entry> Find(absl::string_view id);
  // False when the id is unknown.
  bool Remove(absl::string_view id);
  // Frees every episode idle for longer than the TTL at `now`; returns how many.
  int Sweep(absl::Time now);
  int size() const { return live_.load(std::memory_order_relaxed); }
  const StoreOptions& options() const { return options_; }

 private:
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, std::shared_ptr<Entry>> map ABSL_GUARDED_BY(mu);
  };
  Shard& ShardFor(absl::string_view id);
  void Release(const std::string& owner);
  std::string NewId();

  StoreOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<int> live_{0};  // stored + reserved
  absl::Mutex owners_mu_;
  absl::flat_hash_map<std::string, int> owners_ ABSL_GUARDED_BY(owners_mu_);  // live per client
};

}  // namespace clinsim::server

#endif  // CLINSIM_ENV_SERVER_EPISODE_STORE_H_
