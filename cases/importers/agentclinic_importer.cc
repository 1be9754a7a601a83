// AgentClinic OSCE JSONL: {"OSCE_Examination": {"Objective_for_Doctor", "Patient_Actor": {...},
// "Physical_Examination_Findings": {...}, "Test_Results": {...}, "Correct_Diagnosis"}}.
// Field names under the exam and test sections vary from record to record, so they are mapped by
// meaning (exam-system names, catalog test names), never by a list of the keys in one file.
#include <map>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cases/importers/import_support.h"
#include "cases/importers/importers.h"

namespace clinsim::cases {
namespace {

using import::FirstPerson;
using import::Humanize;

std::string Text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  if (v.is_array()) {
    std::vector<std::string> parts;
    for (const auto& x : v) parts.push_back(Text(x));
    return absl::StrJoin(parts, "; ");
  }
  if (v.is_object()) {
    std::vector<std::string> parts;
    for (const auto& [k, x] : v.items()) parts.push_back(absl::StrCat(Humanize(k), ": ", Text(x)));
    return absl::StrJoin(parts, "; ");
  }
  return "";
}

void ParseDemographics(absl::string_view demo, Presentation* p) {
  static const std::regex kAge("(\\d+)[- ](year|month|week|day)");
  std::smatch m;
  std::string s(demo);
  if (std::regex_search(s, m, kAge)) p->age = m[2] == "year" ? std::stoi(m[1]) : 0;
  std::string lower = absl::AsciiStrToLower(s);
  bool female = lower.find("female") != std::string::npos || lower.find("woman") != std::string::npos ||
                lower.find("girl") != std::string::npos;
  p->sex = female ? "female" : "male";
}

// Leaves of a nested object, with their key paths.
void Leaves(const nlohmann::json& v, std::vector<std::string> path,
            std::vector<std::pair<std::vector<std::string>, std::string>>* out) {
  if (v.is_object()) {
    for (const auto& [k, x] : v.items()) {
      auto p = path;
      p.push_back(k);
      Leaves(x, p, out);
    }
    return;
  }
  out->emplace_back(path, Text(v));
}

class AgentClinicImporter : public Importer {
 public:
  ImportResult Import(absl::string_view jsonl, const ImportOptions& options) const override {
    ImportResult result;
    std::string prefix = options.id_prefix.empty() ? "agentclinic" : options.id_prefix;
    import::ForEachRecord(jsonl, [&](int line, const nlohmann::json& rec) -> std::string {
      if (!rec.contains("OSCE_Examination") || !rec["OSCE_Examination"].is_object()) {
        return "missing the OSCE_Examination object";
      }
      const nlohmann::json& osce = rec["OSCE_Examination"];
      if (!osce.contains("Correct_Diagnosis") || Text(osce["Correct_Diagnosis"]).empty()) {
        return "missing OSCE_Examination.Correct_Diagnosis";
      }
      if (!osce.contains("Patient_Actor") || !osce["Patient_Actor"].is_object()) {
        return "missing OSCE_Examination.Patient_Actor";
      }
      Case c;
      c.id = absl::StrFormat("%s_%04d", prefix, line);
      c.specialty = "imported";
      c.source.origin = absl::StrCat(options.origin.empty() ? "AgentClinic" : options.origin, " line ", line);
      c.diagnosis.name = Text(osce["Correct_Diagnosis"]);
      std::vector<std::string> notes;
      const nlohmann::json& actor = osce["Patient_Actor"];
      std::string chief;
      int fact_no = 0;
      auto add_fact = [&](const std::string& sentence, const std::string& hint, bool key) {
        std::string text = FirstPerson(sentence);
        if (!import::Redact(c, &text)) {
          notes.push_back(absl::StrCat("dropped a fact that names the diagnosis: ", sentence));
          return;
        }
        Fact f;
        f.id = absl::StrFormat("f%02d", ++fact_no);
        f.category = import::GuessCategory(sentence, hint);
        f.text = text;
        f.keywords = import::Keywords(f.category, text);
        f.key = key && f.category == "hpi";
        c.facts.push_back(std::move(f));
      };
      for (const auto& [field, value] : actor.items()) {
        if (field == "Demographics") {
          ParseDemographics(Text(value), &c.presentation);
          continue;
        }
        if (field == "Symptoms" && value.is_object()) {
          for (const auto& [k, v] : value.items()) {
            std::vector<std::string> list;
            if (v.is_array()) {
              for (const auto& x : v) list.push_back(Text(x));
            } else {
              list.push_back(Text(v));
            }
            for (const auto& s : list) {
              if (s.empty()) continue;
              if (chief.empty()) chief = s;
              add_fact(absl::StrCat("I have ", absl::AsciiStrToLower(s.substr(0, 1)), s.substr(1), "."),
                       "symptoms", true);
            }
          }
          continue;
        }
        for (const auto& sentence : import::Sentences(Text(value))) {
          add_fact(sentence, field, field == "History");
        }
      }
      if (chief.empty() && !c.facts.empty()) chief = c.facts[0].text;
      c.presentation.chief_complaint = absl::AsciiStrToLower(chief);
      c.title = chief.empty() ? c.id : chief;
      c.presentation.abstract = absl::StrFormat(
          "A %d-year-old %s presents with %s.", c.presentation.age,
          c.presentation.sex == "female" ? "woman" : "man", c.presentation.chief_complaint);
      if (!import::Redact(c, &c.presentation.chief_complaint) || !import::Redact(c, &c.title) ||
          !import::Redact(c, &c.presentation.abstract)) {
        return "the chief complaint names the diagnosis";
      }
      // Physical examination: each section maps to an exam system by its name, else by the names
      // of its parts, else "general".
      int exam_no = 0;
      if (osce.contains("Physical_Examination_Findings") && osce["Physical_Examination_Findings"].is_object()) {
        for (const auto& item : osce["Physical_Examination_Findings"].items()) {
          // Named copies, not a structured binding: clang 14 cannot capture those in a lambda.
          const std::string& section = item.key();
          const nlohmann::json& value = item.value();
          std::string system = import::ExamSystemFor(section);
          auto add = [&](const std::string& sys, const std::string& maneuver, std::string finding) {
            if (finding.empty()) return;
            if (!import::Redact(c, &finding)) {
              notes.push_back(absl::StrCat("dropped an exam finding that names the diagnosis (", section, ")"));
              return;
            }
            c.exam.push_back({absl::StrFormat("e%02d", ++exam_no), sys.empty() ? "general" : sys,
                              maneuver, finding, sys != "vitals" && import::LooksAbnormal(finding)});
          };
          if (value.is_object() && system != "vitals") {
            for (const auto& [part, v] : value.items()) {
              std::string sys = system.empty() ? import::ExamSystemFor(part) : system;
              add(sys, Humanize(part), Text(v));
            }
          } else {
            add(system, "", Text(value));
          }
        }
      }
      // Test results: leaves grouped by the catalog test they resolve to (their own name, else a
      // parent's); leaves with no catalog match stay orderable as case-specific tests.
      std::map<std::string, std::vector<std::string>> by_catalog, by_custom;
      std::vector<std::string> order;
      if (osce.contains("Test_Results") && osce["Test_Results"].is_object()) {
        std::vector<std::pair<std::vector<std::string>, std::string>> leaves;
        Leaves(osce["Test_Results"], {}, &leaves);
        for (auto& [path, value] : leaves) {
          std::string id;
          for (size_t k = path.size(); k-- > 0 && id.empty();) {
            id = import::CatalogIdFor(path[k]);
            if (id.empty() && k > 0) id = import::CatalogIdFor(Humanize(path[k - 1]) + " " + Humanize(path[k]));
          }
          std::string label = Humanize(path.back());
          std::string entry = absl::AsciiStrToLower(label) == "findings" ? value : absl::StrCat(label, ": ", value);
          if (!id.empty()) {
            if (!by_catalog.contains(id)) order.push_back(id);
            by_catalog[id].push_back(entry);
          } else {
            // The most specific non-generic name in the path names the test.
            std::string name = path.size() >= 2 && absl::AsciiStrToLower(label) == "findings"
                                   ? Humanize(path[path.size() - 2]) : label;
            if (!by_custom.contains(name)) order.push_back("custom:" + name);
            by_custom[name].push_back(entry);
            notes.push_back(absl::StrCat("no catalog test for '", name, "': kept as a case-specific test"));
          }
        }
      }
      int test_no = 0;
      for (const auto& key : order) {
        TestResult t;
        t.id = absl::StrFormat("t%02d", ++test_no);
        bool custom = absl::StartsWith(key, "custom:");
        if (custom) {
          t.name = key.substr(7);
          t.result = absl::StrJoin(by_custom[t.name], "; ");
        } else {
          t.catalog_id = key;
          t.result = absl::StrJoin(by_catalog[key], "; ");
        }
        if (!import::Redact(c, &t.result)) {
          notes.push_back(absl::StrCat("dropped a result that names the diagnosis (", custom ? t.name : key, ")"));
          continue;
        }
        t.abnormal = import::LooksAbnormal(t.result);
        c.tests.push_back(std::move(t));
      }
      return import::Accept(std::move(c), notes, options, "MIT", &result);
    }, &result);
    return result;
  }
};

}  // namespace

std::unique_ptr<Importer> NewAgentClinicImporter() { return std::make_unique<AgentClinicImporter>(); }

}  // namespace clinsim::cases
