// Step throughput on the bundled library, one core. Run:
//   build/bench/step_benchmark --benchmark_format=json > bench/results/step.json
// Each benchmark cycles over every bundled case so no single case's index dominates. A baseline
// measured in the same run (BM_TokenizeOnly: normalise + split the question, no matching) gives
// the ratio to report: how much a properly matched answer costs over reading the words.
#include <benchmark/benchmark.h>

#include "cases/case_library.h"
#include "common/text.h"
#include "env/episode.h"

namespace {

using clinsim::env::Action;
using clinsim::env::Episode;

std::shared_ptr<const clinsim::env::World> World() {
  static auto w = clinsim::env::World::Create(*clinsim::cases::CaseLibrary::LoadBundled());
  return w;
}

const char* const kQuestions[] = {
    "When did the pain start?", "Does it spread anywhere?", "Any fever or chills?",
    "Do you smoke or drink alcohol?", "What medications do you take?", "Any allergies?",
    "Does anything run in your family?", "Have you lost any weight recently?",
    "Any shortness of breath when you walk?", "How would you describe the pain?"};
constexpr int kNumQuestions = sizeof(kQuestions) / sizeof(kQuestions[0]);

// Episodes with an effectively unlimited turn budget, one per case.
std::vector<std::unique_ptr<Episode>> Episodes() {
  clinsim::env::EpisodeOptions o;
  o.max_turns = 1000;
  std::vector<std::unique_ptr<Episode>> eps;
  for (const auto& c : World()->library().cases()) {
    eps.push_back(*Episode::Create(World(), c.id, 1, o));
  }
  return eps;
}

void RunSteps(benchmark::State& state, const std::vector<Action>& actions) {
  auto eps = Episodes();
  size_t i = 0;
  for (auto _ : state) {
    auto& ep = eps[i % eps.size()];
    if (ep->turns() >= 990) {
      clinsim::env::EpisodeOptions o;
      o.max_turns = 1000;
      ep = *Episode::Create(World(), ep->case_data().id, 1, o);
    }
    auto r = ep->Step(actions[i % actions.size()]);
    benchmark::DoNotOptimize(r);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_TokenizeOnly(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    std::string norm = clinsim::NormalizeText(kQuestions[i++ % kNumQuestions]);
    auto words = clinsim::Tokenize(norm);
    benchmark::DoNotOptimize(words);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenizeOnly);

void BM_StepAsk(benchmark::State& state) {
  std::vector<Action> a;
  for (const char* q : kQuestions) a.push_back(Action::Ask(q));
  RunSteps(state, a);
}
BENCHMARK(BM_StepAsk);

void BM_StepExamine(benchmark::State& state) {
  RunSteps(state, {Action::Examine("cardiovascular"), Action::Examine("abdomen"),
                   Action::Examine("heart, lungs and neuro")});
}
BENCHMARK(BM_StepExamine);

void BM_StepOrder(benchmark::State& state) {
  RunSteps(state, {Action::Order({"cbc"}), Action::Order({"troponin", "ecg"}),
                   Action::Order({"complete blood count with differential", "lipase"})});
}
BENCHMARK(BM_StepOrder);

void BM_ResetAndDiagnose(benchmark::State& state) {
  auto world = World();
  const auto& cases = world->library().cases();
  size_t i = 0;
  for (auto _ : state) {
    auto ep = *Episode::Create(world, cases[i++ % cases.size()].id, i, {});
    auto r = ep->Step(Action::Diagnose("pulmonary embolism"));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResetAndDiagnose);

}  // namespace

BENCHMARK_MAIN();
