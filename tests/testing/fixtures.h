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

}  // namespace clinsim::testing

#endif  // CLINSIM_TESTS_TESTING_FIXTURES_H_
