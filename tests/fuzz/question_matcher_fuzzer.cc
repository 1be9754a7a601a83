// Fuzzes what a doctor's free text reaches on the patient's side and in the judge: bytes -> the
// FactIndex retrieval and RulePatient::Answer on a few bundled cases (plain, and noisy with a
// persona), then the judge's Canonical/Matches/Evaluate with the text as a diagnosis.
// Input: byte 0 picks the case and the patient; the rest is the question.
// Invariants: retrieved facts are valid indexes; the patient never names the diagnosis unless
// the question did; the judge's score is 1..5 with correct == score >= 4; a name matches itself.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "agents/judge/judge.h"
#include "agents/patient/patient.h"
#include "cases/case_library.h"
#include "common/text.h"
#include "env/world.h"
#include "noise/noise.h"

namespace {

using namespace clinsim;  // NOLINT: a fuzz driver

[[noreturn]] void Fail(const std::string& what, absl::string_view input) {
  std::fprintf(stderr, "question_matcher_fuzzer: %s\n--- input:\n%s\n---\n", what.c_str(),
               std::string(input).c_str());
  std::abort();
}

struct Fixture {
  std::shared_ptr<const env::World> world;
  std::vector<const cases::Case*> cases;
  std::vector<std::unique_ptr<noise::NoiseEngine>> noise;  // one per case, "hostile"
};

const Fixture& Get() {
  static const Fixture* f = [] {
    auto* f = new Fixture;
    auto lib = cases::CaseLibrary::LoadBundled();
    if (!lib.ok()) Fail("the bundled library does not load", "");
    f->world = env::World::Create(*lib);
    for (const char* id : {"cardiology_inferior_stemi", "gastroenterology_acute_appendicitis",
                           "neurology_cluster_headache", "pediatrics_croup",
                           "rheumatology_systemic_sclerosis"}) {
      const cases::Case* c = f->world->FindCase(id);
      if (c == nullptr) Fail(std::string("missing bundled case ") + id, "");
      f->cases.push_back(c);
      f->noise.push_back(std::make_unique<noise::NoiseEngine>(*noise::ParseNoiseSpec("hostile"), 7, c->id));
    }
    return f;
  }();
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 8 * 1024) return 0;
  const Fixture& f = Get();
  const uint8_t selector = data[0];
  absl::string_view question(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t which = selector % f.cases.size();
  const cases::Case& c = *f.cases[which];
  auto index = f.world->FactIndexFor(c);

  agents::Retrieval r = index->Retrieve(question);
  for (const auto& clause : r.clauses) {
    for (int fact : clause.facts) {
      if (fact < 0 || fact >= static_cast<int>(c.facts.size())) Fail("fact index out of range", question);
    }
  }
  for (int fact : r.AllFacts()) {
    if (fact < 0 || fact >= static_cast<int>(c.facts.size())) Fail("AllFacts out of range", question);
  }

  const bool noisy = (selector / f.cases.size()) % 2 == 1;
  agents::Persona persona;
  if (noisy) persona = *agents::ParsePersona("random", selector);
  agents::RulePatient patient(index, /*seed=*/selector, noisy ? f.noise[which].get() : nullptr, persona);
  // Two answers: the second goes through the "already said" paths.
  for (int round = 0; round < 2; ++round) {
    agents::PatientReply reply = patient.Answer(question);
    for (int fact : reply.revealed_facts) {
      if (fact < 0 || fact >= static_cast<int>(c.facts.size())) Fail("revealed fact out of range", question);
    }
    std::string found;
    if (!index->secrets().Find(question) && index->secrets().Find(reply.text, &found)) {
      Fail("the patient said the diagnosis '" + found + "': " + reply.text, question);
    }
  }

  // The same text as a diagnosis, for the judge (its tables are shared and read-only).
  agents::RuleJudge judge;
  agents::Verdict v = judge.Evaluate(c.diagnosis, question, "", {});
  if (v.score < 1 || v.score > 5 || v.correct != (v.score >= 4)) Fail("a verdict off the scale", question);
  const std::string canonical = judge.Canonical(question);
  if (!canonical.empty() && !judge.Matches(question, question)) Fail("a name does not match itself", question);
  (void)judge.Matches(question, c.diagnosis.name);
  (void)judge.Matches(c.diagnosis.name, question);
  (void)agents::NormalizeIcd10(question);
  return 0;
}
