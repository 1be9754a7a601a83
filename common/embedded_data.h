// Data files compiled into the program (catalogs, lexicon, disease table, bundled case library),
// so `clinsim` works from any directory. The build embeds them with cmake/EmbedData.cmake.
//
//   auto text = embedded::Find("cases/catalog/tests.json");   // std::optional<absl::string_view>
//   for (const auto& f : embedded::ListDir("cases/library")) { ... f.path, f.content ... }
#ifndef CLINSIM_COMMON_EMBEDDED_DATA_H_
#define CLINSIM_COMMON_EMBEDDED_DATA_H_

#include "absl/strings/string_view.h"
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace clinsim::embedded {

struct EmbeddedFile {
  absl::string_view path;     // relative to the source root
  absl::string_view content;
};

// Defined in the generated source.
const EmbeddedFile* Files(size_t* n);

std::optional<absl::string_view> Find(absl::string_view path);
// Files directly inside `dir`, sorted by path.
std::vector<EmbeddedFile> ListDir(absl::string_view dir);

}  // namespace clinsim::embedded

#endif  // CLINSIM_COMMON_EMBEDDED_DATA_H_
