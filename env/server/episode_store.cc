#include "env/server/episode_store.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/random.h"

namespace clinsim::server {
namespace {

int64_t NowNs() { return absl::ToUnixNanos(absl::Now()); }

// Ids must be unguessable (an id is the only key to an episode), so they come from a
// per-thread generator seeded by the OS, not from the reproducible episode generators.
uint64_t RandomWord() {
  thread_local std::mt19937_64 gen([] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }());
  return gen();
}

}  // namespace

EpisodeStore::Reservation::~Reservation() {
  if (store_ != nullptr) store_->Release(owner_);
}

void EpisodeStore::Release(const std::string& owner) {
  live_.fetch_sub(1, std::memory_order_relaxed);
  if (owner.empty() || options_.max_episodes_per_client <= 0) return;
  absl::MutexLock l(&owners_mu_);
  auto it = owners_.find(owner);
  if (it != owners_.end() && --it->second <= 0) owners_.erase(it);
}

EpisodeStore::EpisodeStore(StoreOptions options) : options_(std::move(options)) {
  if (options_.shards < 1) options_.shards = 1;
  for (int i = 0; i < options_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

absl::StatusOr<EpisodeStore::Reservation> EpisodeStore::Reserve(absl::string_view owner) {
  int n = live_.fetch_add(1, std::memory_order_relaxed);
  if (n >= options_.max_episodes) {
    live_.fetch_sub(1, std::memory_order_relaxed);
    return absl::ResourceExhaustedError(absl::StrCat(
        "the server holds its maximum of ", options_.max_episodes,
        " live episodes; Close episodes you have finished with (idle ones are freed after ",
        absl::FormatDuration(options_.idle_ttl), ") or start the server with a larger --max-episodes"));
  }
  if (!owner.empty() && options_.max_episodes_per_client > 0) {
    absl::MutexLock l(&owners_mu_);
    int& held = owners_[owner];
    if (held >= options_.max_episodes_per_client) {
      if (held == 0) owners_.erase(std::string(owner));
      live_.fetch_sub(1, std::memory_order_relaxed);
      return absl::ResourceExhaustedError(absl::StrCat(
          "this client holds its maximum of ", options_.max_episodes_per_client,
          " live episodes; Close episodes you have finished with (idle ones are freed after ",
          absl::FormatDuration(options_.idle_ttl), ")"));
    }
    ++held;
  }
  return Reservation(this, std::string(owner));
}

std::string EpisodeStore::NewId() {
  return absl::StrFormat("%sep-%016x%016x", options_.id_prefix, RandomWord(), RandomWord());
}

EpisodeStore::Shard& EpisodeStore::ShardFor(absl::string_view id) {
  return *shards_[StableHash(id) % shards_.size()];
}

std::string EpisodeStore::Add(Reservation slot, std::unique_ptr<env::Episode> episode,
                              bool invalid_action_as_turn) {
  auto entry = std::make_shared<Entry>();
  {
    absl::MutexLock l(&entry->mu);
    entry->episode = std::move(episode);
  }
  entry->invalid_action_as_turn = invalid_action_as_turn;
  entry->owner = std::move(slot.owner_);
  entry->last_used_ns.store(NowNs(), std::memory_order_relaxed);
  slot.store_ = nullptr;  // the slot now belongs to the stored entry
  for (;;) {
    std::string id = NewId();
    Shard& s = ShardFor(id);
    absl::MutexLock l(&s.mu);
    if (s.map.emplace(id, entry).second) return id;  // a collision of 128 random bits: try again
  }
}

std::shared_ptr<EpisodeStore::Entry> EpisodeStore::Find(absl::string_view id) {
  Shard& s = ShardFor(id);
  std::shared_ptr<Entry> e;
  {
    absl::MutexLock l(&s.mu);
    auto it = s.map.find(id);
    if (it == s.map.end()) return nullptr;
    e = it->second;
  }
  e->last_used_ns.store(NowNs(), std::memory_order_relaxed);
  return e;
}

bool EpisodeStore::Remove(absl::string_view id) {
  Shard& s = ShardFor(id);
  std::shared_ptr<Entry> e;  // destroyed outside the shard lock
  {
    absl::MutexLock l(&s.mu);
    auto it = s.map.find(id);
    if (it == s.map.end()) return false;
    e = std::move(it->second);
    s.map.erase(it);
  }
  Release(e->owner);
  return true;
}

int EpisodeStore::Sweep(absl::Time now) {
  const int64_t cutoff = absl::ToUnixNanos(now - options_.idle_ttl);
  int removed = 0;
  for (auto& shard : shards_) {
    std::vector<std::shared_ptr<Entry>> dead;  // destroyed outside the shard lock
    {
      absl::MutexLock l(&shard->mu);
      for (auto it = shard->map.begin(); it != shard->map.end();) {
        if (it->second->last_used_ns.load(std::memory_order_relaxed) < cutoff) {
          dead.push_back(std::move(it->second));
          shard->map.erase(it++);
        } else {
          ++it;
        }
      }
    }
    removed += static_cast<int>(dead.size());
    for (const auto& e : dead) Release(e->owner);
  }
  return removed;
}

}  // namespace clinsim::server
