// The project's own random generator: reproducible across compilers, libraries and runs.
//
// std::*_distribution is implementation-defined and absl::BitGen is salted per process, so
// neither can give "same seed => same transcript" guarantees. Every random decision in clinsim
// goes through Rng (PCG32 seeded through SplitMix64) or through the pure Mix() hash.
//
//   Rng rng(DeriveSeed(episode_seed, "random_doctor"));
//   int pick = rng.Uniform(10);          // 0..9
//   bool flip = rng.Bernoulli(0.25);
#ifndef CLINSIM_COMMON_RANDOM_H_
#define CLINSIM_COMMON_RANDOM_H_

#include "absl/strings/string_view.h"
#include <cstdint>
#include <string_view>

namespace clinsim {

// SplitMix64 step: a strong 64-bit mixer, used to derive seeds and for stateless decisions.
inline uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a of a string; stable across platforms (unlike std::hash).
inline uint64_t StableHash(absl::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// A seed for a named stream of an episode, e.g. DeriveSeed(seed, "patient").
inline uint64_t DeriveSeed(uint64_t seed, absl::string_view stream) {
  return Mix(seed ^ Mix(StableHash(stream)));
}

// PCG32 (O'Neill 2014, XSH RR variant).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(0), inc_((Mix(seed + 1) << 1) | 1) {
    Next();
    state_ += Mix(seed);
    Next();
  }
  uint32_t Next() {
    uint64_t old = state_;
    state_ = old * 6364136223846793005ULL + inc_;
    uint32_t xorshifted = static_cast<uint32_t>(((old >> 18) ^ old) >> 27);
    uint32_t rot = static_cast<uint32_t>(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
  }
  // Uniform integer in [0, n), without modulo bias (Lemire's method). n must be > 0.
  uint32_t Uniform(uint32_t n) {
    uint64_t m = static_cast<uint64_t>(Next()) * n;
    uint32_t low = static_cast<uint32_t>(m);
    if (low < n) {
      uint32_t threshold = (-n) % n;
      while (low < threshold) {
        m = static_cast<uint64_t>(Next()) * n;
        low = static_cast<uint32_t>(m);
      }
    }
    return static_cast<uint32_t>(m >> 32);
  }
  // Uniform double in [0, 1) with 53 random bits.
  double UniformDouble() {
    uint64_t hi = Next(), lo = Next();
    return static_cast<double>(((hi << 32) | lo) >> 11) * 0x1.0p-53;
  }
  bool Bernoulli(double p) { return UniformDouble() < p; }

 private:
  uint64_t state_;
  uint64_t inc_;
};

}  // namespace clinsim

#endif  // CLINSIM_COMMON_RANDOM_H_
