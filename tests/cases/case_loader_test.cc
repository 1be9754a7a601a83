#include "cases/case_loader.h"

#include <fstream>

#include "common/embedded_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/status_matchers.h"

namespace clinsim::cases {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

nlohmann::json ExampleCase() {
  auto text = embedded::Find("cases/library/cardiology_inferior_stemi.json");
  EXPECT_TRUE(text.has_value());
  return nlohmann::json::parse(*text);
}

TEST(LoadCaseJson, LoadsTheExampleCase) {
  ASSERT_OK_AND_ASSIGN(Case c, LoadCaseJson(ExampleCase().dump(), "stemi.json"));
  EXPECT_EQ(c.id, "cardiology_inferior_stemi");
  EXPECT_EQ(c.presentation.age, 61);
  EXPECT_GE(c.facts.size(), 12u);
  EXPECT_EQ(c.diagnosis.icd10, "I21.19");
  ASSERT_NE(c.FindFact("hpi_radiation"), nullptr);
  EXPECT_TRUE(c.FindFact("hpi_radiation")->key);
}

TEST(LoadCaseJson, ReportsBrokenJsonWithTheFileName) {
  EXPECT_THAT(LoadCaseJson("{\"id\": ", "broken.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("broken.json"), HasSubstr("not valid JSON"))));
  EXPECT_THAT(LoadCaseJson("[1,2]", "list.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("one JSON object")));
}

TEST(LoadCaseJson, NamesEveryMissingOrMistypedField) {
  nlohmann::json j = ExampleCase();
  j.erase("difficulty");
  j["presentation"]["age"] = "sixty";
  j["facts"][2]["key"] = "yes";
  auto s = LoadCaseJson(j.dump(), "c.json");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          AllOf(HasSubstr("c.json: difficulty: is required"),
                                HasSubstr("presentation.age: must be a number, got string"),
                                HasSubstr("facts[2].key: must be true or false"))));
}

TEST(LoadCaseJson, RejectsUnknownReferences) {
  nlohmann::json j = ExampleCase();
  j["tests"][0]["catalog_id"] = "troponin_x";
  j["exam"][0]["system"] = "spleen";
  j["rubric"][0]["targets"] = {"no_such_fact"};
  j["diagnosis"]["icd10"] = "I21-19";
  auto s = LoadCaseJson(j.dump(), "c.json");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          AllOf(HasSubstr("tests[0].catalog_id: unknown catalog id 'troponin_x'"),
                                HasSubstr("exam[0].system: unknown exam system 'spleen'"),
                                HasSubstr("rubric[0].targets: no fact with id 'no_such_fact'"),
                                HasSubstr("diagnosis.icd10"))));
}

TEST(LoadCaseJson, RejectsTextThatNamesTheDiagnosis) {
  nlohmann::json j = ExampleCase();
  j["facts"][0]["text"] = "I think I am having a Heart-Attack.";
  EXPECT_THAT(LoadCaseJson(j.dump(), "c.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("facts[0].text: names the diagnosis"),
                             HasSubstr("heart attack"))));
}

TEST(SecretMatcher, AcronymsMatchInCapitalsOnly) {
  Case c;
  c.diagnosis.name = "Myasthenia gravis";
  c.diagnosis.aliases = {"MG", "generalised myasthenia"};
  SecretMatcher m(c);
  std::string found;
  EXPECT_TRUE(m.Find("Could this be MG?", &found));
  EXPECT_EQ(found, "MG");
  EXPECT_FALSE(m.Find("Creatinine 0.9 mg/dL"));
  EXPECT_TRUE(m.Find("MYASTHENIA-GRAVIS!", &found));
  EXPECT_EQ(found, "myasthenia gravis");
  EXPECT_FALSE(m.Find("no weakness"));
}

TEST(LoadCaseJson, RejectsDuplicateIdsAndBadEnums) {
  nlohmann::json j = ExampleCase();
  j["facts"][1]["id"] = j["facts"][0]["id"];
  j["facts"][3]["category"] = "gossip";
  j["difficulty"] = "extreme";
  j["presentation"]["sex"] = "x";
  auto s = LoadCaseJson(j.dump(), "c.json");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          AllOf(HasSubstr("duplicate id 'hpi_onset'"), HasSubstr("'gossip'"),
                                HasSubstr("'extreme'"), HasSubstr("presentation.sex"))));
}

TEST(LoadCaseFile, MissingFileIsNotFound) {
  EXPECT_THAT(LoadCaseFile("/nonexistent/x.json"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/x.json")));
}

}  // namespace
}  // namespace clinsim::cases
