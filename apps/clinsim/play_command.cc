#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agents/doctors/human_doctor.h"
#include "apps/clinsim/commands.h"
#include "cases/case_library.h"
#include "env/serialize.h"

namespace clinsim::apps {

int PlayCommand(int argc, char** argv, int first, std::istream& in, std::ostream& out) {
  FlagSet f("play",
            "Plays the doctor in the terminal: one tagged action per line (ASK: ..., EXAMINE: ...,\n"
            "ORDER: ..., DIAGNOSIS: ...; untagged text is a question). Reads from a pipe too.\n"
            "Ends with the score and the case's answer.");
  f.Add("case", "", "case id (required); 'clinsim cases list' shows them");
  f.Add("seed", "0", "episode seed");
  f.Add("cases", "bundled", "case directory, or 'bundled'");
  f.Add("json", "", "also write the transcript and score as JSON to this path");
  AddEpisodeFlags(&f);
  if (auto s = f.Parse(argc, argv, first); !s.ok()) return Fail(s);
  if (f.help_requested()) {
    out << f.Help();
    return 0;
  }
  if (f.Get("case").empty()) {
    return Fail(absl::InvalidArgumentError("--case is required; 'clinsim cases list' shows the ids"));
  }
  long long seed = 0;
  if (auto s = f.GetInt("seed", 0, (1LL << 62), &seed); !s.ok()) return Fail(s);
  env::EpisodeOptions options;
  if (auto s = ReadEpisodeFlags(f, &options); !s.ok()) return Fail(s);
  auto lib = cases::CaseLibrary::Load(f.Get("cases"), false);
  if (!lib.ok()) return Fail(lib.status());
  auto world = env::World::Create(*lib);
  auto ep = env::Episode::Create(world, f.Get("case"), static_cast<uint64_t>(seed), options);
  if (!ep.ok()) return Fail(ep.status());
  agents::HumanDoctor io(in, out);
  out << "Case " << f.Get("case") << ", seed " << seed << ". " << env::ActionGrammar() << "\n\n";
  io.Show((*ep)->initial_observation());
  std::string line;
  while (!(*ep)->done()) {
    if (!io.ReadLine(&line)) {
      out << "\n(input ended before a diagnosis)\n";
      (*ep)->EndWithoutDiagnosis("input_ended");
      break;
    }
    auto r = (*ep)->StepText(line);
    if (!r.ok()) return Fail(r.status(), 1);
    io.Show(r->observation);
    out << absl::StrFormat("  (turn %d, cost so far $%.2f)\n", r->info.turn, r->info.total_cost_usd);
  }
  const env::Score& s = *(*ep)->score();
  out << "\n=== consultation over (" << s.end_reason << ") ===\n";
  out << "your diagnosis:   " << (s.diagnosis.empty() ? "(none)" : s.diagnosis) << "\n";
  out << "case diagnosis:   " << s.true_diagnosis << " (" << s.true_icd10 << ")\n";
  out << absl::StrFormat("judge:            %d/5, %s (%s)\n", s.judge_score,
                         s.correct ? "correct" : "not correct", s.judge_reason);
  out << absl::StrFormat("cost:             $%.2f (visits $%.2f, tests $%.2f), discomfort %d\n",
                         s.cost_usd, s.visit_cost_usd, s.test_cost_usd, s.discomfort);
  out << absl::StrFormat("turns:            %d\n", s.turns);
  out << absl::StrFormat("rubric coverage:  %.0f%%\n", 100 * s.rubric.coverage);
  for (const auto& it : s.rubric.items) {
    out << absl::StrFormat("  [%-8s] %+5.1f  %s\n", rubrics::ItemStatusName(it.status), it.points,
                           it.text);
  }
  out << absl::StrFormat("reward:           %.4f\n", s.total_reward);
  if (s.noise_profile != "none" || s.persona != "plain") {
    out << "noise:            " << s.noise_profile << ", persona: " << s.persona << "\n";
    for (const auto& e : s.noise_events) {
      out << "  turn " << e.turn << " " << e.event.type << " on " << e.event.target << ":\n    '"
          << e.event.before << "'\n -> '" << e.event.after << "'\n";
    }
  }
  if (!f.Get("json").empty()) {
    std::ofstream j(f.Get("json"), std::ios::binary | std::ios::trunc);
    j << nlohmann::json{{"transcript", env::MessagesToJson((*ep)->transcript())},
                        {"score", env::ScoreToJson(s)}}
             .dump(2)
      << "\n";
    if (!j) return Fail(absl::UnavailableError(absl::StrCat("cannot write ", f.Get("json"))), 1);
  }
  return 0;
}

}  // namespace clinsim::apps
