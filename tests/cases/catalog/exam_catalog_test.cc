#include "cases/catalog/exam_catalog.h"

#include "gtest/gtest.h"

namespace clinsim::cases {
namespace {

TEST(ExamCatalog, HasTheSystemsOfTheCaseFormat) {
  const ExamCatalog& cat = ExamCatalog::Default();
  for (const char* id : {"general", "vitals", "heent", "eyes", "neck", "lymph_nodes", "breast",
                         "cardiovascular", "respiratory", "abdominal", "rectal", "genitourinary",
                         "pelvic", "musculoskeletal", "extremities", "neurological", "skin",
                         "psychiatric"}) {
    const ExamSystem* s = cat.FindById(id);
    ASSERT_NE(s, nullptr) << id;
    EXPECT_FALSE(s->normal_finding.empty()) << id;
  }
}

TEST(ExamCatalog, ResolvesWhatDoctorsSay) {
  const ExamCatalog& cat = ExamCatalog::Default();
  auto id = [&](const char* req) {
    const ExamSystem* s = cat.Resolve(req);
    return s == nullptr ? std::string("<none>") : s->id;
  };
  EXPECT_EQ(id("cardiovascular"), "cardiovascular");
  EXPECT_EQ(id("Heart"), "cardiovascular");
  EXPECT_EQ(id("listen to the lungs"), "respiratory");
  EXPECT_EQ(id("abdomen"), "abdominal");
  EXPECT_EQ(id("vital signs"), "vitals");
  EXPECT_EQ(id("lymph nodes"), "lymph_nodes");
  EXPECT_EQ(id("neuro"), "neurological");
  EXPECT_EQ(id("the aura of a unicorn"), "<none>");
  EXPECT_EQ(cat.Resolve(""), nullptr);
}

}  // namespace
}  // namespace clinsim::cases
