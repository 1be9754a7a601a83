#include "common/parallel.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace clinsim {
namespace {

TEST(ParallelFor, CallsEveryIndexExactlyOnce) {
  for (size_t n : {0u, 1u, 3u, 7u, 1000u}) {
    std::vector<std::atomic<int>> calls(n);
    ParallelFor(n, [&](size_t i) { calls[i].fetch_add(1); }, /*threads=*/4);
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(calls[i].load(), 1) << "n " << n << " index " << i;
  }
}

TEST(ParallelFor, UsesSeveralThreadsForEnoughWork) {
  std::mutex mu;
  std::set<std::thread::id> ids;
  std::atomic<int> arrived{0};
  // Each of the first items waits (bounded) until another thread has arrived too, so one thread
  // cannot take all the work before the others start.
  ParallelFor(64, [&](size_t) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(std::this_thread::get_id());
    }
    arrived.fetch_add(1);
    for (int spin = 0; spin < 2000 && arrived.load() < 2; ++spin) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }, /*threads=*/2);
  EXPECT_EQ(ids.size(), 2u);
}

TEST(ParallelFor, FewItemsRunOnTheCallingThread) {
  std::vector<std::thread::id> ids(3);
  ParallelFor(3, [&](size_t i) { ids[i] = std::this_thread::get_id(); }, /*threads=*/8);
  for (const auto& id : ids) EXPECT_EQ(id, std::this_thread::get_id());
}

}  // namespace
}  // namespace clinsim
