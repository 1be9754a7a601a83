// Snowball English stemming through libstemmer. An sb_stemmer is not thread-safe, so each thread
// owns one; a small per-thread cache skips the stemmer for words already seen.
#include "absl/strings/string_view.h"
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "common/text.h"
#include "libstemmer.h"

namespace clinsim {
namespace {

struct StemmerDeleter {
  void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
};

struct ThreadStemmer {
  std::unique_ptr<sb_stemmer, StemmerDeleter> stemmer{sb_stemmer_new("english", "UTF_8")};
  absl::flat_hash_map<std::string, std::string> cache;
};

}  // namespace

std::string Stem(absl::string_view word) {
  thread_local ThreadStemmer ts;
  if (auto it = ts.cache.find(AsAbsl(word)); it != ts.cache.end()) return it->second;
  std::string out;
  if (ts.stemmer) {
    const sb_symbol* s = sb_stemmer_stem(ts.stemmer.get(),
                                         reinterpret_cast<const sb_symbol*>(word.data()),
                                         static_cast<int>(word.size()));
    if (s != nullptr) {
      out.assign(reinterpret_cast<const char*>(s), sb_stemmer_length(ts.stemmer.get()));
    }
  }
  if (out.empty()) out.assign(word.data(), word.size());
  if (ts.cache.size() > 200000) ts.cache.clear();  // bounded memory under hostile input
  ts.cache.emplace(std::string(word), out);
  return out;
}

}  // namespace clinsim
