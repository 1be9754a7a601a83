#include "cases/catalog/exam_catalog.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/embedded_data.h"
#include "common/json_reader.h"
#include "common/text.h"

namespace clinsim::cases {
absl::StatusOr<ExamCatalog> ExamCatalog::FromJson(absl::string_view json_text,
                                                   absl::string_view origin) {
  JsonReader r(origin);
  auto doc = r.Parse(json_text);
  if (!doc) return r.ToStatus();
  ExamCatalog cat;
  const nlohmann::json* list = r.Array(*doc, "systems", "");
  if (list == nullptr) return r.ToStatus();
  for (size_t i = 0; i < list->size(); ++i) {
    std::string path = absl::StrCat("systems[", i, "]");
    ExamSystem s;
    s.id = r.String((*list)[i], "id", path);
    s.name = r.String((*list)[i], "name", path);
    s.aliases = r.StringList((*list)[i], "aliases", path, false);
    s.normal_finding = r.String((*list)[i], "normal_finding", path);
    cat.systems_.push_back(std::move(s));
  }
  if (!r.ok()) return r.ToStatus();
  for (int i = 0; i < static_cast<int>(cat.systems_.size()); ++i) {
    const ExamSystem& s = cat.systems_[i];
    cat.phrases_.emplace_back(CollapseText(absl::StrReplaceAll(s.id, {{"_", " "}})), i);
    cat.phrases_.emplace_back(CollapseText(s.name), i);
    for (const auto& a : s.aliases) cat.phrases_.emplace_back(CollapseText(a), i);
  }
  std::stable_sort(cat.phrases_.begin(), cat.phrases_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  return cat;
}

const ExamCatalog& ExamCatalog::Default() {
  static const ExamCatalog* const kValue = embedded::ParseOrDie<ExamCatalog>("cases/catalog/exam_systems.json");
  return *kValue;
}

const ExamSystem* ExamCatalog::FindById(absl::string_view id) const {
  for (const auto& s : systems_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const ExamSystem* ExamCatalog::Resolve(absl::string_view request) const {
  std::string key = CollapseText(request);
  if (key.empty()) return nullptr;
  for (const auto& [phrase, idx] : phrases_) {
    if (phrase == key) return &systems_[idx];
  }
  for (const auto& [phrase, idx] : phrases_) {  // longest first
    if (!phrase.empty() && ContainsPhrase(key, phrase)) return &systems_[idx];
  }
  return nullptr;
}

std::string ExamCatalog::IdList() const {
  std::vector<std::string> ids;
  for (const auto& s : systems_) ids.push_back(s.id);
  return absl::StrJoin(ids, ", ");
}

}  // namespace clinsim::cases
