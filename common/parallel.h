// Runs fn(0) .. fn(n-1) on up to `threads` threads (0: one per hardware thread) and returns when
// all are done. Work is handed out one index at a time, so uneven items balance themselves. fn
// must be safe to call concurrently for different indexes; results go into slots the caller
// sized beforehand, so their order does not depend on scheduling.
//
//   std::vector<absl::StatusOr<Case>> loaded(files.size());
//   ParallelFor(files.size(), [&](size_t i) { loaded[i] = LoadCaseFile(files[i]); });
#ifndef CLINSIM_COMMON_PARALLEL_H_
#define CLINSIM_COMMON_PARALLEL_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace clinsim {

template <typename Fn>
void ParallelFor(size_t n, Fn&& fn, unsigned threads = 0) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  // Below a few items per thread, starting threads costs more than it saves.
  threads = static_cast<unsigned>(std::min<size_t>(threads, n / 4));
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) fn(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();  // the calling thread works too
  for (auto& t : pool) t.join();
}

}  // namespace clinsim

#endif  // CLINSIM_COMMON_PARALLEL_H_
