#include "env/world.h"

#include "common/parallel.h"

namespace clinsim::env {

std::shared_ptr<const World> World::Create(std::shared_ptr<const cases::CaseLibrary> library,
                                           unsigned threads) {
  auto w = std::make_shared<World>();
  w->library_ = std::move(library);
  w->tests_ = &cases::TestCatalog::Default();
  w->exams_ = &cases::ExamCatalog::Default();
  const auto& cases = w->library_->cases();
  w->indexes_.resize(cases.size());
  w->rubrics_.resize(cases.size());
  const agents::Lexicon& lexicon = agents::Lexicon::Default();  // loaded before the threads start
  ParallelFor(cases.size(), [&](size_t i) {
    const cases::Case& c = cases[i];
    w->indexes_[i] = std::make_shared<agents::FactIndex>(c, lexicon);
    w->rubrics_[i] = c.rubric.empty() ? rubrics::DeriveRubric(c, *w->tests_) : c.rubric;
  }, threads);
  return w;
}

const cases::Case* World::FindCase(absl::string_view id) const { return library_->Find(id); }

std::shared_ptr<const agents::FactIndex> World::FactIndexFor(const cases::Case& c) const {
  return indexes_[&c - library_->cases().data()];
}

const std::vector<cases::RubricItem>& World::RubricFor(const cases::Case& c) const {
  return rubrics_[&c - library_->cases().data()];
}

}  // namespace clinsim::env
