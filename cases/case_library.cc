#include "cases/case_library.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cases/case_loader.h"
#include "common/embedded_data.h"
#include "common/parallel.h"

namespace clinsim::cases {

void CaseLibrary::Add(absl::StatusOr<Case> c) {
  if (!c.ok()) {
    errors_.push_back(std::string(c.status().message()));
    return;
  }
  if (const Case* other = Find(c->id); other != nullptr) {
    errors_.push_back(absl::StrCat(c->file, ": id: '", c->id, "' is already used by ", other->file));
    return;
  }
  by_id_[c->id] = cases_.size();
  cases_.push_back(*std::move(c));
}

absl::StatusOr<std::shared_ptr<const CaseLibrary>> CaseLibrary::LoadBundled() {
  auto lib = std::make_shared<CaseLibrary>();
  lib->origin_ = "bundled";
  for (const auto& f : embedded::ListDir("cases/library")) {
    lib->Add(LoadCaseJson(f.content, f.path));
  }
  return lib;
}

absl::StatusOr<std::shared_ptr<const CaseLibrary>> CaseLibrary::LoadDirectory(
    const std::string& dir, bool strict, unsigned threads) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat("case directory '", dir,
                                            "' does not exist or is not a directory"));
  }
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
  }
  if (ec) return absl::InternalError(absl::StrCat("cannot list '", dir, "': ", ec.message()));
  std::sort(files.begin(), files.end());
  auto lib = std::make_shared<CaseLibrary>();
  lib->origin_ = dir;
  // Reading, parsing and validating are independent per file; adding stays in file order so ids,
  // duplicate reports and the strict error do not depend on thread timing.
  std::vector<absl::StatusOr<Case>> loaded(files.size(), absl::UnknownError("not loaded"));
  ParallelFor(files.size(), [&](size_t i) { loaded[i] = LoadCaseFile(files[i]); }, threads);
  for (auto& c : loaded) {
    lib->Add(std::move(c));
    if (strict && !lib->errors_.empty()) return absl::InvalidArgumentError(lib->errors_.back());
  }
  return lib;
}

absl::StatusOr<std::shared_ptr<const CaseLibrary>> CaseLibrary::Load(const std::string& where,
                                                                   bool strict) {
  if (where.empty() || where == "bundled") {
    auto lib = LoadBundled();
    if (lib.ok() && strict && !(*lib)->errors().empty()) {
      return absl::InvalidArgumentError((*lib)->errors().front());
    }
    return lib;
  }
  return LoadDirectory(where, strict);
}

const Case* CaseLibrary::Find(absl::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &cases_[it->second];
}

}  // namespace clinsim::cases
