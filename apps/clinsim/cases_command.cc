#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "apps/clinsim/commands.h"
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cases/case_library.h"
#include "cases/case_writer.h"
#include "cases/importers/importer.h"
#include "cases/catalog/test_catalog.h"
#include "nlohmann/json.hpp"

namespace clinsim::apps {
namespace {

// What the doctor may see of a case: the case file's identity and presentation only.
nlohmann::ordered_json DoctorView(const cases::Case& c) {
  nlohmann::ordered_json full = cases::CaseToJson(c), view;
  for (const char* k : {"id", "specialty", "difficulty", "source", "presentation"}) view[k] = full[k];
  return view;
}

int List(const FlagSet& f) {
  auto lib = cases::CaseLibrary::Load(f.Get("cases"), false);
  if (!lib.ok()) return Fail(lib.status());
  for (const auto& e : (*lib)->errors()) std::cerr << "clinsim: skipping invalid case: " << e << "\n";
  if (f.GetBool("json")) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& c : (*lib)->cases()) {
      arr.push_back({{"id", c.id}, {"specialty", c.specialty}, {"difficulty", c.difficulty},
                     {"chief_complaint", c.presentation.chief_complaint}});
    }
    std::cout << arr.dump(2) << "\n";
    return 0;
  }
  std::cout << absl::StrFormat("%-48s %-22s %-7s %s\n", "id", "specialty", "level", "chief complaint");
  for (const auto& c : (*lib)->cases()) {
    std::cout << absl::StrFormat("%-48s %-22s %-7s %s\n", c.id, c.specialty, c.difficulty,
                                 c.presentation.chief_complaint);
  }
  std::cout << (*lib)->cases().size() << " cases\n";
  return 0;
}

int Show(const FlagSet& f) {
  if (f.positional().size() != 2) {
    return Fail(absl::InvalidArgumentError("usage: clinsim cases show ID [--reveal] [--json]"));
  }
  auto lib = cases::CaseLibrary::Load(f.Get("cases"), false);
  if (!lib.ok()) return Fail(lib.status());
  const cases::Case* c = (*lib)->Find(f.positional()[1]);
  if (c == nullptr) {
    return Fail(absl::NotFoundError(absl::StrCat("unknown case '", f.positional()[1],
                                                 "'; 'clinsim cases list' shows the ids")), 1);
  }
  nlohmann::ordered_json j = DoctorView(*c);
  if (f.GetBool("reveal")) {
    j["title"] = c->title;
    nlohmann::ordered_json facts = nlohmann::ordered_json::array(), exam = nlohmann::ordered_json::array(),
                           tests = nlohmann::ordered_json::array(), rubric = nlohmann::ordered_json::array();
    for (const auto& x : c->facts) {
      facts.push_back({{"id", x.id}, {"category", x.category}, {"text", x.text}, {"key", x.key}});
    }
    for (const auto& x : c->exam) {
      exam.push_back({{"id", x.id}, {"system", x.system}, {"finding", x.finding}, {"abnormal", x.abnormal}});
    }
    for (const auto& x : c->tests) {
      tests.push_back({{"id", x.id}, {"test", x.catalog_id.empty() ? x.name : x.catalog_id},
                       {"result", x.result}, {"abnormal", x.abnormal}});
    }
    for (const auto& x : c->rubric) {
      rubric.push_back({{"id", x.id}, {"text", x.text}, {"points", x.points}, {"axis", x.axis},
                        {"kind", x.kind}, {"targets", x.targets}});
    }
    j["facts"] = facts;
    j["exam"] = exam;
    j["tests"] = tests;
    j["diagnosis"] = {{"name", c->diagnosis.name}, {"aliases", c->diagnosis.aliases},
                      {"icd10", c->diagnosis.icd10}, {"differential", c->diagnosis.differential}};
    j["rubric"] = rubric;
  }
  if (f.GetBool("json")) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "id:          " << c->id << "\nspecialty:   " << c->specialty
            << "\ndifficulty:  " << c->difficulty << "\npatient:     " << c->presentation.age
            << "-year-old " << c->presentation.sex << "\ncomplaint:   "
            << c->presentation.chief_complaint << "\nabstract:    " << c->presentation.abstract
            << "\n";
  if (!f.GetBool("reveal")) {
    std::cout << "\n(the doctor's view; --reveal shows facts, findings, results and the answer)\n";
    return 0;
  }
  std::cout << "title:       " << c->title << "\n\nfacts:\n";
  for (const auto& x : c->facts) {
    std::cout << "  " << (x.key ? "*" : " ") << " [" << x.category << "] " << x.text << "\n";
  }
  std::cout << "\nexam:\n";
  for (const auto& x : c->exam) std::cout << "  " << x.system << ": " << x.finding << "\n";
  std::cout << "\ntests:\n";
  for (const auto& x : c->tests) {
    std::cout << "  " << (x.catalog_id.empty() ? x.name : x.catalog_id) << ": " << x.result << "\n";
  }
  std::cout << "\ndiagnosis:   " << c->diagnosis.name << " (" << c->diagnosis.icd10 << ")\naliases:     "
            << absl::StrJoin(c->diagnosis.aliases, "; ") << "\ndifferential: "
            << absl::StrJoin(c->diagnosis.differential, "; ") << "\n\nrubric:\n";
  for (const auto& x : c->rubric) {
    std::cout << absl::StrFormat("  %+5.1f [%s/%s] %s\n", x.points, x.axis, x.kind, x.text);
  }
  return 0;
}

int Validate(const FlagSet& f) {
  if (f.positional().size() != 2) {
    return Fail(absl::InvalidArgumentError("usage: clinsim cases validate DIR [--json]"));
  }
  auto lib = cases::CaseLibrary::LoadDirectory(f.positional()[1], /*strict=*/false);
  if (!lib.ok()) return Fail(lib.status(), 1);
  const auto& errors = (*lib)->errors();
  if (f.GetBool("json")) {
    std::cout << nlohmann::json{{"valid", (*lib)->cases().size()}, {"invalid", errors.size()},
                                {"errors", errors}}
                     .dump(2)
              << "\n";
  } else {
    for (const auto& e : errors) std::cout << e << "\n";
    std::cout << (*lib)->cases().size() << " valid, " << errors.size() << " invalid\n";
  }
  return errors.empty() ? 0 : 1;
}

int Import(const FlagSet& f) {
  if (f.positional().size() != 3) {
    return Fail(absl::InvalidArgumentError(
        "usage: clinsim cases import --format agentclinic|mediq IN.jsonl OUT_DIR"));
  }
  auto importer = cases::CreateImporter(f.Get("format"));
  if (!importer.ok()) return Fail(importer.status());
  const std::string& in_path = f.positional()[1];
  const std::string& out_dir = f.positional()[2];
  std::ifstream in(in_path, std::ios::binary);
  if (!in) return Fail(absl::NotFoundError(absl::StrCat("cannot open ", in_path)), 1);
  std::stringstream ss;
  ss << in.rdbuf();
  cases::ImportOptions options;
  options.id_prefix = f.Get("id-prefix");
  options.origin = std::filesystem::path(in_path).filename().string();
  cases::ImportResult r = (*importer)->Import(ss.str(), options);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Fail(absl::UnavailableError(absl::StrCat("cannot create ", out_dir, ": ", ec.message())), 1);
  for (const auto& c : r.cases) {
    std::string path = (std::filesystem::path(out_dir) / (c.id + ".json")).string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << cases::CaseToJson(c).dump(2) << "\n";
    if (!out) return Fail(absl::UnavailableError(absl::StrCat("cannot write ", path)), 1);
  }
  std::string report_path = (std::filesystem::path(out_dir) / "import-report.txt").string();
  std::ofstream report(report_path, std::ios::trunc);
  report << "import of " << in_path << " (" << f.Get("format") << "): " << r.cases.size()
         << " cases, " << r.problems.size() << " records skipped\n";
  for (const auto& p : r.problems) report << "line " << p.line << ": skipped: " << p.message << "\n";
  for (const auto& n : r.notes) report << n << "\n";
  for (const auto& p : r.problems) std::cerr << in_path << ":" << p.line << ": skipped: " << p.message << "\n";
  std::cout << "imported " << r.cases.size() << " cases into " << out_dir << "; "
            << r.problems.size() << " records skipped; " << r.notes.size()
            << " notes (unmapped results, redactions) in " << report_path << "\n";
  return r.problems.empty() || f.GetBool("skip-bad") ? 0 : 1;
}

}  // namespace

int CasesCommand(int argc, char** argv, int first) {
  FlagSet f("cases",
            "Lists, shows and validates cases.\n"
            "  clinsim cases list [--json]            ids, specialties, difficulty\n"
            "  clinsim cases show ID [--reveal]       the doctor's view; --reveal adds the answer\n"
            "  clinsim cases validate DIR [--json]    exit 0 when every case in DIR is valid\n"
            "  clinsim cases import --format F IN OUT_DIR   convert AgentClinic or MediQ JSONL;\n"
            "                                         exit 1 if a record was skipped (see --skip-bad)",
            "list|show ID|validate DIR|import IN OUT_DIR");
  f.Add("cases", "bundled", "case directory for list and show, or 'bundled'");
  f.AddBool("json", "print JSON");
  f.AddBool("reveal", "show: include facts, findings, results, diagnosis and rubric");
  f.Add("format", "", "import: input format, agentclinic or mediq");
  f.Add("id-prefix", "", "import: prefix of the case ids (default: the format name)");
  f.AddBool("skip-bad", "import: exit 0 even if some records were skipped");
  if (auto s = f.Parse(argc, argv, first); !s.ok()) return Fail(s);
  if (f.help_requested() || f.positional().empty()) {
    std::cout << f.Help();
    return f.help_requested() ? 0 : 2;
  }
  const std::string& sub = f.positional()[0];
  if (sub == "list") return List(f);
  if (sub == "show") return Show(f);
  if (sub == "validate") return Validate(f);
  if (sub == "import") return Import(f);
  return Fail(absl::InvalidArgumentError(
      absl::StrCat("unknown cases subcommand '", sub, "'; use list, show or validate")));
}

}  // namespace clinsim::apps
