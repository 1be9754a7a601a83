// Everything episodes share read-only: the case library, the catalogs, the lexicon and one
// FactIndex per case (built once here, so Reset never re-indexes a case).
//
//   auto world = World::Create(CaseLibrary::LoadBundled().value());
//   auto ep = Episode::Create(world, "cardiology_inferior_stemi", /*seed=*/1, EpisodeOptions{});
#ifndef CLINSIM_ENV_WORLD_H_
#define CLINSIM_ENV_WORLD_H_

#include "absl/strings/string_view.h"
#include <memory>
#include <string_view>
#include <vector>

#include "agents/patient/fact_retriever.h"
#include "agents/patient/lexicon.h"
#include "cases/case_library.h"
#include "cases/catalog/exam_catalog.h"
#include "cases/catalog/test_catalog.h"
#include "rubrics/rubric.h"

namespace clinsim::env {

class World {
 public:
  // Cases are indexed on `threads` threads (0: one per hardware thread).
  static std::shared_ptr<const World> Create(std::shared_ptr<const cases::CaseLibrary> library,
                                             unsigned threads = 0);

  const cases::CaseLibrary& library() const { return *library_; }
  const cases::TestCatalog& tests() const { return *tests_; }
  const cases::ExamCatalog& exams() const { return *exams_; }
  // nullptr for an unknown case id.
  const cases::Case* FindCase(absl::string_view id) const;
  std::shared_ptr<const agents::FactIndex> FactIndexFor(const cases::Case& c) const;
  // The authored rubric, or rule-derived items when the case has none.
  const std::vector<cases::RubricItem>& RubricFor(const cases::Case& c) const;

 private:
  std::shared_ptr<const cases::CaseLibrary> library_;
  const cases::TestCatalog* tests_ = nullptr;
  const cases::ExamCatalog* exams_ = nullptr;
  std::vector<std::shared_ptr<const agents::FactIndex>> indexes_;  // parallel to library cases
  std::vector<std::vector<cases::RubricItem>> rubrics_;
};

}  // namespace clinsim::env

#endif  // CLINSIM_ENV_WORLD_H_
