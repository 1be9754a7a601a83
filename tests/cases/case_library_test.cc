#include "cases/case_library.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/embedded_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace clinsim::cases {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("clinsim_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  void Write(const std::string& name, absl::string_view content) const {
    std::ofstream(path_ / name) << content;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(CaseLibrary, BundledLibraryMeetsTheCoverageFloor) {
  ASSERT_OK_AND_ASSIGN(auto lib, CaseLibrary::LoadBundled());
  EXPECT_TRUE(lib->errors().empty()) << lib->errors().front();
  EXPECT_GE(lib->cases().size(), 40u);
  std::set<std::string> specialties, difficulties;
  for (const Case& c : lib->cases()) {
    SCOPED_TRACE(c.id);
    specialties.insert(c.specialty);
    difficulties.insert(c.difficulty);
    EXPECT_EQ(c.source.kind, "authored");
    EXPECT_GE(c.facts.size(), 12u);
    EXPECT_FALSE(c.exam.empty());
    EXPECT_GE(c.tests.size(), 4u);
    EXPECT_FALSE(c.diagnosis.aliases.empty());
    EXPECT_FALSE(c.diagnosis.icd10.empty());
    for (const auto& t : c.tests) EXPECT_FALSE(t.catalog_id.empty()) << t.id;
    EXPECT_GE(c.diagnosis.differential.size(), 3u);
    EXPECT_GE(c.rubric.size(), 6u);
    std::set<std::string> kinds;
    bool negative = false;
    for (const auto& r : c.rubric) {
      kinds.insert(r.kind);
      negative = negative || r.points < 0;
    }
    EXPECT_TRUE(kinds.contains("must_ask"));
    EXPECT_TRUE(kinds.contains("must_examine"));
    EXPECT_TRUE(kinds.contains("must_order"));
    EXPECT_TRUE(negative) << "needs a negative-point item";
    EXPECT_EQ(c.file, "cases/library/" + c.id + ".json");
  }
  EXPECT_GE(specialties.size(), 10u);
  EXPECT_EQ(difficulties, (std::set<std::string>{"easy", "medium", "hard"}));
}

TEST(CaseLibrary, OneBadFileDoesNotStopTheOthers) {
  TempDir dir;
  dir.Write("good.json", *embedded::Find("cases/library/cardiology_inferior_stemi.json"));
  dir.Write("bad.json", "{ not json");
  dir.Write("notes.txt", "ignored");
  ASSERT_OK_AND_ASSIGN(auto lib, CaseLibrary::LoadDirectory(dir.path(), /*strict=*/false));
  EXPECT_EQ(lib->cases().size(), 1u);
  ASSERT_EQ(lib->errors().size(), 1u);
  EXPECT_THAT(lib->errors()[0], HasSubstr("bad.json"));
  EXPECT_THAT(CaseLibrary::LoadDirectory(dir.path(), /*strict=*/true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.json")));
}

TEST(CaseLibrary, DuplicateIdsAreReported) {
  TempDir dir;
  auto text = *embedded::Find("cases/library/cardiology_inferior_stemi.json");
  dir.Write("a.json", text);
  dir.Write("b.json", text);
  ASSERT_OK_AND_ASSIGN(auto lib, CaseLibrary::LoadDirectory(dir.path(), false));
  EXPECT_EQ(lib->cases().size(), 1u);
  ASSERT_EQ(lib->errors().size(), 1u);
  EXPECT_THAT(lib->errors()[0], HasSubstr("already used"));
}

// Files are parsed on several threads; what comes out must not depend on how many.
TEST(CaseLibrary, ParallelLoadGivesTheSameLibraryAsOneThread) {
  TempDir dir;
  auto files = embedded::ListDir("cases/library");
  ASSERT_GE(files.size(), 40u);
  for (size_t i = 0; i < 40; ++i) dir.Write(absl::StrCat("c", 100 + i, ".json"), files[i].content);
  dir.Write("c100_dup.json", files[0].content);  // the same id again: reported once, the first kept
  dir.Write("c120_bad.json", "{ not json");
  ASSERT_OK_AND_ASSIGN(auto one, CaseLibrary::LoadDirectory(dir.path(), false, /*threads=*/1));
  ASSERT_OK_AND_ASSIGN(auto many, CaseLibrary::LoadDirectory(dir.path(), false, /*threads=*/4));
  ASSERT_EQ(one->cases().size(), 40u);
  ASSERT_EQ(many->cases().size(), one->cases().size());
  for (size_t i = 0; i < one->cases().size(); ++i) {
    EXPECT_EQ(many->cases()[i].id, one->cases()[i].id);
    EXPECT_EQ(many->cases()[i].file, one->cases()[i].file);
  }
  EXPECT_EQ(many->errors(), one->errors());
  ASSERT_EQ(one->errors().size(), 2u);
  EXPECT_THAT(one->errors()[0], HasSubstr("already used"));
  EXPECT_THAT(one->errors()[1], HasSubstr("c120_bad.json"));
  // strict stops at the first bad file in name order, whichever thread parsed it.
  EXPECT_THAT(CaseLibrary::LoadDirectory(dir.path(), true, 4),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("already used")));
}

TEST(CaseLibrary, MissingDirectoryIsNotFound) {
  EXPECT_THAT(CaseLibrary::LoadDirectory("/no/such/dir", false),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/no/such/dir")));
}

}  // namespace
}  // namespace clinsim::cases
