#include "cases/catalog/test_catalog.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/embedded_data.h"
#include "common/json_reader.h"
#include "common/text.h"

namespace clinsim::cases {
namespace {

// Words a doctor wraps around a test name ("please order a CBC stat") that never change which
// test is meant.
constexpr const char* kFiller[] = {"please", "order", "get", "check", "do",   "run", "send",
                                   "obtain", "a",     "an",  "the",   "stat", "me",  "for",
                                   "us",     "some",  "i",   "want",  "would", "like", "to"};
constexpr const char* kTrailing[] = {"test", "tests", "level", "levels", "study", "please", "stat"};


std::string StripFiller(const std::string& collapsed) {
  std::string norm = collapsed;
  std::vector<absl::string_view> words = Tokenize(norm);
  size_t b = 0, e = words.size();
  auto in = [](absl::string_view w, const auto& list) {
    return std::any_of(std::begin(list), std::end(list), [&](const char* f) { return w == f; });
  };
  while (b < e && in(words[b], kFiller)) ++b;
  while (e > b + 1 && in(words[e - 1], kTrailing)) --e;
  return JoinViews(std::vector<absl::string_view>(words.begin() + b, words.begin() + e), " ");
}

// Dice overlap of two canonical (stemmed) phrases, by word.
double WordDice(absl::string_view a, absl::string_view b) {
  std::vector<absl::string_view> wa = Tokenize(a), wb = Tokenize(b);
  if (wa.empty() || wb.empty()) return 0;
  int common = 0;
  std::vector<bool> used(wb.size(), false);
  for (absl::string_view x : wa) {
    for (size_t j = 0; j < wb.size(); ++j) {
      if (used[j]) continue;
      int cap = x.size() >= 6 ? 1 : 0;  // one typo allowed in longer words
      if (EditDistance(x, wb[j], cap) <= cap) {
        used[j] = true;
        ++common;
        break;
      }
    }
  }
  return 2.0 * common / static_cast<double>(wa.size() + wb.size());
}

}  // namespace

bool IsVagueTestRequest(absl::string_view normalized_request) {
  static const char* const kVague[] = {
      "labs", "lab", "lab work", "labwork", "bloods", "blood work", "bloodwork", "blood", "tests",
      "test", "blood tests", "blood test", "routine labs", "basic labs", "all labs", "everything",
      "all tests", "all", "workup", "full workup", "work up", "imaging", "scan", "scans", "xray",
      "x ray", "x rays", "xrays", "radiograph", "ultrasound", "ct", "ct scan", "mri", "mri scan",
      "cultures", "culture", "panel", "screen", "biopsy", "serology", "serologies", "investigations",
      "the usual", "usual", "standard tests", "routine tests", "something", "anything", "more tests",
      "cardiac workup", "sepsis workup", "std screen", "sti screen", "tox screen", "endoscopy",
      "scope", "swab", "urine test", "stool test", "heart tests", "lung tests", "imaging studies"};
  std::string req = StripFiller(std::string(normalized_request));
  for (const char* v : kVague) {
    if (req == v) return true;
  }
  return false;
}

absl::StatusOr<TestCatalog> TestCatalog::FromJson(absl::string_view json_text,
                                                   absl::string_view origin) {
  JsonReader r(origin);
  auto doc = r.Parse(json_text);
  if (!doc) return r.ToStatus();
  TestCatalog cat;
  const nlohmann::json* list = r.Array(*doc, "tests", "");
  if (list == nullptr) return r.ToStatus();
  for (size_t i = 0; i < list->size(); ++i) {
    const auto& t = (*list)[i];
    std::string path = absl::StrCat("tests[", i, "]");
    CatalogTest ct;
    ct.id = r.String(t, "id", path);
    ct.name = r.String(t, "name", path);
    ct.code = r.String(t, "code", path);
    ct.category = r.String(t, "category", path);
    ct.usd = r.Number(t, "usd", path).value_or(0);
    ct.price_source = r.String(t, "price_source", path, false);
    ct.aliases = r.StringList(t, "aliases", path, false);
    ct.discomfort = static_cast<int>(r.Number(t, "discomfort", path, false).value_or(0));
    ct.normal_result = r.String(t, "normal_result", path, false);
    ct.unit = r.String(t, "unit", path, false);
    ct.reference_range = r.String(t, "reference_range", path, false);
    if (ct.usd < 0) r.Problem(path + ".usd", "must not be negative");
    if (ct.discomfort < 0 || ct.discomfort > 3) r.Problem(path + ".discomfort", "must be 0..3");
    if (ct.normal_result.empty()) {
      ct.normal_result = absl::StrCat(ct.name, ": within normal limits.");
    }
    if (cat.by_id_.contains(ct.id)) r.Problem(path + ".id", absl::StrCat("duplicate id '", ct.id, "'"));
    cat.by_id_[ct.id] = static_cast<int>(cat.tests_.size());
    cat.tests_.push_back(std::move(ct));
  }
  if (!r.ok()) return r.ToStatus();
  // Keys, most specific kind first so an alias never shadows another test's name.
  auto add = [&](const std::string& key_text, int idx, const char* how) {
    std::string key = CollapseText(key_text);
    if (!key.empty()) cat.by_key_.try_emplace(key, idx, how);
  };
  for (int i = 0; i < static_cast<int>(cat.tests_.size()); ++i) {
    add(cat.tests_[i].name, i, "exact");
    add(absl::StrReplaceAll(cat.tests_[i].id, {{"_", " "}}), i, "exact");
  }
  for (int i = 0; i < static_cast<int>(cat.tests_.size()); ++i) {
    for (const auto& a : cat.tests_[i].aliases) add(a, i, "alias");
  }
  for (int i = 0; i < static_cast<int>(cat.tests_.size()); ++i) {
    add(cat.tests_[i].code, i, "code");  // C3/C4 share a code: the first listed wins
  }
  for (int i = 0; i < static_cast<int>(cat.tests_.size()); ++i) {
    cat.fuzzy_keys_.emplace_back(CanonicalPhrase(cat.tests_[i].name), i);
    for (const auto& a : cat.tests_[i].aliases) cat.fuzzy_keys_.emplace_back(CanonicalPhrase(a), i);
  }
  return cat;
}

const TestCatalog& TestCatalog::Default() {
  static const TestCatalog* const kValue = embedded::ParseOrDie<TestCatalog>("cases/catalog/tests.json");
  return *kValue;
}

const CatalogTest* TestCatalog::FindById(absl::string_view id) const {
  auto it = by_id_.find(AsAbsl(id));
  return it == by_id_.end() ? nullptr : &tests_[it->second];
}

TestResolution TestCatalog::Resolve(absl::string_view request) const {
  TestResolution out;
  std::string key = CollapseText(request);
  for (const std::string& k : {key, StripFiller(key)}) {
    if (auto it = by_key_.find(k); it != by_key_.end()) {
      out.kind = TestResolution::kFound;
      out.test = &tests_[it->second.first];
      out.how = it->second.second;
      return out;
    }
  }
  if (auto it = by_id_.find(AsAbsl(request)); it != by_id_.end()) {
    out.kind = TestResolution::kFound;
    out.test = &tests_[it->second];
    out.how = "exact";
    return out;
  }
  // Fuzzy: best Dice overlap per test over its name and aliases.
  std::string canon = CanonicalPhrase(StripFiller(key));
  std::vector<double> best(tests_.size(), 0.0);
  for (const auto& [phrase, idx] : fuzzy_keys_) {
    double s = WordDice(canon, phrase);
    if (s > best[idx]) best[idx] = s;
  }
  std::vector<int> order(tests_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return best[a] > best[b]; });
  for (int i = 0; i < 3 && i < static_cast<int>(order.size()); ++i) {
    if (best[order[i]] > 0) out.suggestions.push_back(tests_[order[i]].name);
  }
  if (IsVagueTestRequest(key)) {
    out.kind = TestResolution::kVague;
    return out;
  }
  if (!order.empty() && best[order[0]] >= 0.8 &&
      (order.size() < 2 || best[order[1]] < best[order[0]] - 0.05)) {
    out.kind = TestResolution::kFound;
    out.test = &tests_[order[0]];
    out.how = "fuzzy";
    out.suggestions.clear();
    return out;
  }
  out.kind = TestResolution::kUnknown;
  return out;
}

}  // namespace clinsim::cases
