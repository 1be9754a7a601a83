// Data files compiled into the program (catalogs, lexicon, disease table, bundled case library),
// so `clinsim` works from any directory. The build embeds them with cmake/EmbedData.cmake.
//
//   auto text = embedded::Find("cases/catalog/tests.json");   // std::optional<absl::string_view>
//   for (const auto& f : embedded::ListDir("cases/library")) { ... f.path, f.content ... }
#ifndef CLINSIM_COMMON_EMBEDDED_DATA_H_
#define CLINSIM_COMMON_EMBEDDED_DATA_H_

#include "absl/strings/string_view.h"
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
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

// Parses an embedded file with T::FromJson(text, origin). The embedded files are checked by the
// tests, so a failure here is a broken build: it prints the loader's message and aborts rather
// than limp on without a catalog. Callers keep the result in a function-local static.
template <typename T>
const T* ParseOrDie(const char* path) {
  auto value = T::FromJson(Find(path).value_or(""), path);
  if (!value.ok()) {
    std::fprintf(stderr, "clinsim: embedded %s is invalid: %s\n", path,
                 std::string(value.status().message()).c_str());
    std::abort();
  }
  return new T(*std::move(value));
}

}  // namespace clinsim::embedded

#endif  // CLINSIM_COMMON_EMBEDDED_DATA_H_
