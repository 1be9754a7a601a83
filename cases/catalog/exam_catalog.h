// Examination systems (general, vitals, HEENT, ... psychiatric) with the names doctors use for them
// and the normal findings reported when a case lists nothing for a system.
//
//   const ExamSystem* s = ExamCatalog::Default().Resolve("listen to the heart");  // cardiovascular
#ifndef CLINSIM_CASES_CATALOG_EXAM_CATALOG_H_
#define CLINSIM_CASES_CATALOG_EXAM_CATALOG_H_

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace clinsim::cases {

struct ExamSystem {
  std::string id;
  std::string name;
  std::vector<std::string> aliases;
  std::string normal_finding;
};

class ExamCatalog {
 public:
  static absl::StatusOr<ExamCatalog> FromJson(absl::string_view json_text, absl::string_view origin);
  static const ExamCatalog& Default();

  const ExamSystem* FindById(absl::string_view id) const;
  // Resolves a free-text request to one system: id, name or alias, then the longest alias
  // contained in the request. nullptr when nothing matches.
  const ExamSystem* Resolve(absl::string_view request) const;
  const std::vector<ExamSystem>& systems() const { return systems_; }
  std::string IdList() const;  // "general, vitals, heent, ..." for error messages

 private:
  std::vector<ExamSystem> systems_;
  // (normalised phrase, system index), longest phrases first.
  std::vector<std::pair<std::string, int>> phrases_;
};

}  // namespace clinsim::cases

#endif  // CLINSIM_CASES_CATALOG_EXAM_CATALOG_H_
