#include "agents/gatekeeper/gatekeeper.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/text.h"

namespace clinsim::agents {
namespace {

bool IsVagueExam(absl::string_view request) {
  static const char* const kVague[] = {
      "full exam", "full examination", "physical exam", "physical examination", "everything",
      "all", "all systems", "complete exam", "complete examination", "the patient", "patient",
      "examine the patient", "head to toe", "head to toe exam", "general exam please", "exam",
      "examination", "full physical", "full physical exam", "complete physical exam", "him", "her"};
  std::string key = CollapseText(request);
  for (const char* v : kVague) {
    if (key == v) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> SplitList(absl::string_view text) {
  // The word "and" separates items, except inside a name we know ("ear, nose and throat" is rare
  // enough). Words are split on any whitespace and rejoined with one space, and an "and" at either
  // end of a piece separates nothing, so the list joined with ", " splits back to the same items.
  std::vector<std::string> out;
  for (absl::string_view piece : absl::StrSplit(text, absl::ByAnyChar(",;+\n"))) {
    std::vector<absl::string_view> words;
    auto flush = [&] {
      if (!words.empty()) out.push_back(absl::StrJoin(words, " "));
      words.clear();
    };
    for (absl::string_view w : absl::StrSplit(piece, absl::ByAnyChar(" \t\r\f\v"), absl::SkipEmpty())) {
      if (absl::EqualsIgnoreCase(w, "and")) {
        flush();
      } else {
        words.push_back(w);
      }
    }
    flush();
  }
  return out;
}

RuleGatekeeper::RuleGatekeeper(const cases::Case& c, const cases::TestCatalog& tests,
                               const cases::ExamCatalog& exams, const noise::NoiseEngine* noise)
    : case_(&c), tests_(&tests), exams_(&exams), noise_(noise) {
  for (const auto& t : c.tests) {
    if (!t.catalog_id.empty()) continue;
    cases::CatalogTest ct;
    ct.id = absl::StrCat("custom:", t.id);
    ct.name = t.name;
    ct.category = "case";
    ct.usd = t.usd.value_or(0);
    ct.normal_result = t.result;
    custom_.push_back(std::move(ct));
  }
}

ExamReply RuleGatekeeper::Examine(absl::string_view request) {
  ExamReply reply;
  std::vector<std::string> seen;
  for (const std::string& part : SplitList(request)) {
    if (IsVagueExam(part)) {
      reply.errors.push_back(absl::StrCat("'", part,
                                          "' is too vague: name the systems to examine, e.g. "
                                          "EXAMINE: cardiovascular, respiratory. Systems: ",
                                          exams_->IdList()));
      continue;
    }
    const cases::ExamSystem* sys = exams_->Resolve(part);
    if (sys == nullptr) {
      reply.errors.push_back(absl::StrCat("unknown exam system '", part,
                                          "'; systems are: ", exams_->IdList()));
      continue;
    }
    if (std::find(seen.begin(), seen.end(), sys->id) != seen.end()) continue;
    seen.push_back(sys->id);
    bool any = false;
    auto noised = [&](absl::string_view target, const std::string& text) {
      if (noise_ == nullptr) return text;
      return noise_->ApplyExam(target, text, /*is_test=*/false, nullptr, &reply.noise_events);
    };
    for (const auto& f : case_->exam) {
      if (f.system != sys->id) continue;
      reply.results.push_back({sys->id, f.maneuver, noised(f.id, f.finding), f.abnormal, true});
      any = true;
    }
    if (!any) {
      reply.results.push_back(
          {sys->id, "", noised(absl::StrCat("normal:", sys->id), sys->normal_finding), false, false});
    }
  }
  return reply;
}

OrderReply RuleGatekeeper::Order(const std::vector<std::string>& requests) {
  OrderReply reply;
  for (const std::string& req : requests) {
    cases::TestResolution r = tests_->Resolve(req);
    // A case-specific test is matched by its name before the catalog's fuzzy guesses.
    if (!(r.kind == cases::TestResolution::kFound && r.how != "fuzzy")) {
      std::string key = CollapseText(req);
      for (const auto& ct : custom_) {
        std::string name = CollapseText(ct.name);
        if (!key.empty() && (key == name || ContainsPhrase(name, key) || ContainsPhrase(key, name))) {
          r = {cases::TestResolution::kFound, &ct, "case", {}};
          break;
        }
      }
    }
    if (r.kind == cases::TestResolution::kVague) {
      reply.errors.push_back(absl::StrCat(
          "'", req,
          "' is too vague: order specific tests by name, e.g. 'complete blood count', "
          "'basic metabolic panel', 'chest x-ray'. Nothing was charged."));
      continue;
    }
    if (r.kind == cases::TestResolution::kUnknown) {
      reply.errors.push_back(absl::StrCat(
          "unknown test '", req, "'",
          r.suggestions.empty() ? std::string()
                                : absl::StrCat("; closest catalog names: ",
                                               absl::StrJoin(r.suggestions, "; ")),
          ". Nothing was charged."));
      continue;
    }
    // The same test named twice in one order ("cbc, full blood count") is done once.
    if (std::any_of(reply.results.begin(), reply.results.end(),
                    [&](const TestOutcome& done) { return done.test == r.test; })) {
      continue;
    }
    TestOutcome o;
    o.request = req;
    o.test = r.test;
    o.how = r.how;
    const cases::TestResult* t = absl::StartsWith(r.test->id, "custom:")
                                     ? case_->FindTestById(r.test->id.substr(7))
                                     : case_->FindTestByCatalogId(r.test->id);
    if (t != nullptr) {
      o.result = t->result;
      o.abnormal = t->abnormal;
      o.value = t->value;
      o.unit = t->unit;
      o.reference_range = t->reference_range;
      o.from_case = true;
    } else {
      o.result = r.test->normal_result;
      o.unit = r.test->unit;
      o.reference_range = r.test->reference_range;
    }
    if (noise_ != nullptr) {
      o.result = noise_->ApplyExam(absl::StrCat("test:", o.test->id), o.result, /*is_test=*/true,
                                   &o.value, &reply.noise_events);
    }
    reply.results.push_back(std::move(o));
  }
  return reply;
}

}  // namespace clinsim::agents
