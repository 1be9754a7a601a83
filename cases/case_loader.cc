#include "cases/case_loader.h"

#include <fstream>
#include <algorithm>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json_reader.h"
#include "common/text.h"

namespace clinsim::cases {
namespace {

bool OneOf(absl::string_view v, const auto& list) {
  for (const char* x : list) {
    if (v == x) return true;
  }
  return false;
}

// [a-z0-9_]+ (hand-written: std::regex costs microseconds per call, and a 10,000-case library
// is validated on every load).
bool IsCaseId(absl::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  });
}

// [A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?, e.g. K35, I21.19, S72.001A.
bool IsIcd10(absl::string_view code) {
  auto upper_or_digit = [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'); };
  if (code.size() < 3 || code[0] < 'A' || code[0] > 'Z' || code[1] < '0' || code[1] > '9' ||
      !upper_or_digit(code[2])) {
    return false;
  }
  if (code.size() == 3) return true;
  if (code[3] != '.' || code.size() < 5 || code.size() > 8) return false;
  return std::all_of(code.begin() + 4, code.end(), upper_or_digit);
}

std::string ListOf(const auto& list) {
  std::vector<std::string> v(std::begin(list), std::end(list));
  return absl::StrJoin(v, ", ");
}

}  // namespace

const Fact* Case::FindFact(absl::string_view fact_id) const {
  for (const auto& f : facts) {
    if (f.id == fact_id) return &f;
  }
  return nullptr;
}

const TestResult* Case::FindTestByCatalogId(absl::string_view catalog_id) const {
  for (const auto& t : tests) {
    if (!t.catalog_id.empty() && t.catalog_id == catalog_id) return &t;
  }
  return nullptr;
}

const TestResult* Case::FindTestById(absl::string_view test_id) const {
  for (const auto& t : tests) {
    if (t.id == test_id) return &t;
  }
  return nullptr;
}

std::vector<absl::string_view> DoctorVisibleTexts(const Case& c) {
  std::vector<absl::string_view> out = {c.presentation.abstract, c.presentation.chief_complaint};
  for (const auto& f : c.facts) out.push_back(f.text);
  for (const auto& e : c.exam) out.push_back(e.finding);
  for (const auto& t : c.tests) out.push_back(t.result);
  return out;
}

namespace {

// Like CollapseText but keeps the case of letters.
std::string CollapseKeepCase(absl::string_view text) {
  std::string out;
  bool space = true;
  for (unsigned char c : text) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
    if (word) {
      out.push_back(static_cast<char>(c));
      space = false;
    } else if (c != '\'' && !space) {
      out.push_back(' ');
      space = true;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool IsAcronym(absl::string_view alias) {
  bool upper = false;
  for (unsigned char c : alias) {
    if (c >= 'a' && c <= 'z') return false;
    upper = upper || (c >= 'A' && c <= 'Z');
  }
  return upper;
}

}  // namespace

SecretMatcher::SecretMatcher(const Case& c) {
  auto add = [&](absl::string_view s) {
    if (IsAcronym(s)) {
      std::string a = CollapseKeepCase(s);
      if (!a.empty()) acronyms_.push_back(std::move(a));
    } else {
      std::string n = CollapseText(s);
      if (!n.empty()) folded_.push_back(std::move(n));
    }
  };
  add(c.diagnosis.name);
  for (const auto& a : c.diagnosis.aliases) add(a);
}

bool SecretMatcher::Find(absl::string_view text, std::string* found) const {
  if (!folded_.empty()) {
    std::string norm = CollapseText(text);
    for (const auto& s : folded_) {
      if (ContainsPhrase(norm, s)) {
        if (found != nullptr) *found = s;
        return true;
      }
    }
  }
  if (!acronyms_.empty()) {
    std::string exact = CollapseKeepCase(text);
    for (const auto& s : acronyms_) {
      if (ContainsPhrase(exact, s)) {
        if (found != nullptr) *found = s;
        return true;
      }
    }
  }
  return false;
}

absl::StatusOr<Case> LoadCaseJson(absl::string_view json_text, absl::string_view origin,
                                  const TestCatalog& tests, const ExamCatalog& exams) {
  JsonReader r(origin);
  auto doc = r.Parse(json_text);
  if (!doc) return r.ToStatus();
  const nlohmann::json& j = *doc;
  if (!j.is_object()) {
    r.Problem("", "a case file must hold one JSON object");
    return r.ToStatus();
  }
  Case c;
  c.file = std::string(origin);
  c.id = r.String(j, "id", "");
  c.title = r.String(j, "title", "");
  c.specialty = r.String(j, "specialty", "");
  c.difficulty = r.String(j, "difficulty", "");
  if (const auto* s = r.Field(j, "source", "", true)) {
    c.source.kind = r.String(*s, "kind", "source");
    c.source.origin = r.String(*s, "origin", "source");
    c.source.license = r.String(*s, "license", "source");
  }
  if (const auto* p = r.Field(j, "presentation", "", true)) {
    auto age = r.Number(*p, "age", "presentation");
    if (age) {
      if (*age < 0 || *age > 120 || *age != static_cast<int>(*age)) {
        r.Problem("presentation.age", "must be a whole number of years, 0..120");
      }
      c.presentation.age = static_cast<int>(*age);
    }
    c.presentation.sex = r.String(*p, "sex", "presentation");
    c.presentation.chief_complaint = r.String(*p, "chief_complaint", "presentation");
    c.presentation.abstract = r.String(*p, "abstract", "presentation");
  }
  if (const auto* facts = r.Array(j, "facts", "")) {
    for (size_t i = 0; i < facts->size(); ++i) {
      std::string path = absl::StrCat("facts[", i, "]");
      Fact f;
      f.id = r.String((*facts)[i], "id", path);
      f.category = r.String((*facts)[i], "category", path);
      f.text = r.String((*facts)[i], "text", path);
      f.keywords = r.StringList((*facts)[i], "keywords", path, false);
      f.key = r.Bool((*facts)[i], "key", path, false);
      c.facts.push_back(std::move(f));
    }
  }
  if (const auto* exam = r.Array(j, "exam", "")) {
    for (size_t i = 0; i < exam->size(); ++i) {
      std::string path = absl::StrCat("exam[", i, "]");
      ExamFinding e;
      e.id = r.String((*exam)[i], "id", path);
      e.system = r.String((*exam)[i], "system", path);
      e.maneuver = r.String((*exam)[i], "maneuver", path, false);
      e.finding = r.String((*exam)[i], "finding", path);
      e.abnormal = r.Bool((*exam)[i], "abnormal", path, false);
      c.exam.push_back(std::move(e));
    }
  }
  if (const auto* ts = r.Array(j, "tests", "")) {
    for (size_t i = 0; i < ts->size(); ++i) {
      std::string path = absl::StrCat("tests[", i, "]");
      TestResult t;
      t.id = r.String((*ts)[i], "id", path);
      t.catalog_id = r.String((*ts)[i], "catalog_id", path, false);
      t.name = r.String((*ts)[i], "name", path, false);
      t.usd = r.Number((*ts)[i], "usd", path, false);
      t.result = r.String((*ts)[i], "result", path);
      t.abnormal = r.Bool((*ts)[i], "abnormal", path, false);
      t.value = r.Number((*ts)[i], "value", path, false);
      t.unit = r.String((*ts)[i], "unit", path, false);
      t.reference_range = r.String((*ts)[i], "reference_range", path, false);
      c.tests.push_back(std::move(t));
    }
  }
  if (const auto* d = r.Field(j, "diagnosis", "", true)) {
    c.diagnosis.name = r.String(*d, "name", "diagnosis");
    c.diagnosis.aliases = r.StringList(*d, "aliases", "diagnosis", false);
    c.diagnosis.icd10 = r.String(*d, "icd10", "diagnosis", false);
    c.diagnosis.differential = r.StringList(*d, "differential", "diagnosis", false);
  }
  if (const auto* rub = r.Array(j, "rubric", "", false)) {
    for (size_t i = 0; i < rub->size(); ++i) {
      std::string path = absl::StrCat("rubric[", i, "]");
      RubricItem it;
      it.id = r.String((*rub)[i], "id", path);
      it.text = r.String((*rub)[i], "text", path);
      it.points = r.Number((*rub)[i], "points", path).value_or(0);
      it.axis = r.String((*rub)[i], "axis", path);
      it.kind = r.String((*rub)[i], "kind", path);
      it.targets = r.StringList((*rub)[i], "targets", path, false);
      it.derived = r.Bool((*rub)[i], "derived", path, false);
      c.rubric.push_back(std::move(it));
    }
  }
  if (!r.ok()) return r.ToStatus();
  for (const auto& p : ValidateCase(c, tests, exams)) r.Problem("", p);
  if (!r.ok()) return r.ToStatus();
  return c;
}

absl::StatusOr<Case> LoadCaseFile(const std::string& path, const TestCatalog& tests,
                                  const ExamCatalog& exams) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadCaseJson(ss.str(), path, tests, exams);
}

std::vector<std::string> ValidateCase(const Case& c, const TestCatalog& tests,
                                      const ExamCatalog& exams) {
  std::vector<std::string> p;
  auto problem = [&](std::string field, std::string what) {
    p.push_back(absl::StrCat(field, ": ", what));
  };
  if (!IsCaseId(c.id)) problem("id", "use lower-case letters, digits and '_' only");
  if (c.difficulty != "easy" && c.difficulty != "medium" && c.difficulty != "hard") {
    problem("difficulty", absl::StrCat("'", c.difficulty, "' is not one of easy, medium, hard"));
  }
  if (c.source.kind != "authored" && c.source.kind != "imported") {
    problem("source.kind", "must be authored or imported");
  }
  if (c.presentation.sex != "female" && c.presentation.sex != "male") {
    problem("presentation.sex", "must be female or male");
  }
  if (c.facts.empty()) problem("facts", "a case needs at least one fact");
  std::set<std::string> ids;
  for (size_t i = 0; i < c.facts.size(); ++i) {
    const Fact& f = c.facts[i];
    std::string path = absl::StrCat("facts[", i, "]");
    if (!ids.insert(f.id).second) problem(path + ".id", absl::StrCat("duplicate id '", f.id, "'"));
    if (!OneOf(f.category, kFactCategories)) {
      problem(path + ".category",
              absl::StrCat("'", f.category, "' is not one of ", ListOf(kFactCategories)));
    }
  }
  std::set<std::string> exam_ids;
  for (size_t i = 0; i < c.exam.size(); ++i) {
    std::string path = absl::StrCat("exam[", i, "]");
    if (!exam_ids.insert(c.exam[i].id).second) problem(path + ".id", "duplicate id");
    if (exams.FindById(c.exam[i].system) == nullptr) {
      problem(path + ".system", absl::StrCat("unknown exam system '", c.exam[i].system,
                                             "'; use one of ", exams.IdList()));
    }
  }
  std::set<std::string> test_ids, catalog_ids;
  for (size_t i = 0; i < c.tests.size(); ++i) {
    std::string path = absl::StrCat("tests[", i, "]");
    const TestResult& t = c.tests[i];
    if (!test_ids.insert(t.id).second) problem(path + ".id", "duplicate id");
    if (t.catalog_id.empty() == t.name.empty()) {
      problem(path, "give either catalog_id (a catalog test) or name (a case-specific test)");
      continue;
    }
    if (!t.name.empty()) {
      if (t.usd && *t.usd < 0) problem(path + ".usd", "must not be negative");
      continue;
    }
    if (tests.FindById(t.catalog_id) == nullptr) {
      TestResolution r = tests.Resolve(t.catalog_id);
      problem(path + ".catalog_id",
              absl::StrCat("unknown catalog id '", t.catalog_id, "'",
                           r.kind == TestResolution::kFound
                               ? absl::StrCat("; did you mean '", r.test->id, "'?")
                               : ""));
    } else if (!catalog_ids.insert(t.catalog_id).second) {
      problem(path + ".catalog_id", absl::StrCat("'", t.catalog_id, "' is listed twice"));
    }
  }
  if (!c.diagnosis.icd10.empty() && !IsIcd10(c.diagnosis.icd10)) {
    problem("diagnosis.icd10", absl::StrCat("'", c.diagnosis.icd10,
                                            "' is not an ICD-10 code like I21.19 or K35"));
  }
  std::set<std::string> rubric_ids;
  bool any_positive = false;
  for (size_t i = 0; i < c.rubric.size(); ++i) {
    const RubricItem& it = c.rubric[i];
    std::string path = absl::StrCat("rubric[", i, "]");
    if (!rubric_ids.insert(it.id).second) problem(path + ".id", "duplicate id");
    if (it.points > 0) any_positive = true;
    if (!OneOf(it.axis, kRubricAxes)) {
      problem(path + ".axis", absl::StrCat("'", it.axis, "' is not one of ", ListOf(kRubricAxes)));
    }
    if (!OneOf(it.kind, kRubricKinds)) {
      problem(path + ".kind", absl::StrCat("'", it.kind, "' is not one of ", ListOf(kRubricKinds)));
      continue;
    }
    if (it.kind != "free_text" && it.targets.empty()) {
      problem(path + ".targets", absl::StrCat("a ", it.kind, " item needs at least one target"));
    }
    for (const auto& tg : it.targets) {
      if (it.kind == "must_ask" && c.FindFact(tg) == nullptr) {
        problem(path + ".targets", absl::StrCat("no fact with id '", tg, "'"));
      } else if (it.kind == "must_examine" && exams.FindById(tg) == nullptr) {
        problem(path + ".targets", absl::StrCat("unknown exam system '", tg, "'"));
      } else if ((it.kind == "must_order" || it.kind == "avoid") && tests.FindById(tg) == nullptr &&
                 !(absl::StartsWith(tg, "custom:") && c.FindTestById(tg.substr(7)) != nullptr)) {
        problem(path + ".targets",
                absl::StrCat("unknown catalog id '", tg, "' (case-specific tests are 'custom:TEST_ID')"));
      }
    }
  }
  if (!c.rubric.empty() && !any_positive) problem("rubric", "needs at least one positive item");
  // Nothing the doctor can see before the end may name the answer.
  SecretMatcher secrets(c);
  auto check_leak = [&](absl::string_view field, absl::string_view text) {
    std::string found;
    if (secrets.Find(text, &found)) {
      problem(std::string(field), absl::StrCat("names the diagnosis ('", found,
                                               "'); reword it so the answer stays hidden"));
    }
  };
  check_leak("title", c.title);
  check_leak("presentation.abstract", c.presentation.abstract);
  check_leak("presentation.chief_complaint", c.presentation.chief_complaint);
  for (size_t i = 0; i < c.facts.size(); ++i) check_leak(absl::StrCat("facts[", i, "].text"), c.facts[i].text);
  for (size_t i = 0; i < c.exam.size(); ++i) check_leak(absl::StrCat("exam[", i, "].finding"), c.exam[i].finding);
  for (size_t i = 0; i < c.tests.size(); ++i) check_leak(absl::StrCat("tests[", i, "].result"), c.tests[i].result);
  return p;
}

}  // namespace clinsim::cases
