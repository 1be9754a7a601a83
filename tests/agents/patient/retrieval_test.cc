// The retrieval test set (tests/data/retrieval/*.json): questions written by the project, each
// with the facts that should answer it. Precision and recall are measured per question type and
// must stay at or above the thresholds below; the printed table has the figures.
//
// Against overfitting, the pairs are split by a hash of the question into a tuning half and a
// held-out half (SplitOf). Matcher changes are tuned on the tuning half only: misses are printed
// for it alone unless CLINSIM_RETRIEVAL_MISSES=all (or =none). Both halves are reported; the
// thresholds apply to the whole set.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <sstream>

#include "agents/patient/fact_retriever.h"
#include "cases/case_writer.h"
#include "cases/importers/importer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/fixtures.h"

namespace clinsim::agents {
namespace {

struct Tally {
  int questions = 0;
  int expected = 0;   // expected facts
  int returned = 0;   // facts returned
  int correct = 0;    // returned and expected
  int absent_ok = 0;  // "absent" questions answered with no fact
};

struct Result {
  double precision = 0, recall = 0;
};

enum Half { kTune, kHeldOut };

// FNV-1a of the question text: a fixed, platform-independent split, about half each way.
Half SplitOf(const std::string& question) {
  uint32_t h = 2166136261u;
  for (unsigned char ch : question) h = (h ^ ch) * 16777619u;
  return (h >> 7) % 2 == 0 ? kTune : kHeldOut;
}

// `only`: evaluate the tuning half alone (for sweeps); otherwise the whole set.
Result Evaluate(const MatcherParams& params, bool print, bool tune_only = false);
Result EvaluateDir(const std::shared_ptr<const env::World>& world, const std::string& subdir,
                   const MatcherParams& params, bool print, bool tune_only = false);

// Imported cases (shared/data, present in CI) with questions written by the project.
std::shared_ptr<const env::World> ImportedWorld() {
  static const auto world = []() -> std::shared_ptr<const env::World> {
    auto read = [](const std::string& path) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      return ss.str();
    };
    std::string shared = CLINSIM_SHARED_DIR;
    std::string ac = read(shared + "/data/agentclinic/agentclinic_medqa.jsonl");
    std::string mq = read(shared + "/data/mediq/all_craft_md.jsonl");
    if (ac.empty() || mq.empty()) return nullptr;
    auto dir = std::filesystem::temp_directory_path() / ("clinsim_imported_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for (auto [format, text] : {std::pair{"agentclinic", ac}, std::pair{"mediq", mq}}) {
      cases::ImportResult r = (*cases::CreateImporter(format))->Import(text, {});
      for (const auto& c : r.cases) {
        std::ofstream(dir / (c.id + ".json")) << cases::CaseToJson(c).dump();
      }
    }
    auto lib = cases::CaseLibrary::LoadDirectory(dir.string(), true);
    std::filesystem::remove_all(dir);
    if (!lib.ok()) return nullptr;
    return env::World::Create(*lib);
  }();
  return world;
}

TEST(Retrieval, PrecisionAndRecallOnImportedCases) {
  auto world = ImportedWorld();
  if (world == nullptr) GTEST_SKIP() << "shared/data not present";
  Result r = EvaluateDir(world, "tests/data/retrieval_imported", MatcherParams{}, /*print=*/true);
  EXPECT_GE(r.precision, 0.66);  // measured 0.684: far from the 0.9 goal (issue 7)
  EXPECT_GE(r.recall, 0.65);  // measured 0.672
}

TEST(Retrieval, PrecisionAndRecallOnTheProjectTestSet) {
  Result r = Evaluate(MatcherParams{}, /*print=*/true);
  // Floors: raise them as the matcher improves, never lower them to make a change pass.
  EXPECT_GE(r.precision, 0.85);
  EXPECT_GE(r.recall, 0.92);
}

// Not a check: prints precision/recall on the tuning half over a grid of matcher parameters.
// Run: build/tests/agents_test --gtest_also_run_disabled_tests --gtest_filter='*Sweep*'
TEST(Retrieval, DISABLED_ParameterSweep) {
  auto imported = ImportedWorld();
  for (float cov : {0.3f, 0.35f}) {
    for (float rel : {0.85f, 0.9f, 0.95f}) {
      for (float cue : {0.0f, 0.5f, 1.0f}) {
        for (float b : {0.0f, 0.25f}) {
          MatcherParams m;
          m.min_coverage = cov;
          m.relative_score = rel;
          m.answer_cue_weight = cue;
          m.length_norm = b;
          Result r = Evaluate(m, false, /*tune_only=*/true);
          Result ri = imported == nullptr ? Result{}
                                          : EvaluateDir(imported, "tests/data/retrieval_imported", m,
                                                        false, /*tune_only=*/true);
          printf("cov %.2f rel %.2f cue %.1f b %.2f  project P %.3f R %.3f  imported P %.3f R %.3f\n",
                 cov, rel, cue, b, r.precision, r.recall, ri.precision, ri.recall);
        }
      }
    }
  }
}

Result Evaluate(const MatcherParams& params, bool print, bool tune_only) {
  return EvaluateDir(clinsim::testing::BundledWorld(), "tests/data/retrieval", params, print,
                     tune_only);
}

Result EvaluateDir(const std::shared_ptr<const env::World>& world, const std::string& subdir,
                   const MatcherParams& params, bool print, bool tune_only) {
  const char* misses_env = std::getenv("CLINSIM_RETRIEVAL_MISSES");
  std::string show_misses = misses_env == nullptr ? "tune" : misses_env;
  std::filesystem::path dir = std::filesystem::path(CLINSIM_SOURCE_DIR) / subdir;
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  std::map<std::string, Tally> by_type;
  Tally all, halves[2];
  int files = 0;
  std::vector<std::string> misses;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    nlohmann::json j = nlohmann::json::parse(in);
    const cases::Case* c = world->FindCase(j["case_id"].get<std::string>());
    EXPECT_NE(c, nullptr) << entry.path();
    if (c == nullptr) continue;
    ++files;
    auto index = std::make_shared<FactIndex>(*c, Lexicon::Default(), params);
    for (const auto& item : j["items"]) {
      std::string q = item["question"];
      std::string type = item.value("type", "paraphrase");
      Half half = SplitOf(q);
      if (tune_only && half != kTune) continue;
      std::set<std::string> expected;
      for (const auto& e : item["expected"]) expected.insert(e.get<std::string>());
      std::set<std::string> got;
      for (int f : index->Retrieve(q).AllFacts()) got.insert(c->facts[f].id);
      for (Tally* t : {&by_type[type], &all, &halves[half]}) {
        ++t->questions;
        t->expected += static_cast<int>(expected.size());
        t->returned += static_cast<int>(got.size());
        for (const auto& g : got) t->correct += expected.contains(g);
        if (expected.empty() && got.empty()) ++t->absent_ok;
      }
      bool show = show_misses == "all" || (show_misses == "tune" && half == kTune);
      if (got != expected && show && misses.size() < 400) {
        std::string g;
        for (const auto& x : got) g += x + " ";
        std::string e;
        for (const auto& x : expected) e += x + " ";
        std::string m = c->id + ": '" + q + "' expected [" + e + "] got [" + g + "]";
        // The facts in one list only, with their text, so a miss can be judged without the case.
        for (const auto& f : c->facts) {
          if (expected.contains(f.id) != got.contains(f.id)) {
            m += "\n      " + f.id + (expected.contains(f.id) ? " (missed) " : " (extra) ") + f.text;
          }
        }
        misses.push_back(std::move(m));
      }
    }
  }
  EXPECT_GE(files, 20) << subdir;
  auto pr = [](const Tally& t) {
    double p = t.returned == 0 ? 1.0 : static_cast<double>(t.correct) / t.returned;
    double r = t.expected == 0 ? 1.0 : static_cast<double>(t.correct) / t.expected;
    return std::make_pair(p, r);
  };
  auto [p, r] = pr(all);
  if (!print) return {p, r};
  printf("\nretrieval (%s): %d files, %d questions\n%-12s %9s %9s %9s\n", subdir.c_str(), files, all.questions, "type",
         "questions", "precision", "recall");
  for (const auto& [type, t] : by_type) {
    auto [p, r] = pr(t);
    printf("%-12s %9d %9.3f %9.3f\n", type.c_str(), t.questions, p, r);
  }
  printf("%-12s %9d %9.3f %9.3f\n", "all", all.questions, p, r);
  for (Half h : {kTune, kHeldOut}) {
    auto [hp, hr] = pr(halves[h]);
    printf("%-12s %9d %9.3f %9.3f\n", h == kTune ? "(tuning)" : "(held-out)", halves[h].questions, hp, hr);
  }
  for (const auto& m : misses) printf("  miss: %s\n", m.c_str());
  return {p, r};
}

}  // namespace
}  // namespace clinsim::agents
