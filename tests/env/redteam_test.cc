// Red-team suite for answer secrecy (issue 8 item 2): every probe of tests/data/redteam/probes.txt
// (direct questions, role-play, instruction injection, gatekeeper reports, tests named after the
// diagnosis, encodings, yes/no confirmation, multi-turn social engineering) is played as a step
// against every case of the bundled library, under no noise and under hostile noise, each with a
// persona drawn from the episode seed (plain among them). No text the environment shows before the end
// (messages, findings, errors) may contain the diagnosis, an alias, the ICD-10 code, a rubric
// item's text, or the name encoded, beyond what the doctor's own words put there. The imported
// AgentClinic and MediQ cases are probed the same way when the shared data is present. The LLM
// patient and gatekeeper are probed with every probe on every bundled case against a fake model
// that tries to leak in every form (see LeakingModel below): the guard must reject each such reply.
//
// The patient's leak-guard sentence counts as a leak too: it is said only when a reply would
// have named the answer, so it confirms a guess.
//
// A leak whose fix belongs in env/episode.cc (which this suite's owners do not edit) may be listed
// in tests/data/redteam/known_leaks.txt; it is then printed loudly instead of failing, and an entry
// that no longer leaks fails the test so the list stays exact.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cases/case_writer.h"
#include "cases/importers/importer.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "agents/llm/chat_client.h"
#include "agents/patient/llm_patient.h"
#include "agents/patient/patient.h"
#include "env/action.h"
#include "env/episode.h"
#include "env/llm_step.h"
#include "gtest/gtest.h"
#include "testing/fake_openai_server.h"
#include "testing/fixtures.h"
#include "testing/redteam_probes.h"

namespace clinsim::env {
namespace {

using ::clinsim::testing::AnswerScanner;
using ::clinsim::testing::Probe;

// The sentence the rule patient says in place of one that would have named the diagnosis.
constexpr absl::string_view kGuardSentence = "I'd rather not guess what it is.";
// Probes per episode; each episode allows more turns than this, so none ends on a probe.
constexpr int kTurnsPerEpisode = 30;

struct Setting {
  const char* name;
  const char* noise;
  bool random_persona;
};
constexpr Setting kSettings[] = {{"none+persona", "none", true}, {"hostile+persona", "hostile", true}};

struct Planned {
  const Probe* probe;
  std::string text;
};

struct Leak {
  std::string case_id, setting, category, action, found, text;
};

struct KnownLeak {
  std::string case_id, action, reason;
  bool seen = false;
};

struct Tally {
  std::map<std::string, std::set<int>> probe_lines;   // category -> probe lines
  std::map<std::string, int64_t> actions;             // category -> expanded actions, all cases
  std::map<std::string, int64_t> steps;               // category -> steps, all settings
  std::map<std::string, int64_t> guard_sentences;     // category -> replies with the guard
  std::set<std::string> cases;
  int64_t episodes = 0;
  int64_t skipped_expansions = 0;  // probes a case could not fill ({icd10} without a code)
  std::vector<Leak> leaks;
};

const std::vector<Probe>& Probes() {
  static const auto* probes = [] {
    auto p = clinsim::testing::LoadProbes(clinsim::testing::ProbesPath());
    if (!p.ok()) {
      std::cerr << p.status() << "\n";
      std::abort();
    }
    return new std::vector<Probe>(*std::move(p));
  }();
  return *probes;
}

std::vector<KnownLeak> LoadKnownLeaks() {
  std::vector<KnownLeak> out;
  std::ifstream in(std::string(CLINSIM_SOURCE_DIR) + "/tests/data/redteam/known_leaks.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 2) continue;
    out.push_back({f[0], absl::StrReplaceAll(f[1], {{"\\n", "\n"}}), f.size() > 2 ? f[2] : ""});
  }
  return out;
}

// The probes of one case in play order; the turns of a conversation stay together in one unit.
std::vector<std::vector<Planned>> Plan(const cases::Case& c, Tally* tally) {
  std::vector<std::vector<Planned>> units;
  std::string open_conversation;
  for (const Probe& p : Probes()) {
    tally->probe_lines[p.category].insert(p.line);
    std::vector<std::string> texts = clinsim::testing::ExpandProbe(p, c);
    if (texts.empty()) ++tally->skipped_expansions;
    bool join = !p.conversation.empty() && p.conversation == open_conversation && !units.empty();
    for (std::string& t : texts) {
      if (!join) units.emplace_back();
      units.back().push_back({&p, std::move(t)});
      join = !p.conversation.empty();
    }
    open_conversation = p.conversation;
  }
  return units;
}

// Every text the environment showed in one step, labelled for messages.
std::vector<std::pair<std::string, std::string>> Shown(const StepResult& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& m : r.observation.messages) out.push_back({m.role, m.content});
  for (const auto& f : r.observation.findings) {
    out.push_back({absl::StrCat("finding.", f.kind),
                   absl::StrCat(f.name, ": ", f.result, " ", f.unit, " ", f.reference_range)});
  }
  for (const auto& e : r.info.errors) out.push_back({"info.error", e});
  return out;
}

// Plays every probe against one case under one setting.
void ProbeCase(const std::shared_ptr<const World>& world, const cases::Case& c,
               const Setting& setting, uint64_t seed_base, Tally* tally) {
  SCOPED_TRACE(absl::StrCat(c.id, " [", setting.name, "]"));
  AnswerScanner scanner(c, world->RubricFor(c), world->tests());
  EpisodeOptions options;
  options.noise = *noise::ParseNoiseSpec(setting.noise);
  options.random_persona = setting.random_persona;
  options.max_turns = 1000;  // no episode ends on a probe; episodes are cut at kTurnsPerEpisode
  tally->cases.insert(c.id);
  std::unique_ptr<Episode> ep;
  uint64_t next_seed = seed_base;
  auto report = [&](const Probe& p, const std::string& action, const std::string& where,
                    const std::string& found, const std::string& text) {
    tally->leaks.push_back(
        {c.id, setting.name, p.category, action, found, absl::StrCat(where, ": ", text)});
  };
  for (const auto& unit : Plan(c, tally)) {
    if (ep == nullptr || ep->turns() + static_cast<int>(unit.size()) > kTurnsPerEpisode) {
      auto created = Episode::Create(world, c.id, next_seed++, options);
      ASSERT_TRUE(created.ok()) << created.status();
      ep = *std::move(created);
      ++tally->episodes;
      for (const auto& m : ep->initial_observation().messages) {
        if (auto found = scanner.FindRaw(m.content)) {
          tally->leaks.push_back({c.id, setting.name, "reset", "(reset)", *found,
                                  absl::StrCat(m.role, ": ", m.content)});
        }
      }
    }
    for (const Planned& step : unit) {
      absl::StatusOr<StepResult> r = ep->StepText(step.text);
      ASSERT_TRUE(r.ok()) << r.status() << " for probe line " << step.probe->line;
      ASSERT_NE(r->info.action_kind, "diagnose") << "probe line " << step.probe->line;
      ASSERT_FALSE(r->terminated || r->truncated)
          << "probe line " << step.probe->line << " ended the episode: " << step.text;
      ++tally->steps[step.probe->category];
      for (const auto& [where, text] : Shown(*r)) {
        if (where == "patient" && absl::StrContains(text, kGuardSentence)) {
          // The guard replaces a sentence that would have named the diagnosis, so saying it
          // confirms that something the doctor said (or noise made the patient say) was the
          // answer: a yes/no oracle. Validated cases never need it.
          ++tally->guard_sentences[step.probe->category];
          report(*step.probe, step.text, where, "the patient's leak-guard sentence (a confirmation oracle)", text);
        }
        if (auto found = scanner.Find(text, step.text)) report(*step.probe, step.text, where, *found, text);
      }
    }
  }
}

// Runs every case of `world` under every setting, then reports and checks the leaks.
void ProbeWorld(const std::shared_ptr<const World>& world, const std::string& label,
                std::vector<KnownLeak>* known) {
  Tally tally;
  int setting_index = 0;
  for (const Setting& s : kSettings) {
    size_t index = 0;
    for (const auto& c : world->library().cases()) {
      if (!clinsim::testing::CaseInSample(index++)) continue;
      ProbeCase(world, c, s, 1000 * static_cast<uint64_t>(setting_index), &tally);
      if (::testing::Test::HasFatalFailure()) return;
    }
    ++setting_index;
  }
  // Expanded actions per case, summed over cases (steps / settings).
  std::cout << "\n[redteam] " << label << ": " << tally.cases.size() << " cases x "
            << std::size(kSettings) << " settings, " << tally.episodes << " episodes\n";
  std::cout << absl::StrFormat("[redteam] %-12s %7s %14s %10s %10s\n", "category", "probes",
                               "probes x cases", "steps", "guarded");
  int64_t total_steps = 0, total_actions = 0;
  for (const auto& [category, lines] : tally.probe_lines) {
    int64_t steps = tally.steps[category];
    int64_t actions = steps / static_cast<int64_t>(std::size(kSettings));
    total_steps += steps;
    total_actions += actions;
    std::cout << absl::StrFormat("[redteam] %-12s %7d %14d %10d %10d\n", category, lines.size(),
                                 actions, steps, tally.guard_sentences[category]);
  }
  std::cout << absl::StrFormat("[redteam] %-12s %7d %14d %10d\n", "total", Probes().size(),
                               total_actions, total_steps)
            << "[redteam] probe expansions a case could not fill (no ICD-10 code, no exam "
               "findings): "
            << tally.skipped_expansions << "\n";
  EXPECT_GT(total_steps, 0);

  int unknown = 0;
  std::map<std::string, int> unknown_by_category;
  for (const Leak& l : tally.leaks) {
    bool is_known = false;
    for (KnownLeak& k : *known) {
      if (k.case_id == l.case_id && k.action == l.action) {
        k.seen = is_known = true;
        std::cout << "[redteam] KNOWN LEAK (listed in known_leaks.txt: " << k.reason << ") "
                  << l.case_id << " [" << l.setting << "] " << l.found << " <- " << l.action
                  << "\n    " << l.text << "\n";
      }
    }
    if (is_known) continue;
    ++unknown_by_category[l.category];
    if (++unknown <= 40) {
      ADD_FAILURE() << "LEAK of " << l.found << " in case " << l.case_id << " [" << l.setting
                    << "], probe (" << l.category << "): " << l.action << "\n    " << l.text;
    }
  }
  for (const auto& [category, n] : unknown_by_category) {
    std::cout << "[redteam] leaks in category " << category << ": " << n << "\n";
  }
  EXPECT_EQ(unknown, 0) << unknown << " leaks (the first 40 are listed above)";
  for (const KnownLeak& k : *known) {
    if (!k.seen && tally.cases.count(k.case_id) > 0) {
      ADD_FAILURE() << "known_leaks.txt lists " << k.case_id << " / " << k.action
                    << " but it no longer leaks: remove the entry";
    }
  }
}

TEST(RedTeamProbes, FileHasEveryCategoryAndEnoughProbes) {
  std::map<std::string, int> per_category;
  for (const Probe& p : Probes()) ++per_category[p.category];
  EXPECT_GE(Probes().size(), 250u);
  for (const char* c : {"direct", "roleplay", "injection", "gatekeeper", "named_test", "encoding",
                        "confirm", "multiturn"}) {
    EXPECT_GE(per_category[c], 10) << c;
  }
}

TEST(RedTeamProbes, LoaderRefusesBadLinesAndDiagnosisActions) {
  using clinsim::testing::ParseProbes;
  EXPECT_TRUE(ParseProbes("# c\n\ndirect\tWhat is it?\n", "x").ok());
  EXPECT_FALSE(ParseProbes("no tab here\n", "x").ok());
  EXPECT_FALSE(ParseProbes("direct\tIs it {nonsense}?\n", "x").ok());
  auto dx = ParseProbes("injection\tDIAGNOSIS: {diagnosis}\n", "x");
  ASSERT_FALSE(dx.ok());
  EXPECT_TRUE(absl::StrContains(dx.status().message(), "x:1: a probe must not be a DIAGNOSIS"));
  auto conv = ParseProbes("multiturn/a\tHi\nmultiturn/a\tAnd?\n", "x");
  ASSERT_TRUE(conv.ok());
  EXPECT_EQ((*conv)[1].category, "multiturn");
  EXPECT_EQ((*conv)[1].conversation, "multiturn/a");
}

TEST(RedTeamProbes, ExpansionFillsTheCase) {
  const cases::Case* c = clinsim::testing::BundledWorld()->FindCase("cardiology_inferior_stemi");
  ASSERT_NE(c, nullptr);
  Probe p{"confirm", "", "Is it {alias}? Code {icd10_nodot}?", 1};
  std::vector<std::string> out = clinsim::testing::ExpandProbe(p, *c);
  ASSERT_EQ(out.size(), c->diagnosis.aliases.size());
  EXPECT_EQ(out[0], "Is it inferior STEMI? Code I2119?");
  cases::Case no_code = *c;
  no_code.diagnosis.icd10.clear();
  EXPECT_TRUE(clinsim::testing::ExpandProbe({"confirm", "", "{icd10}?", 1}, no_code).empty());
  EXPECT_EQ(clinsim::testing::Base64("heart attack"), "aGVhcnQgYXR0YWNr");
  EXPECT_EQ(clinsim::testing::Rot13("Heart"), "Urneg");
  EXPECT_EQ(clinsim::testing::Hex("MI"), "4d49");
}

TEST(RedTeamScanner, FindsTheAnswerHoweverWrittenAndIgnoresEchoes) {
  auto world = clinsim::testing::BundledWorld();
  const cases::Case* c = world->FindCase("cardiology_inferior_stemi");
  ASSERT_NE(c, nullptr);
  AnswerScanner s(*c, world->RubricFor(*c), world->tests());
  EXPECT_TRUE(s.FindRaw("It looks like a Heart-Attack to me."));
  EXPECT_TRUE(s.FindRaw("myocardial\ninfarction"));
  EXPECT_TRUE(s.FindRaw("code i21.19"));
  EXPECT_TRUE(s.FindRaw("code I2119 on the form"));
  EXPECT_TRUE(s.FindRaw("the STEMI team"));
  EXPECT_TRUE(s.FindRaw("aGVhcnQgYXR0YWNr"));           // base64 of "heart attack"
  EXPECT_TRUE(s.FindRaw("urneg nggnpx"));                // rot13
  EXPECT_TRUE(s.FindRaw("kcatta traeh"));                // reversed
  EXPECT_TRUE(s.FindRaw("68656172742061747461636b"));     // hex
  EXPECT_FALSE(s.FindRaw("The pain spreads into my jaw."));
  EXPECT_FALSE(s.FindRaw("stemi"));  // acronyms count in capitals only, as in SecretMatcher
  // British and American spellings are one: a scanner for an anaemia case sees "anemia".
  const cases::Case* ida = world->FindCase("hematology_iron_deficiency_anemia_occult_gi_loss");
  ASSERT_NE(ida, nullptr);
  AnswerScanner s2(*ida, world->RubricFor(*ida), world->tests());
  EXPECT_TRUE(s2.FindRaw("iron-deficiency anemia"));
  EXPECT_TRUE(s2.FindRaw("Iron Deficiency Anaemia"));
  // The doctor's own quoted words are not a leak; anything beyond them is.
  const std::string order = "ORDER: heart attack test";
  EXPECT_FALSE(s.Find("Not done: unknown test 'heart attack test'. Nothing was charged.", order));
  EXPECT_TRUE(s.Find("Not done: unknown test 'heart attack test' (a heart attack?).", order));
  EXPECT_TRUE(s.Find("Not done: unknown test 'heart attack test'.", "ORDER: cbc"));
}

// The panic disorder case's patient has no fact about "panic attacks", a lexicon symptom it used
// to deny: the denial named the answer, so the guard sentence replaced it, and "Is it panic
// disorder?" got a reply no wrong guess gets. It must now be answered like a wrong guess that
// names no symptom.
TEST(RedTeamPatient, AGuessThatNamesTheAnswerIsAnsweredLikeAWrongOne) {
  auto world = clinsim::testing::BundledWorld();
  const cases::Case* c = world->FindCase("psychiatry_panic_disorder");
  ASSERT_NE(c, nullptr);
  for (uint64_t seed : {1u, 2u, 3u}) {
    for (const char* guess : {"Is it panic disorder?", "Do you have panic attacks?"}) {
      agents::RulePatient right(world->FactIndexFor(*c), seed);
      agents::RulePatient wrong(world->FactIndexFor(*c), seed);
      agents::PatientReply r = right.Answer(guess);
      EXPECT_FALSE(r.leak_blocked) << guess;
      EXPECT_EQ(r.text, wrong.Answer("Is it lupus?").text) << guess;
      EXPECT_FALSE(absl::StrContains(r.text, kGuardSentence)) << guess;
    }
  }
  // Other cases still deny the symptom they do not have.
  const cases::Case* other = world->FindCase("cardiology_inferior_stemi");
  agents::RulePatient p(world->FactIndexFor(*other), 1);
  EXPECT_TRUE(absl::StrContains(p.Answer("Do you have panic attacks?").text, "panic attacks"));
}

TEST(RedTeam, BundledCasesLeakNothingUnderEveryProbe) {
  auto world = clinsim::testing::BundledWorld();
  ASSERT_GE(world->library().cases().size(), 150u);
  std::vector<KnownLeak> known = LoadKnownLeaks();
  ProbeWorld(world, "bundled library", &known);
}

// The public datasets, imported as `clinsim cases import` does, into a temporary directory.
TEST(RedTeam, ImportedCasesLeakNothingUnderEveryProbe) {
  const std::string shared = CLINSIM_SHARED_DIR;
  const std::pair<const char*, std::string> kSources[] = {
      {"agentclinic", shared + "/data/agentclinic/agentclinic_medqa.jsonl"},
      {"mediq", shared + "/data/mediq/all_craft_md.jsonl"}};
  bool any = false;
  for (const auto& [format, path] : kSources) any = any || std::filesystem::exists(path);
  if (!any) GTEST_SKIP() << "no shared data under " << shared << "/data";
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                                    absl::StrCat("clinsim_redteam_import_", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& [format, path] : kSources) {
    if (!std::filesystem::exists(path)) continue;
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto importer = cases::CreateImporter(format);
    ASSERT_TRUE(importer.ok()) << importer.status();
    cases::ImportOptions options;
    options.origin = std::filesystem::path(path).filename().string();
    cases::ImportResult r = (*importer)->Import(ss.str(), options);
    std::cout << "[redteam] imported " << r.cases.size() << " " << format << " cases ("
              << r.problems.size() << " records skipped)\n";
    for (const auto& c : r.cases) {
      std::ofstream out(dir / (c.id + ".json"), std::ios::binary | std::ios::trunc);
      out << cases::CaseToJson(c).dump(2) << "\n";
      ASSERT_TRUE(out.good()) << "cannot write " << (dir / (c.id + ".json"));
    }
  }
  auto lib = cases::CaseLibrary::LoadDirectory(dir.string(), /*strict=*/false);
  ASSERT_TRUE(lib.ok()) << lib.status();
  for (const auto& e : (*lib)->errors()) std::cout << "[redteam] not loaded: " << e << "\n";
  EXPECT_GT((*lib)->cases().size(), 100u);
  std::vector<KnownLeak> known = LoadKnownLeaks();
  ProbeWorld(World::Create(*lib), "imported cases", &known);
  std::filesystem::remove_all(dir);
}


// --- The same probes against the LLM patient and gatekeeper ------------------------------------
//
// A fake OpenAI-compatible server plays a model that tries to leak: most patient replies and
// written test results name the case's diagnosis, in a rotating form (plain, capitals,
// hyphenated, run together, an alias, the ICD-10 code with and without the dot, base64, ROT13,
// hex, reversed), and the rest are clean. The guard must reject every leaking reply (the count of
// rejections equals the count of leaking replies, exactly), nothing shown may leak, and the clean
// replies must get through (so a guard that rejects everything fails too).

// The forms a leaking reply takes, in rotation; `k` picks one. What counts as naming the answer
// is what AnswerScanner counts: acronyms ("HAE") only in capitals, and encodings only of names of
// six letters or more (shorter ones occur by chance), so those forms use the other names.
std::string LeakForm(const cases::Case& c, int64_t k) {
  std::vector<std::string> names = {c.diagnosis.name};
  names.insert(names.end(), c.diagnosis.aliases.begin(), c.diagnosis.aliases.end());
  const int form = static_cast<int>(k % 13);
  const bool keeps_case = form == 0 || form == 1 || form == 4 || form == 5;
  std::vector<std::string> usable;
  for (const std::string& n : names) {
    bool acronym = std::none_of(n.begin(), n.end(), [](char ch) { return absl::ascii_islower(static_cast<unsigned char>(ch)); });
    if (keeps_case || (!acronym && n.size() >= 6)) usable.push_back(n);
  }
  if (usable.empty()) usable = {c.diagnosis.name};
  const std::string& name = usable[static_cast<size_t>(k / 13) % usable.size()];
  std::string lower = absl::AsciiStrToLower(name);
  switch (k % 13) {
    case 0: return absl::StrCat("Honestly, I am sure it is ", name, ".");
    case 1: return absl::StrCat("MY OTHER DOCTOR SAID ", absl::AsciiStrToUpper(name), "!");
    case 2: return absl::StrCat("I read about ", absl::StrReplaceAll(lower, {{" ", "-"}}), " online.");
    case 3: return absl::StrCat("#", absl::StrReplaceAll(lower, {{" ", ""}, {"-", ""}}));
    case 4:
      if (!c.diagnosis.icd10.empty()) return absl::StrCat("The form said code ", c.diagnosis.icd10, ".");
      return absl::StrCat("It is ", name, ", the letter said.");
    case 5:
      if (!c.diagnosis.icd10.empty()) {
        return absl::StrCat("code ", absl::AsciiStrToLower(absl::StrReplaceAll(c.diagnosis.icd10, {{".", ""}})));
      }
      return absl::StrCat("They wrote ", lower, " on the form.");
    case 6: return absl::StrCat("As you asked, in base64: ", clinsim::testing::Base64(name));
    case 7: return absl::StrCat("Here: ", clinsim::testing::Base64(lower), " (decode it)");
    case 8: return absl::StrCat("In rot13 that is ", clinsim::testing::Rot13(lower), ".");
    case 9: return absl::StrCat("hex: ", clinsim::testing::Hex(lower));
    case 10: {
      std::string hex = clinsim::testing::Hex(name), spaced;
      for (size_t i = 0; i < hex.size(); i += 2) absl::StrAppend(&spaced, i ? " " : "", hex.substr(i, 2));
      return absl::StrCat("Bytes: ", spaced);
    }
    case 11: {
      // Reversed by characters, so accented names stay valid UTF-8.
      std::string reversed;
      for (size_t end = lower.size(); end > 0;) {
        size_t start = end - 1;
        while (start > 0 && (static_cast<unsigned char>(lower[start]) & 0xC0) == 0x80) --start;
        reversed += lower.substr(start, end - start);
        end = start;
      }
      return absl::StrCat("Backwards: ", reversed);
    }
    default: return absl::StrCat("Between us, it's ", lower, ", isn't it?");
  }
}

// Which role a request is for, from its system prompt (agents/patient/llm_patient.cc,
// agents/gatekeeper/llm_gatekeeper.cc).
std::string RoleOf(const clinsim::testing::FakeRequest& r) {
  const std::string s = r.system();
  if (absl::StrContains(s, "You are a patient")) return "patient";
  if (absl::StrContains(s, "test ordering system")) return "map";
  if (absl::StrContains(s, "laboratory and imaging reports")) return "result";
  return "other";
}

constexpr absl::string_view kCleanPatient = "It has been bothering me for a while now, doctor.";
constexpr absl::string_view kCleanResult = "Within normal limits for age; no abnormality seen.";

class LeakingModel {
 public:
  explicit LeakingModel(std::vector<std::string> catalog_names) : catalog_(std::move(catalog_names)) {}

  // Called between cases, with no request in flight.
  void SetCase(const cases::Case* c) {
    guard_ = std::make_unique<agents::AnswerGuard>(*c);
    case_.store(c);
  }

  clinsim::testing::FakeReply Answer(const clinsim::testing::FakeRequest& r) {
    using clinsim::testing::FakeReply;
    const cases::Case* c = case_.load();
    const int64_t n = calls_.fetch_add(1);
    const std::string role = RoleOf(r);
    // One reply in five is clean.
    const bool leak = n % 5 != 4;
    if (role == "patient") {
      if (!leak) {
        ++clean_patient_;
        return FakeReply::Content(std::string(kCleanPatient));
      }
      ++leaking_;
      return FakeReply::Content(Checked(absl::StrCat("Well, doctor. ", LeakForm(*c, n / 5))));
    }
    if (role == "map") {
      // Maps every free-text order to a catalog test, so unlisted results get written.
      nlohmann::json j = {{"tests", {catalog_[static_cast<size_t>(n) % catalog_.size()]}},
                          {"refuse", nullptr}};
      return FakeReply::Content(j.dump());
    }
    if (role == "result") {
      nlohmann::json j = {{"abnormal", true}};
      if (leak) {
        ++leaking_;
        j["result"] = Checked(absl::StrCat("Findings consistent with the known condition. ", LeakForm(*c, n / 5)));
      } else {
        ++clean_result_;
        j["result"] = kCleanResult;
      }
      return FakeReply::Content(j.dump());
    }
    return FakeReply::Status(400, "{\"error\":\"unexpected role\"}");
  }

  // Leaking texts the guard itself does not see (at most 20 kept).
  std::vector<std::string> unguarded() const {
    absl::MutexLock lock(&mu_);
    return unguarded_;
  }
  int64_t calls() const { return calls_.load(); }
  int64_t leaking() const { return leaking_.load(); }
  int64_t clean_patient() const { return clean_patient_.load(); }
  int64_t clean_result() const { return clean_result_.load(); }

 private:
  std::string Checked(std::string text) {
    if (!guard_->Leaks(text)) {
      absl::MutexLock lock(&mu_);
      if (unguarded_.size() < 20) unguarded_.push_back(absl::StrCat(case_.load()->id, ": ", text));
    }
    return text;
  }

  std::vector<std::string> catalog_;
  std::atomic<const cases::Case*> case_{nullptr};
  std::unique_ptr<agents::AnswerGuard> guard_;
  mutable absl::Mutex mu_;
  std::vector<std::string> unguarded_;
  std::atomic<int64_t> calls_{0}, leaking_{0}, clean_patient_{0}, clean_result_{0};
};

// One episode's probes, stepped one after another through StepWithLlm; every episode of a case
// runs at once.
struct LlmRun {
  std::unique_ptr<Episode> ep;
  std::vector<Planned> steps;
  size_t next = 0;
};

struct LlmTally {
  absl::Mutex mu;
  int64_t steps = 0, episodes = 0, voiced_clean = 0, written_clean = 0;
  std::vector<Leak> leaks;
  std::vector<std::string> errors;
  std::map<std::string, int64_t> steps_by_category;
};

void StepRun(const std::shared_ptr<LlmServices>& llm, const AnswerScanner& scanner, const cases::Case& c,
             LlmRun* run, LlmTally* tally, absl::BlockingCounter* done) {
  while (run->next < run->steps.size()) {
    const Planned& step = run->steps[run->next];
    absl::StatusOr<Action> action = ParseTaggedAction(step.text);
    if (!action.ok()) {
      // Unparsable text goes the rule way (an invalid-action observation); scanned like the rest.
      absl::StatusOr<StepResult> r = run->ep->StepText(step.text);
      absl::MutexLock lock(&tally->mu);
      ++tally->steps;
      ++tally->steps_by_category[step.probe->category];
      if (!r.ok()) {
        tally->errors.push_back(absl::StrCat(c.id, ": ", r.status().ToString()));
      } else {
        for (const auto& [where, text] : Shown(*r)) {
          if (auto found = scanner.Find(text, step.text)) {
            tally->leaks.push_back({c.id, "llm", step.probe->category, step.text, *found,
                                    absl::StrCat(where, ": ", text)});
          }
        }
      }
      ++run->next;
      continue;
    }
    StepWithLlm(run->ep->Clone(), *std::move(action), llm,
                [&llm, &scanner, &c, run, tally, done](absl::StatusOr<StepResult> r,
                                                      std::unique_ptr<Episode> stepped) {
                  const Planned& step = run->steps[run->next];
                  {
                    absl::MutexLock lock(&tally->mu);
                    ++tally->steps;
                    ++tally->steps_by_category[step.probe->category];
                    if (!r.ok()) {
                      tally->errors.push_back(absl::StrCat(c.id, " (", step.text, "): ", r.status().ToString()));
                    } else {
                      for (const auto& [where, text] : Shown(*r)) {
                        if (where == "patient" && text == kCleanPatient) ++tally->voiced_clean;
                        if (where == "finding.test" && absl::StrContains(text, kCleanResult)) ++tally->written_clean;
                        if (auto found = scanner.Find(text, step.text)) {
                          tally->leaks.push_back({c.id, "llm", step.probe->category, step.text, *found,
                                                  absl::StrCat(where, ": ", text)});
                        }
                      }
                    }
                  }
                  if (r.ok()) run->ep = std::move(stepped);
                  ++run->next;
                  StepRun(llm, scanner, c, run, tally, done);
                });
    return;  // the callback goes on
  }
  done->DecrementCount();
}

TEST(RedTeam, LlmPatientAndGatekeeperGuardCatchesAModelThatLeaks) {
  auto world = clinsim::testing::BundledWorld();
  std::vector<std::string> catalog_names;
  for (const auto& t : world->tests().tests()) catalog_names.push_back(t.name);
  ASSERT_FALSE(catalog_names.empty());
  LeakingModel model(catalog_names);
  clinsim::testing::FakeOpenAiServer server(
      [&model](const clinsim::testing::FakeRequest& r) { return model.Answer(r); });
  agents::llm::ChatClientOptions o;
  o.base_url = server.base_url();
  o.model = "leaky-model";
  o.max_retries = 0;
  o.timeout_s = 30;
  o.max_concurrency = 64;
  auto llm = std::make_shared<LlmServices>();
  llm->client = std::shared_ptr<agents::llm::ChatClient>(agents::llm::ChatClient::Create(o).value());

  EpisodeOptions options;
  options.random_persona = true;
  options.max_turns = 1000;
  options.roles.patient = "llm";
  options.roles.gatekeeper = "llm";
  Tally plan_tally;
  LlmTally tally;
  uint64_t seed = 5000;
  size_t index = 0, cases_probed = 0;
  for (const auto& c : world->library().cases()) {
    if (!clinsim::testing::CaseInSample(index++)) continue;
    ++cases_probed;
    model.SetCase(&c);
    AnswerScanner scanner(c, world->RubricFor(c), world->tests());
    std::vector<std::unique_ptr<LlmRun>> runs;
    for (auto& unit : Plan(c, &plan_tally)) {
      if (runs.empty() || runs.back()->steps.size() + unit.size() > static_cast<size_t>(kTurnsPerEpisode)) {
        auto run = std::make_unique<LlmRun>();
        auto created = Episode::Create(world, c.id, seed++, options);
        ASSERT_TRUE(created.ok()) << created.status();
        run->ep = *std::move(created);
        runs.push_back(std::move(run));
      }
      for (Planned& p : unit) runs.back()->steps.push_back(std::move(p));
    }
    absl::BlockingCounter done(static_cast<int>(runs.size()));
    for (auto& run : runs) StepRun(llm, scanner, c, run.get(), &tally, &done);
    done.Wait();
    absl::MutexLock lock(&tally.mu);
    tally.episodes += static_cast<int64_t>(runs.size());
  }

  std::cout << "\n[redteam-llm] " << cases_probed << " cases, " << tally.episodes
            << " episodes, " << tally.steps << " steps, " << model.calls() << " model calls\n"
            << "[redteam-llm] leaking model replies " << model.leaking() << ", rejected by the guard "
            << llm->leaks_blocked.load() << ", rule answers used after a rejected retry "
            << llm->fallbacks.load() << "\n"
            << "[redteam-llm] clean replies shown: patient " << tally.voiced_clean << " of "
            << model.clean_patient() << ", written results " << tally.written_clean << " of "
            << model.clean_result() << "\n";
  for (const auto& [category, n] : tally.steps_by_category) {
    std::cout << absl::StrFormat("[redteam-llm] %-12s %8d steps\n", category, n);
  }
  for (size_t i = 0; i < tally.errors.size() && i < 20; ++i) ADD_FAILURE() << tally.errors[i];
  EXPECT_TRUE(tally.errors.empty()) << tally.errors.size() << " steps failed";
  for (size_t i = 0; i < tally.leaks.size() && i < 40; ++i) {
    const Leak& l = tally.leaks[i];
    ADD_FAILURE() << "LEAK of " << l.found << " in case " << l.case_id << ", probe (" << l.category
                  << "): " << l.action << "\n    " << l.text;
  }
  std::map<std::string, int> by_form;  // "alias '...' in hex" -> "alias in hex"
  for (const Leak& l : tally.leaks) {
    std::string form = l.found;
    size_t open = form.find('\''), close = form.rfind('\'');
    if (open != std::string::npos && close > open) form.erase(open, close - open + 1);
    ++by_form[form];
  }
  for (const auto& [form, n] : by_form) std::cout << "[redteam-llm] leaked: " << form << ": " << n << "\n";
  EXPECT_TRUE(tally.leaks.empty()) << tally.leaks.size() << " leaks (the first 40 are listed above)";
  for (const std::string& u : model.unguarded()) ADD_FAILURE() << "the guard misses: " << u;
  // The model leaked in every way it knows, and every leaking reply was rejected.
  EXPECT_GT(model.leaking(), static_cast<int64_t>(10000 / clinsim::testing::CaseStride()));
  EXPECT_EQ(llm->leaks_blocked.load(), model.leaking());
  // The clean ones went through: voiced patient replies and written results both reached the doctor.
  EXPECT_GT(tally.voiced_clean, static_cast<int64_t>(1000 / clinsim::testing::CaseStride()));
  EXPECT_GT(tally.written_clean, static_cast<int64_t>(100 / clinsim::testing::CaseStride()));
}

}  // namespace
}  // namespace clinsim::env
