#include "env/world.h"

namespace clinsim::env {

std::shared_ptr<const World> World::Create(std::shared_ptr<const cases::CaseLibrary> library) {
  auto w = std::make_shared<World>();
  w->library_ = std::move(library);
  w->tests_ = &cases::TestCatalog::Default();
  w->exams_ = &cases::ExamCatalog::Default();
  for (const auto& c : w->library_->cases()) {
    w->indexes_.push_back(std::make_shared<agents::FactIndex>(c, agents::Lexicon::Default()));
    w->rubrics_.push_back(c.rubric.empty() ? rubrics::DeriveRubric(c, *w->tests_) : c.rubric);
  }
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
