// MediQ JSONL: {"id", "context": [sentences], "facts": ["1. ...", ...], "options": {"A": ...},
// "answer", "patient": {"age", "gender"}}. The first context sentence is the initial information
// (the presentation); facts become atomic facts, or exam findings / test results when they read
// as such; the answer is the diagnosis and the other options its differential.
#include <regex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cases/catalog/test_catalog.h"
#include "cases/importers/import_support.h"
#include "cases/importers/importers.h"
#include "common/text.h"

namespace clinsim::cases {
namespace {

bool Has(const std::string& s, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (s.find(w) != std::string::npos) return true;
  }
  return false;
}

// The catalog test a sentence reports, by the longest catalog name or alias it contains.
const CatalogTest* TestNamedIn(const std::string& collapsed) {
  const CatalogTest* best = nullptr;
  size_t best_len = 0;
  for (const auto& t : TestCatalog::Default().tests()) {
    for (const std::string& n : t.aliases) {
      std::string a = CollapseText(n);
      if (a.size() > best_len && a.size() >= 3 && ContainsPhrase(collapsed, a)) {
        best = &t;
        best_len = a.size();
      }
    }
  }
  return best;
}

class MediqImporter : public Importer {
 public:
  ImportResult Import(absl::string_view jsonl, const ImportOptions& options) const override {
    ImportResult result;
    std::string prefix = options.id_prefix.empty() ? "mediq" : options.id_prefix;
    std::set<std::string> seen_ids;
    import::ForEachRecord(jsonl, [&](int line, const nlohmann::json& rec) -> std::string {
      for (const char* f : {"id", "context", "facts", "answer"}) {
        if (!rec.contains(f)) return absl::StrCat("missing field '", f, "'");
      }
      if (!rec["context"].is_array() || rec["context"].empty() || !rec["facts"].is_array()) {
        return "'context' and 'facts' must be non-empty lists of sentences";
      }
      if (!rec["answer"].is_string() || rec["answer"].get<std::string>().empty()) {
        return "'answer' must be a non-empty string";
      }
      std::string rid = rec["id"].is_string() ? rec["id"].get<std::string>() : rec["id"].dump();
      if (!seen_ids.insert(rid).second) return absl::StrCat("duplicate id ", rid);
      Case c;
      c.id = absl::StrCat(prefix, "_", absl::AsciiStrToLower(CollapseText(rid)));
      for (char& ch : c.id) {
        if (ch == ' ') ch = '_';
      }
      c.specialty = "imported";
      c.source.origin = absl::StrCat(options.origin.empty() ? "MediQ" : options.origin, " id ", rid);
      c.diagnosis.name = rec["answer"].get<std::string>();
      if (rec.contains("options") && rec["options"].is_object()) {
        for (const auto& [k, v] : rec["options"].items()) {
          if (v.is_string() && v.get<std::string>() != c.diagnosis.name) {
            c.diagnosis.differential.push_back(v.get<std::string>());
          }
        }
      }
      std::string first = rec["context"][0].is_string() ? rec["context"][0].get<std::string>() : "";
      if (rec.contains("patient") && rec["patient"].is_object()) {
        const auto& p = rec["patient"];
        std::string age = p.contains("age") && p["age"].is_string() ? p["age"].get<std::string>() : "";
        static const std::regex kNum("(\\d+)");
        std::smatch m;
        if (std::regex_search(age, m, kNum) && age.find("month") == std::string::npos) {
          c.presentation.age = std::min(120, std::stoi(m[1]));
        }
        std::string g = p.contains("gender") && p["gender"].is_string() ? absl::AsciiStrToLower(p["gender"].get<std::string>()) : "";
        c.presentation.sex = (g == "female" || g == "f" || g == "woman") ? "female" : "male";
      } else {
        c.presentation.sex = absl::StrContains(absl::AsciiStrToLower(first), "woman") ? "female" : "male";
      }
      // Chief complaint: what follows "complaints of" / "presents with", up to the next clause.
      std::string lower = absl::AsciiStrToLower(first);
      std::string chief;
      for (const char* cue : {"complaints of ", "complaint of ", "presented with ", "presents with ",
                              "presenting with ", "because of ", "for evaluation of ", "with "}) {
        size_t p = lower.find(cue);
        if (p == std::string::npos) continue;
        chief = first.substr(p + strlen(cue));
        for (const char* stop : {" that ", " for ", ". ", ", ", " which ", " since "}) {
          size_t q = absl::AsciiStrToLower(chief).find(stop);
          if (q != std::string::npos) chief = chief.substr(0, q);
        }
        break;
      }
      if (chief.empty()) chief = "feeling unwell";
      c.presentation.chief_complaint = absl::AsciiStrToLower(chief);
      c.presentation.abstract = first.empty() || first.back() == '.' ? first : first + ".";
      c.title = c.presentation.chief_complaint;
      std::vector<std::string> notes;
      if (!import::Redact(c, &c.presentation.abstract) || !import::Redact(c, &c.title) ||
          !import::Redact(c, &c.presentation.chief_complaint)) {
        return "the initial information names the diagnosis";
      }
      int fact_no = 0, exam_no = 0, test_no = 0, key_facts = 0;
      for (const auto& raw : rec["facts"]) {
        if (!raw.is_string()) continue;
        std::string s = raw.get<std::string>();
        static const std::regex kNumbering("^\\s*\\d+\\.\\s*");
        s = std::regex_replace(s, kNumbering, "");
        if (s.empty()) continue;
        std::string collapsed = " " + CollapseText(s) + " ";
        // The demographic opener repeats the presentation.
        if (Has(collapsed, {" year old "}) && Has(collapsed, {" presented ", " presents ", " came ", " was brought "})) {
          continue;
        }
        std::string text = s;
        if (!import::Redact(c, &text)) {
          notes.push_back(absl::StrCat("dropped a fact that names the diagnosis: ", s));
          continue;
        }
        const CatalogTest* test = nullptr;
        bool lab = Has(collapsed, {" level ", " levels ", " count ", " serum ", " laboratory ", " mg dl ",
                                   " mmol ", " x ray ", " ct ", " mri ", " ultrasound ", " biopsy ",
                                   " showed ", " revealed ", " culture ", " test ", " ecg ", " scan "});
        if (lab) test = TestNamedIn(collapsed);
        if (test != nullptr && c.FindTestByCatalogId(test->id) == nullptr) {
          TestResult t;
          t.id = absl::StrFormat("t%02d", ++test_no);
          t.catalog_id = test->id;
          t.result = text;
          t.abnormal = import::LooksAbnormal(text);
          c.tests.push_back(std::move(t));
          continue;
        }
        bool exam = Has(collapsed, {" examination ", " exam ", " identified ", " palpat", " auscultat",
                                    " tender ", " blood pressure ", " pulse ", " temperature ",
                                    " heart rate ", " respiratory rate ", " on inspection ", " observed ",
                                    " was noted ", " were noted ", " is noted ", " were identified "});
        if (exam) {
          std::string sys = import::ExamSystemFor(s);
          if (Has(collapsed, {" blood pressure ", " pulse ", " temperature ", " heart rate ", " respiratory rate "})) sys = "vitals";
          c.exam.push_back({absl::StrFormat("e%02d", ++exam_no), sys.empty() ? "general" : sys, "",
                            text, sys != "vitals" && import::LooksAbnormal(text)});
          continue;
        }
        Fact f;
        f.id = absl::StrFormat("f%02d", ++fact_no);
        f.category = import::GuessCategory(s, "");
        f.text = import::FirstPerson(text);
        f.keywords = import::Keywords(f.category, f.text);
        f.key = f.category == "hpi" && key_facts < 6;
        key_facts += f.key;
        c.facts.push_back(std::move(f));
      }
      if (c.facts.empty()) return "no fact the patient could tell was found";
      return import::Accept(std::move(c), notes, options, "CC-BY-4.0", &result);
    }, &result);
    return result;
  }
};

}  // namespace

std::unique_ptr<Importer> NewMediqImporter() { return std::make_unique<MediqImporter>(); }

std::vector<std::string> ImporterNames() { return {"agentclinic", "mediq"}; }

absl::StatusOr<std::unique_ptr<Importer>> CreateImporter(absl::string_view format) {
  if (format == "agentclinic") return NewAgentClinicImporter();
  if (format == "mediq") return NewMediqImporter();
  return absl::NotFoundError(absl::StrCat("unknown import format '", format,
                                          "'; formats are: agentclinic, mediq"));
}

}  // namespace clinsim::cases
