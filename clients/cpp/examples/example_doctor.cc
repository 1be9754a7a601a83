// An example doctor built on the C++ client: it connects to `clinsim serve`, takes a careful
// history with fixed questions, examines the systems the complaint points to, orders a basic
// panel, and diagnoses from a few keyword rules. It is a template for your own agent, not a
// strong baseline (for that, see `clinsim bench --doctor scripted`).
//
//   build/clinsim serve --address 127.0.0.1:50051 &
//   build/clients/cpp/example_doctor 127.0.0.1:50051 [EPISODES]
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "clients/cpp/env_client.h"

namespace v1 = clinsim::v1;

namespace {

// What the complaint suggests examining and ordering, and a guess to fall back on.
struct Rule {
  const char* keyword;
  const char* exam;
  const char* tests;
  const char* diagnosis;
};
constexpr Rule kRules[] = {
    {"chest", "cardiovascular, respiratory", "ecg, troponin, chest x-ray", "acute coronary syndrome"},
    {"breath", "respiratory, cardiovascular", "chest x-ray, bnp, d-dimer", "pneumonia"},
    {"cough", "respiratory", "chest x-ray, cbc", "community-acquired pneumonia"},
    {"abdominal", "abdominal", "lipase, cbc, comprehensive metabolic panel", "acute pancreatitis"},
    {"headache", "neurological, heent", "ct head", "migraine"},
    {"fever", "general, skin", "cbc, blood culture, urinalysis", "urinary tract infection"},
    {"urin", "abdominal, genitourinary", "urinalysis, urine culture", "urinary tract infection"},
    {"rash", "skin", "cbc", "contact dermatitis"},
    {"joint", "musculoskeletal", "uric acid, esr, crp", "gout"},
    {"weak", "neurological", "ct head, glucose", "ischemic stroke"},
};

std::string Lower(std::string s) { return absl::AsciiStrToLower(s); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: example_doctor HOST:PORT [EPISODES]\n";
    return 2;
  }
  const int episodes = argc > 2 ? std::atoi(argv[2]) : 5;
  auto env = clinsim::client::EnvClient::Connect(argv[1]);
  absl::StatusOr<v1::ListCasesResponse> cases = env->ListCases();
  if (!cases.ok()) {
    std::cerr << "cannot list cases at " << argv[1] << ": " << cases.status() << "\n";
    return 1;
  }
  int correct = 0;
  double cost = 0;
  for (int i = 0; i < episodes && i < cases->cases_size(); ++i) {
    absl::StatusOr<v1::ResetResponse> reset = env->Reset(cases->cases(i).id(), /*seed=*/i);
    if (!reset.ok()) {
      std::cerr << "reset failed: " << reset.status() << "\n";
      return 1;
    }
    std::string heard;
    for (const auto& m : reset->observation().messages()) heard += Lower(m.content()) + " ";
    const Rule* rule = nullptr;
    for (const Rule& r : kRules) {
      if (absl::StrContains(heard, r.keyword)) {
        rule = &r;
        break;
      }
    }
    std::vector<std::string> plan = {
        "ASK: When did this start, and has it got better or worse since?",
        "ASK: Where exactly is it, and does it spread anywhere?",
        "ASK: Do you have any other symptoms, such as fever, weight loss or night sweats?",
        "ASK: What medical conditions do you have, and what medicines do you take?",
        std::string("EXAMINE: ") + (rule ? rule->exam : "general"),
        std::string("ORDER: ") + (rule ? rule->tests : "cbc, basic metabolic panel"),
        std::string("DIAGNOSIS: ") + (rule ? rule->diagnosis : "viral illness"),
    };
    for (const std::string& action : plan) {
      absl::StatusOr<v1::StepResponse> step = env->StepText(reset->episode_id(), action);
      if (!step.ok()) {
        std::cerr << "step failed: " << step.status() << "\n";
        return 1;
      }
      if (step->terminated() || step->truncated()) break;
    }
    absl::StatusOr<v1::Score> score = env->GetScore(reset->episode_id());
    if (!score.ok()) {
      std::cerr << "score failed: " << score.status() << "\n";
      return 1;
    }
    correct += score->correct();
    cost += score->cost_usd();
    std::cout << absl::StrFormat("%-45s %-8s judge %d  $%.0f  rubric %.0f%%\n", score->case_id(),
                                 score->correct() ? "correct" : "wrong", score->judge_score(),
                                 score->cost_usd(), 100 * score->rubric().coverage());
    (void)env->Close(reset->episode_id());
  }
  std::cout << absl::StrFormat("%d correct, mean cost $%.0f\n", correct, episodes ? cost / episodes : 0);
  return 0;
}
