#include "absl/strings/string_view.h"
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "apps/clinsim/bench_runner.h"
#include "apps/clinsim/commands.h"
#include "apps/clinsim/llm_flags.h"
#include "agents/doctors/doctor.h"
#include "absl/strings/str_join.h"
#include "cases/case_library.h"
#include "noise/noise.h"

namespace clinsim::apps {

int Fail(const absl::Status& s, int code) {
  std::cerr << "clinsim: " << s.message() << "\n";
  return code;
}

void AddEpisodeFlags(FlagSet* f) {
  f->Add("max-turns", "40", "turn limit per episode; the episode is truncated there");
  f->Add("visit-fee", "300", "physician visit fee in USD (SDBench: 300)");
  f->Add("budget", "0", "cost budget in USD per episode; 0 means no budget");
  f->AddBool("dense-reward", "pay cost, discomfort and turn penalties per step instead of at the end");
  f->Add("noise", "none",
         "noise profile (none, mild, realistic, hostile), TYPE=RATE pairs, or a profile then pairs, "
         "e.g. 'mild,patient.omission=0.3'");
  f->Add("reward-weights", "",
         "override reward weights, e.g. 'diagnosis=1,rubric=0.5,cost=0.1,discomfort=0.01,turn=0,"
         "invalid=0.05,information_gain=0.02' (cost is per $1,000; see docs/scoring.md)");
  f->Add("persona", "plain",
         "patient persona: plain, random (drawn per seed), or "
         "temperament=...,literacy=...,recall=...,bias=...");
}

absl::Status ReadEpisodeFlags(const FlagSet& f, env::EpisodeOptions* o) {
  long long turns = 0;
  if (auto s = f.GetInt("max-turns", 1, 1000, &turns); !s.ok()) return s;
  o->max_turns = static_cast<int>(turns);
  if (auto s = f.GetDouble("visit-fee", 0, 1e6, &o->visit_fee_usd); !s.ok()) return s;
  if (auto s = f.GetDouble("budget", 0, 1e9, &o->budget_usd); !s.ok()) return s;
  o->dense_reward = f.GetBool("dense-reward");
  for (absl::string_view part : absl::StrSplit(f.Get("reward-weights"), ',', absl::SkipWhitespace())) {
    std::vector<std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    double v = 0;
    if (kv.size() != 2 || !absl::SimpleAtod(kv[1], &v)) {
      return absl::InvalidArgumentError(absl::StrCat("--reward-weights: '", part, "' is not NAME=NUMBER"));
    }
    std::string k(absl::StripAsciiWhitespace(kv[0]));
    env::RewardWeights& w = o->weights;
    double* slot = k == "diagnosis" ? &w.diagnosis : k == "rubric" ? &w.rubric
                 : k == "cost" ? &w.cost_per_1000_usd : k == "discomfort" ? &w.discomfort
                 : k == "turn" ? &w.turn : k == "invalid" ? &w.invalid_action
                 : k == "information_gain" ? &w.information_gain : nullptr;
    if (slot == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--reward-weights: unknown weight '", k,
          "'; use diagnosis, rubric, cost, discomfort, turn, invalid, information_gain"));
    }
    *slot = v;
  }
  auto noise = noise::ParseNoiseSpec(f.Get("noise"));
  if (!noise.ok()) return noise.status();
  o->noise = *std::move(noise);
  if (f.Get("persona") == "random") {
    o->random_persona = true;
  } else {
    auto persona = agents::ParsePersona(f.Get("persona"), 0);
    if (!persona.ok()) return persona.status();
    o->persona = *std::move(persona);
  }
  return absl::OkStatus();
}

int BenchCommand(int argc, char** argv, int first) {
  FlagSet f("bench",
            "Runs a built-in doctor over cases x seeds in-process and prints accuracy, mean cost,\n"
            "rubric coverage and turns, overall and per specialty and difficulty. The same flags\n"
            "give the same numbers, whatever the thread count.");
  f.Add("doctor", "scripted",
        absl::StrCat("doctor agent: ", absl::StrJoin(agents::DoctorNames(), ", "),
                     ", llm (a model through --llm-base-url), or grpc://HOST:PORT (a Doctor service)"));
  f.Add("cases", "bundled", "case directory, or 'bundled' for the library built into clinsim");
  f.Add("case", "", "comma-separated case ids to run (default: every case)");
  f.Add("seeds", "1", "seeds per case (seeds first-seed .. first-seed+N-1)");
  f.Add("first-seed", "0", "first seed");
  f.Add("threads", "0", "worker threads; 0 uses every core");
  f.Add("json", "", "write the results as JSON to this path");
  f.AddBool("strict", "fail if any case file is invalid (default: skip it with a warning)");
  f.AddBool("noise-ablation",
            "also run each noise type alone at --ablation-rate and report the drop against none");
  f.Add("ablation-rate", "0.3", "rate of the single noise type in each --noise-ablation run");
  f.Add("run-dir", "",
        "keep every episode (config, trajectory, score) in DIR/run.sqlite as it finishes; rerunning "
        "the same command resumes and runs only what is missing");
  f.Add("shard", "0/1", "run slice i of N of the (case, seed) jobs, e.g. 0/2 and 1/2 on two machines");
  f.Add("concurrency", "64",
        "episodes in flight at once when a model plays a role or the doctor (they wait on the "
        "network, not on a core)");
  AddEpisodeFlags(&f);
  AddLlmFlags(&f, DefaultLlmCachePath());
  if (auto s = f.Parse(argc, argv, first); !s.ok()) return Fail(s);
  if (f.help_requested()) {
    std::cout << f.Help();
    return 0;
  }
  if (!f.positional().empty()) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", f.positional()[0], "'; bench takes only flags")));
  }
  auto llm = ReadLlmFlags(f, f.Get("doctor") == "llm");
  if (!llm.ok()) return Fail(llm.status());
  BenchConfig cfg;
  cfg.doctor = f.Get("doctor");
  long long seeds = 0, first_seed = 0, threads = 0;
  if (auto s = f.GetInt("seeds", 1, 1000000, &seeds); !s.ok()) return Fail(s);
  if (auto s = f.GetInt("first-seed", 0, (1LL << 62), &first_seed); !s.ok()) return Fail(s);
  if (auto s = f.GetInt("threads", 0, 256, &threads); !s.ok()) return Fail(s);
  if (auto s = ReadEpisodeFlags(f, &cfg.options); !s.ok()) return Fail(s);
  long long concurrency = 0;
  if (auto s = f.GetInt("concurrency", 1, 4096, &concurrency); !s.ok()) return Fail(s);
  cfg.concurrency = static_cast<int>(concurrency);
  cfg.options.roles = llm->roles;
  cfg.llm = llm->services;
  cfg.llm_config = llm->config;
  cfg.seeds = static_cast<int>(seeds);
  cfg.first_seed = static_cast<uint64_t>(first_seed);
  cfg.threads = threads == 0 ? std::max(1u, std::thread::hardware_concurrency())
                             : static_cast<int>(threads);
  for (absl::string_view id : absl::StrSplit(f.Get("case"), ',', absl::SkipWhitespace())) {
    cfg.case_ids.emplace_back(id);
  }
  auto lib = cases::CaseLibrary::Load(f.Get("cases"), f.GetBool("strict"));
  if (!lib.ok()) return Fail(lib.status());
  for (const auto& e : (*lib)->errors()) std::cerr << "clinsim: skipping invalid case: " << e << "\n";
  {
    std::vector<std::string> parts = absl::StrSplit(f.Get("shard"), '/');
    int i = -1, n = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &i) || !absl::SimpleAtoi(parts[1], &n) ||
        n < 1 || i < 0 || i >= n) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("--shard must be i/N with 0 <= i < N, got '", f.Get("shard"), "'")));
    }
    cfg.shard_index = i;
    cfg.shard_count = n;
  }
  auto world = env::World::Create(*lib);
  std::unique_ptr<runs::RunStore> store;
  if (!f.Get("run-dir").empty()) {
    auto s = runs::RunStore::Open(f.Get("run-dir"), BenchConfigToJson(cfg, f.Get("cases")));
    if (!s.ok()) return Fail(s.status(), 1);
    store = *std::move(s);
    auto done = store->Done();
    if (!done.ok()) return Fail(done.status(), 1);
    if (!done->empty()) {
      std::cout << "resuming " << f.Get("run-dir") << ": " << done->size()
                << " episodes already recorded\n";
    }
  }
  auto report = RunBench(world, cfg, store.get());
  if (llm->services != nullptr) std::cerr << FormatLlmStats(*llm->services);
  if (!report.ok()) return Fail(report.status(), 1);
  std::cout << FormatBenchTable(*report);
  // Robustness: the same doctor, cases and seeds without noise, then under each noise setting.
  std::vector<std::pair<std::string, noise::NoiseProfile>> settings;
  if (!cfg.options.noise.empty()) settings.emplace_back(cfg.options.noise.name, cfg.options.noise);
  if (f.GetBool("noise-ablation")) {
    double rate = 0;
    if (auto s = f.GetDouble("ablation-rate", 0, 1, &rate); !s.ok()) return Fail(s);
    for (const auto& t : noise::NoiseTypes()) {
      noise::NoiseProfile p;
      p.name = t.name;
      p.rates[t.name] = rate;
      settings.emplace_back(t.name, p);
    }
  }
  if (!settings.empty()) {
    auto rob = RunRobustness(world, cfg, settings);
    if (!rob.ok()) return Fail(rob.status());
    report->robustness = *std::move(rob);
    std::cout << "\n" << FormatRobustnessTable(*report);
  }
  if (!f.Get("json").empty()) {
    std::string path = f.Get("json");
    std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << BenchReportToJson(*report).dump(2) << "\n";
      if (!out) return Fail(absl::UnavailableError(absl::StrCat("cannot write ", tmp)), 1);
    }
    // Write-then-rename: a crash never leaves a half-written results file behind.
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      return Fail(absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ", path)), 1);
    }
    std::cout << "\nwrote " << path << "\n";
  }
  return 0;
}

}  // namespace clinsim::apps
