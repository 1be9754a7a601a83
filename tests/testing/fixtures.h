// Shared test fixtures: the bundled world, loaded once per test binary.
#ifndef CLINSIM_TESTS_TESTING_FIXTURES_H_
#define CLINSIM_TESTS_TESTING_FIXTURES_H_

#include <cstdlib>
#include <memory>

#include "cases/case_library.h"
#include "env/world.h"

namespace clinsim::testing {

inline std::shared_ptr<const env::World> BundledWorld() {
  static const auto world = [] {
    auto lib = cases::CaseLibrary::LoadBundled();
    if (!lib.ok()) std::abort();
    return env::World::Create(*lib);
  }();
  return world;
}

// Tests that sweep every case take every Nth one when CLINSIM_TEST_CASE_STRIDE=N is set: the
// sanitizer builds (scripts/sanitize.sh) look for memory and threading errors, which a sample finds
// as well as the whole library does, at a fraction of the time. Unset: every case.
inline size_t CaseStride() {
  static const size_t stride = [] {
    const char* s = std::getenv("CLINSIM_TEST_CASE_STRIDE");
    long n = s != nullptr ? std::strtol(s, nullptr, 10) : 1;
    return n >= 1 ? static_cast<size_t>(n) : size_t{1};
  }();
  return stride;
}
inline bool CaseInSample(size_t index) { return index % CaseStride() == 0; }

}  // namespace clinsim::testing

#endif  // CLINSIM_TESTS_TESTING_FIXTURES_H_
