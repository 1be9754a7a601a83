// Load time of a large case library: reading + parsing + validating N case files
// (CaseLibrary::LoadDirectory), then indexing them (World::Create: one FactIndex and rubric per
// case), each timed separately, several times. Run:
//   build/bench/load_library --cases 10000 --dir /tmp/clinsim_10k --repeat 3
// The directory is filled, if empty, with copies of the bundled library under new ids
// ("<id>_cNNNNN"), the way a big imported library looks to the loader. Validation alone is timed
// again on the loaded cases (ValidateCase), to show its share of the load. Each repeat runs once on
// every hardware thread (what clinsim does) and then on one thread (the baseline); the ratio is
// the speed-up. The first run of a process is the slowest (the heap grows): it is the parallel
// one, so its figure is what a command that loads the library once sees, and the ratio errs low. Wall-clock times on a shared machine are noisy: compare figures from the same run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cases/case_library.h"
#include "cases/case_loader.h"
#include "common/embedded_data.h"
#include "env/world.h"
#include "nlohmann/json.hpp"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Writes `n` cases into `dir`: the bundled library over and over, each copy with a new id.
bool Generate(const std::string& dir, int n) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  auto files = clinsim::embedded::ListDir("cases/library");
  if (files.empty()) return false;
  for (int i = 0; i < n; ++i) {
    const auto& f = files[i % files.size()];
    nlohmann::json j = nlohmann::json::parse(f.content);
    std::string id = j["id"].get<std::string>() + "_c" + std::to_string(i);
    j["id"] = id;
    std::ofstream(fs::path(dir) / (id + ".json")) << j.dump(2);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 10000, repeat = 3;
  std::string dir = "/tmp/clinsim_load_10k";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--cases") {
      n = std::atoi(argv[i + 1]);
    } else if (flag == "--dir") {
      dir = argv[i + 1];
    } else if (flag == "--repeat") {
      repeat = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: load_library [--cases N] [--dir DIR] [--repeat R]\n");
      return 2;
    }
  }
  namespace fs = std::filesystem;
  if (!fs::exists(dir) || fs::is_empty(dir)) {
    auto t = std::chrono::steady_clock::now();
    if (!Generate(dir, n)) return 1;
    std::printf("generated %d cases in %s (%.2f s)\n", n, dir.c_str(), Seconds(t));
  }
  // The shared catalogs and lexicon are built once per process, before any timing.
  clinsim::agents::Lexicon::Default();
  clinsim::cases::TestCatalog::Default();
  clinsim::cases::ExamCatalog::Default();
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  std::printf("%-6s %7s %10s %10s %10s %10s\n", "run", "threads", "load s", "index s", "total s",
              "validate s");
  double parallel_total = 0;
  for (int r = 0; r < 2 * repeat; ++r) {
    const unsigned threads = r % 2 == 0 ? hw : 1;
    auto t0 = std::chrono::steady_clock::now();
    auto lib = clinsim::cases::CaseLibrary::LoadDirectory(dir, /*strict=*/false, threads);
    if (!lib.ok()) {
      std::fprintf(stderr, "%s\n", std::string(lib.status().message()).c_str());
      return 1;
    }
    double load = Seconds(t0);
    auto t1 = std::chrono::steady_clock::now();
    auto world = clinsim::env::World::Create(*lib, threads);
    double index = Seconds(t1);
    double total = Seconds(t0);
    auto t2 = std::chrono::steady_clock::now();
    size_t problems = 0;
    for (const auto& c : (*lib)->cases()) {
      problems += clinsim::cases::ValidateCase(c, world->tests(), world->exams()).size();
    }
    double validate = Seconds(t2);
    std::printf("%-6d %7u %10.3f %10.3f %10.3f %10.3f   (%zu cases, %zu load errors, %zu problems)\n",
                r / 2, threads, load, index, total, validate, (*lib)->cases().size(),
                (*lib)->errors().size(), problems);
    if (r % 2 == 1) {
      std::printf("       speed-up of %u threads over 1: %.2fx\n", hw, total / parallel_total);
    }
    if (r % 2 == 0) parallel_total = total;
  }
  return 0;
}
