#include "cases/catalog/test_catalog.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace clinsim::cases {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TestCatalog, HasAtLeast150CompleteEntries) {
  const TestCatalog& cat = TestCatalog::Default();
  EXPECT_GE(cat.tests().size(), 150u);
  std::set<std::string> categories;
  for (const auto& t : cat.tests()) {
    SCOPED_TRACE(t.id);
    EXPECT_FALSE(t.code.empty());
    EXPECT_GT(t.usd, 0);
    EXPECT_GE(t.discomfort, 0);
    EXPECT_LE(t.discomfort, 3);
    EXPECT_FALSE(t.normal_result.empty());
    EXPECT_FALSE(t.aliases.empty());
    categories.insert(t.category);
  }
  EXPECT_GE(categories.size(), 8u);
}

// Prices are facts from the 2025 Medicare reference; the catalog must agree with it exactly.
TEST(TestCatalog, PricesMatchTheSharedReference) {
  std::ifstream in(std::string(CLINSIM_SHARED_DIR) + "/reference/test-prices-2025.csv");
  if (!in) GTEST_SKIP() << "shared/reference not present";
  std::string line;
  std::getline(in, line);  // header
  int checked = 0;
  const TestCatalog& cat = TestCatalog::Default();
  while (std::getline(in, line)) {
    // name may be quoted and contain commas: take the last three fields from the right.
    size_t c3 = line.rfind(','), c2 = line.rfind(',', c3 - 1), c1 = line.rfind(',', c2 - 1);
    std::string code = line.substr(c1 + 1, c2 - c1 - 1);
    double usd = std::stod(line.substr(c2 + 1, c3 - c2 - 1));
    bool found = false;
    for (const auto& t : cat.tests()) {
      if (t.code == code && std::abs(t.usd - usd) < 1e-9) found = true;
    }
    EXPECT_TRUE(found) << line;
    ++checked;
  }
  EXPECT_GE(checked, 150);
}

TEST(TestCatalog, ResolvesNamesAliasesCodesAndTypos) {
  const TestCatalog& cat = TestCatalog::Default();
  auto id_of = [&](absl::string_view req) {
    TestResolution r = cat.Resolve(std::string(req));
    return r.kind == TestResolution::kFound ? r.test->id : std::string("<none>");
  };
  EXPECT_EQ(id_of("complete blood count with differential"), "complete_blood_count_with_differential");
  EXPECT_EQ(id_of("CBC"), "complete_blood_count_with_differential");
  EXPECT_EQ(id_of("full blood count"), "complete_blood_count_with_differential");
  EXPECT_EQ(id_of("85025"), "complete_blood_count_with_differential");
  EXPECT_EQ(id_of("please order a CBC stat"), "complete_blood_count_with_differential");
  EXPECT_EQ(id_of("ECG"), "electrocardiogram_12_lead_ecg");
  EXPECT_EQ(id_of("EKG"), "electrocardiogram_12_lead_ecg");
  EXPECT_EQ(id_of("troponin"), "cardiac_troponin_quantitative");
  EXPECT_EQ(id_of("electrocardiogram_12_lead_ecg"), "electrocardiogram_12_lead_ecg");
  EXPECT_EQ(id_of("lipase"), "lipase_serum");
  TestResolution typo = cat.Resolve("compete blood count with diferential");
  EXPECT_EQ(typo.kind, TestResolution::kFound);
  EXPECT_EQ(typo.how, "fuzzy");
}

TEST(TestCatalog, VagueAndUnknownRequestsAreNotResolved) {
  const TestCatalog& cat = TestCatalog::Default();
  for (const char* vague : {"labs", "some labs", "bloods", "imaging", "a scan", "everything",
                            "run some tests", "blood work"}) {
    EXPECT_EQ(cat.Resolve(vague).kind, TestResolution::kVague) << vague;
  }
  TestResolution r = cat.Resolve("quantum flux assay");
  EXPECT_EQ(r.kind, TestResolution::kUnknown);
}

TEST(TestCatalog, FromJsonReportsProblems) {
  EXPECT_THAT(TestCatalog::FromJson("{\"tests\": [{\"id\": \"x\"}]}", "t.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.json: tests[0].name")));
  EXPECT_THAT(TestCatalog::FromJson(
                  "{\"tests\": [{\"id\": \"x\", \"name\": \"X\", \"code\": \"1\", \"category\": "
                  "\"lab\", \"usd\": 1, \"discomfort\": 9}]}",
                  "t.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("discomfort: must be 0..3")));
}

}  // namespace
}  // namespace clinsim::cases
