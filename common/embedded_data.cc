#include "common/embedded_data.h"

#include <algorithm>

namespace clinsim::embedded {

std::optional<absl::string_view> Find(absl::string_view path) {
  size_t n = 0;
  const EmbeddedFile* files = Files(&n);
  for (size_t i = 0; i < n; ++i) {
    if (files[i].path == path) return files[i].content;
  }
  return std::nullopt;
}

std::vector<EmbeddedFile> ListDir(absl::string_view dir) {
  size_t n = 0;
  const EmbeddedFile* files = Files(&n);
  std::vector<EmbeddedFile> out;
  for (size_t i = 0; i < n; ++i) {
    absl::string_view p = files[i].path;
    if (p.size() > dir.size() + 1 && p.substr(0, dir.size()) == dir && p[dir.size()] == '/' &&
        p.find('/', dir.size() + 1) == absl::string_view::npos) {
      out.push_back(files[i]);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const EmbeddedFile& a, const EmbeddedFile& b) { return a.path < b.path; });
  return out;
}

}  // namespace clinsim::embedded
