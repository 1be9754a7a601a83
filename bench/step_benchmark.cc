// Step throughput on the bundled library, one core. Run:
//   build/bench/step_benchmark --benchmark_format=json > bench/results/step.json
// Each benchmark cycles over every bundled case so no single case's index dominates. A baseline
// measured in the same run (BM_TokenizeOnly: normalise + split the question, no matching) gives
// the ratio to report: how much a properly matched answer costs over reading the words.
#include <benchmark/benchmark.h>

#include "cases/case_library.h"
#include "common/text.h"
#include "env/episode.h"
#include "noise/noise.h"

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

// Episodes with an effectively unlimited turn budget, one per case, under a noise profile.
clinsim::env::EpisodeOptions Options(const char* noise) {
  clinsim::env::EpisodeOptions o;
  o.max_turns = 1000;
  o.noise = *clinsim::noise::ParseNoiseSpec(noise);
  return o;
}

std::vector<std::unique_ptr<Episode>> Episodes(const char* noise = "none") {
  clinsim::env::EpisodeOptions o = Options(noise);
  std::vector<std::unique_ptr<Episode>> eps;
  for (const auto& c : World()->library().cases()) {
    eps.push_back(*Episode::Create(World(), c.id, 1, o));
  }
  return eps;
}

void RunSteps(benchmark::State& state, const std::vector<Action>& actions,
              const char* noise = "none") {
  auto eps = Episodes(noise);
  size_t i = 0;
  for (auto _ : state) {
    auto& ep = eps[i % eps.size()];
    if (ep->turns() >= 990) ep = *Episode::Create(World(), ep->case_data().id, 1, Options(noise));
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

// The same questions with the `realistic` noise profile: the cost of noise on the hot path.
void BM_StepAskRealisticNoise(benchmark::State& state) {
  std::vector<Action> a;
  for (const char* q : kQuestions) a.push_back(Action::Ask(q));
  RunSteps(state, a, "realistic");
}
BENCHMARK(BM_StepAskRealisticNoise);

// One patient noise type rewriting a typical fact (the model always fires here).
void BM_NoiseModel(benchmark::State& state, const char* type) {
  auto model = *clinsim::noise::CreateNoiseModel(type, clinsim::noise::NoiseTables::Default());
  const std::string fact =
      "The sharp pain in my chest started two days ago and it is really bad when I breathe in.";
  clinsim::Rng rng(1);
  for (auto _ : state) {
    auto out = model->Apply(fact, "chest pain", rng, nullptr);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK_CAPTURE(BM_NoiseModel, body_part_swap, "patient.body_part_swap");
BENCHMARK_CAPTURE(BM_NoiseModel, symptom_confusion, "patient.symptom_confusion");
BENCHMARK_CAPTURE(BM_NoiseModel, severity_change, "patient.severity_change");
BENCHMARK_CAPTURE(BM_NoiseModel, temporal_change, "patient.temporal_change");
BENCHMARK_CAPTURE(BM_NoiseModel, self_diagnosis, "patient.self_diagnosis");

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
    auto ep = *Episode::Create(world, cases[i % cases.size()].id, i, {});
    ++i;
    auto r = ep->Step(Action::Diagnose("pulmonary embolism"));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResetAndDiagnose);

}  // namespace

BENCHMARK_MAIN();
