#include "cases/importers/importer.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cases/case_loader.h"
#include "cases/case_writer.h"
#include "cases/importers/import_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace clinsim::cases {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Fixture(const char* name) {
  return ReadFile(std::string(CLINSIM_SOURCE_DIR) + "/tests/data/importers/" + name);
}

TEST(AgentClinicImporter, MapsHistoryExamAndTestsAndReportsBadLines) {
  auto importer = *CreateImporter("agentclinic");
  ImportResult r = importer->Import(Fixture("agentclinic_small.jsonl"), {});
  ASSERT_EQ(r.cases.size(), 1u);
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0].line, 2);
  EXPECT_THAT(r.problems[0].message, HasSubstr("Correct_Diagnosis"));
  EXPECT_EQ(r.problems[1].line, 3);
  EXPECT_THAT(r.problems[1].message, HasSubstr("truncated"));
  const Case& c = r.cases[0];
  EXPECT_EQ(c.id, "agentclinic_0001");
  EXPECT_EQ(c.presentation.age, 58);
  EXPECT_EQ(c.presentation.sex, "male");
  EXPECT_EQ(c.presentation.chief_complaint, "painful swollen right knee");
  EXPECT_EQ(c.source.kind, "imported");
  EXPECT_EQ(c.source.license, "MIT");
  EXPECT_EQ(c.diagnosis.name, "Acute gout");
  // First person, with categories from the field names.
  bool history = false, meds = false, social = false;
  for (const auto& f : c.facts) {
    history = history || (f.category == "hpi" && f.text.find("my right knee") != std::string::npos);
    meds = meds || (f.category == "meds" && f.text.find("Metformin") != std::string::npos);
    social = social || (f.category == "social" && f.text == "I work as a roofer.");
  }
  EXPECT_TRUE(history);
  EXPECT_TRUE(meds);
  EXPECT_TRUE(social);
  // Exam sections map to systems by name; results to catalog tests; the rest stay reachable.
  std::set<std::string> systems;
  for (const auto& e : c.exam) systems.insert(e.system);
  EXPECT_TRUE(systems.contains("vitals"));
  EXPECT_TRUE(systems.contains("musculoskeletal") || systems.contains("extremities"));
  std::set<std::string> ids, custom;
  for (const auto& t : c.tests) (t.catalog_id.empty() ? custom : ids).insert(t.catalog_id.empty() ? t.name : t.catalog_id);
  EXPECT_TRUE(ids.contains("uric_acid"));
  EXPECT_TRUE(ids.contains("complete_blood_count_with_differential"));
  EXPECT_TRUE(custom.contains("Synovial Smell Test"));
  EXPECT_FALSE(r.notes.empty());
  EXPECT_FALSE(c.rubric.empty());
  for (const auto& item : c.rubric) EXPECT_TRUE(item.derived);
  // Written out and read back, the case passes the validator.
  ASSERT_OK(LoadCaseJson(CaseToJson(c).dump(), "roundtrip.json"));
}

TEST(MediqImporter, MapsFactsOptionsAndReportsBadRecords) {
  auto importer = *CreateImporter("mediq");
  ImportResult r = importer->Import(Fixture("mediq_small.jsonl"), {});
  ASSERT_EQ(r.cases.size(), 1u);
  ASSERT_EQ(r.problems.size(), 3u);
  EXPECT_THAT(r.problems[0].message, HasSubstr("duplicate id 1"));
  EXPECT_EQ(r.problems[1].line, 3);
  EXPECT_THAT(r.problems[1].message, HasSubstr("UTF-8"));
  EXPECT_THAT(r.problems[2].message, HasSubstr("missing field 'context'"));
  const Case& c = r.cases[0];
  EXPECT_EQ(c.presentation.age, 70);
  EXPECT_EQ(c.presentation.sex, "female");
  EXPECT_EQ(c.diagnosis.name, "Central retinal artery occlusion");
  EXPECT_EQ(c.diagnosis.differential.size(), 3u);
  EXPECT_EQ(c.source.license, "CC-BY-4.0");
  bool denial = false, first_person = false;
  for (const auto& f : c.facts) {
    denial = denial || f.text == "I don't have headache.";
    first_person = first_person || f.text == "I have sudden loss of vision in my left eye.";
  }
  EXPECT_TRUE(denial);
  EXPECT_TRUE(first_person);
  std::set<std::string> systems;
  for (const auto& e : c.exam) systems.insert(e.system);
  EXPECT_TRUE(systems.contains("vitals"));
  EXPECT_TRUE(systems.contains("eyes"));
  ASSERT_OK(LoadCaseJson(CaseToJson(c).dump(), "roundtrip.json"));
}

TEST(Importers, HugeRecordsAreRejectedNotParsed) {
  auto importer = *CreateImporter("mediq");
  std::string huge = "{\"id\": 9, \"context\": [\"" + std::string(kMaxRecordBytes + 10, 'a') + "\"]}\n";
  ImportResult r = importer->Import(huge, {});
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_THAT(r.problems[0].message, HasSubstr("limit"));
}

TEST(Importers, UnknownFormat) {
  EXPECT_THAT(CreateImporter("csv"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("agentclinic, mediq")));
}

TEST(FirstPerson, RewritesThirdPersonHistory) {
  EXPECT_EQ(import::FirstPerson("The patient reports chest pain"), "I report chest pain.");
  EXPECT_EQ(import::FirstPerson("She denies fever."), "I don't have fever.");
  EXPECT_EQ(import::FirstPerson("The man denied having chills."), "I have not had chills.");
  EXPECT_EQ(import::FirstPerson("His father had a stroke."), "My father had a stroke.");
  EXPECT_EQ(import::FirstPerson("Works as a teacher."), "I work as a teacher.");
  EXPECT_EQ(import::FirstPerson("He also smokes a pack a day."), "I also smoke a pack a day.");
}

// The shared public files (present in CI): every record imports and validates.
TEST(Importers, SharedFilesImportCompletely) {
  std::string ac = ReadFile(std::string(CLINSIM_SHARED_DIR) + "/data/agentclinic/agentclinic_medqa.jsonl");
  std::string mq = ReadFile(std::string(CLINSIM_SHARED_DIR) + "/data/mediq/all_craft_md.jsonl");
  if (ac.empty() || mq.empty()) GTEST_SKIP() << "shared/data not present";
  ImportResult a = (*CreateImporter("agentclinic"))->Import(ac, {});
  EXPECT_EQ(a.cases.size(), 107u);
  EXPECT_TRUE(a.problems.empty()) << a.problems[0].message;
  ImportResult m = (*CreateImporter("mediq"))->Import(mq, {});
  EXPECT_EQ(m.cases.size(), 140u);
  EXPECT_TRUE(m.problems.empty()) << m.problems[0].message;
  for (const auto* r : {&a, &m}) {
    for (const auto& c : r->cases) {
      EXPECT_OK(LoadCaseJson(CaseToJson(c).dump(), c.id));
    }
  }
}

}  // namespace
}  // namespace clinsim::cases
