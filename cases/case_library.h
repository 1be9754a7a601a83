// A set of cases loaded from a directory or from the bundled library compiled into the program.
// One bad file does not stop the others from loading unless `strict` is set; its problems are kept
// in errors() so the caller can report them.
//
//   auto lib = CaseLibrary::LoadBundled();
//   auto lib2 = CaseLibrary::LoadDirectory("my_cases/", /*strict=*/false);
//   const Case* c = lib->Find("cardiology_inferior_stemi");
#ifndef CLINSIM_CASES_CASE_LIBRARY_H_
#define CLINSIM_CASES_CASE_LIBRARY_H_

#include "absl/strings/string_view.h"
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "cases/case.h"

namespace clinsim::cases {

class CaseLibrary {
 public:
  static absl::StatusOr<std::shared_ptr<const CaseLibrary>> LoadBundled();
  // Loads every *.json file in `dir` (not recursive), sorted by file name.
  // NOT_FOUND if dir does not exist; with strict, INVALID_ARGUMENT on the first bad file.
  // Files are read and parsed on `threads` threads (0: one per hardware thread); the result is
  // the same for any number.
  static absl::StatusOr<std::shared_ptr<const CaseLibrary>> LoadDirectory(const std::string& dir,
                                                                        bool strict,
                                                                        unsigned threads = 0);
  // "bundled" (or empty) selects the bundled library, anything else is a directory.
  static absl::StatusOr<std::shared_ptr<const CaseLibrary>> Load(const std::string& where,
                                                               bool strict);

  const Case* Find(absl::string_view id) const;
  const std::vector<Case>& cases() const { return cases_; }
  // One entry per file that failed to load, each listing its problems.
  const std::vector<std::string>& errors() const { return errors_; }
  std::string origin() const { return origin_; }

 private:
  void Add(absl::StatusOr<Case> c);
  std::vector<Case> cases_;
  absl::flat_hash_map<std::string, size_t> by_id_;  // id -> index in cases_
  std::vector<std::string> errors_;
  std::string origin_;
};

}  // namespace clinsim::cases

#endif  // CLINSIM_CASES_CASE_LIBRARY_H_
