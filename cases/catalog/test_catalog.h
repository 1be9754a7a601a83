// The test catalog: every orderable test with its aliases, HCPCS code, price (2025 US Medicare
// national rates by default), discomfort 0..3, and the normal result reported when a case does not
// list the test. Resolves a doctor's free-text test name: exact name, id, code or alias first, then
// fuzzy; vague requests ("labs", "imaging") are recognised and refused by the gatekeeper.
//
//   const TestCatalog& cat = TestCatalog::Default();
//   TestResolution r = cat.Resolve("full blood count");
//   if (r.kind == TestResolution::kFound) std::cout << r.test->name << " $" << r.test->usd;
#ifndef CLINSIM_CASES_CATALOG_TEST_CATALOG_H_
#define CLINSIM_CASES_CATALOG_TEST_CATALOG_H_

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace clinsim::cases {

struct CatalogTest {
  std::string id;
  std::string name;
  std::string code;  // HCPCS/CPT; not unique (C3 and C4 share one)
  std::string category;
  double usd = 0;
  std::string price_source;
  std::vector<std::string> aliases;
  int discomfort = 0;  // 0 none .. 3 high (MedExAgent's levels)
  std::string normal_result;
  std::string unit;
  std::string reference_range;
};

struct TestResolution {
  enum Kind { kFound, kVague, kUnknown };
  Kind kind = kUnknown;
  const CatalogTest* test = nullptr;
  std::string how;                       // exact | alias | code | fuzzy
  std::vector<std::string> suggestions;  // closest names, for kUnknown and kVague
};

class TestCatalog {
 public:
  static absl::StatusOr<TestCatalog> FromJson(absl::string_view json_text, absl::string_view origin);
  // The catalog compiled into the program (cases/catalog/tests.json).
  static const TestCatalog& Default();

  const CatalogTest* FindById(absl::string_view id) const;
  TestResolution Resolve(absl::string_view request) const;
  const std::vector<CatalogTest>& tests() const { return tests_; }

 private:
  std::vector<CatalogTest> tests_;
  absl::flat_hash_map<std::string, int> by_id_;
  // Normalised name / alias / id / code -> index. The "how" of each key is kept beside it.
  absl::flat_hash_map<std::string, std::pair<int, const char*>> by_key_;
  // Canonical (stemmed) phrases for fuzzy matching, with their test index.
  std::vector<std::pair<std::string, int>> fuzzy_keys_;
};

// True when a request names a category rather than a test ("labs", "some imaging", "bloods").
bool IsVagueTestRequest(absl::string_view normalized_request);

}  // namespace clinsim::cases

#endif  // CLINSIM_CASES_CATALOG_TEST_CATALOG_H_
