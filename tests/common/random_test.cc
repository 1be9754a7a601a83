#include "common/random.h"

#include <set>

#include "gtest/gtest.h"

namespace clinsim {
namespace {

TEST(Rng, SameSeedSameStreamAcrossInstances) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint32_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs = differs || x != c.Next();
  }
  EXPECT_TRUE(differs);
}

TEST(Rng, KnownValuesPinTheAlgorithm) {
  // Pinned so that a change to the generator (which would change every transcript) is noticed.
  Rng r(0);
  uint32_t first = r.Next();
  Rng r2(0);
  EXPECT_EQ(first, r2.Next());
  EXPECT_EQ(Mix(0), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(StableHash(""), 0xcbf29ce484222325ULL);
}

TEST(Rng, UniformIsInRangeAndRoughlyFlat) {
  Rng r(7);
  int counts[10] = {0};
  for (int i = 0; i < 100000; ++i) {
    uint32_t x = r.Uniform(10);
    ASSERT_LT(x, 10u);
    ++counts[x];
  }
  for (int c : counts) {
    EXPECT_GT(c, 9000);
    EXPECT_LT(c, 11000);
  }
  for (int i = 0; i < 1000; ++i) {
    double d = r.UniformDouble();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
  }
}

TEST(DeriveSeed, NamedStreamsDiffer) {
  EXPECT_NE(DeriveSeed(1, "patient"), DeriveSeed(1, "doctor"));
  EXPECT_EQ(DeriveSeed(1, "patient"), DeriveSeed(1, "patient"));
}

}  // namespace
}  // namespace clinsim
