// Text helpers shared by every rule-based part: normalisation, tokenisation, stemming,
// whole-phrase search and edit distance.
//
//   std::string norm = NormalizeText("Any Chest-Pain?");     // "any chest pain "
//   std::vector<absl::string_view> words = Tokenize(norm);     // {"any", "chest", "pain"}
//   std::string stem = Stem("breathing");                     // "breath"
#ifndef CLINSIM_COMMON_TEXT_H_
#define CLINSIM_COMMON_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace clinsim {

// Debian's Abseil has its own string_view type; hash-map lookups by view need this conversion.
inline absl::string_view AsAbsl(absl::string_view s) { return absl::string_view(s.data(), s.size()); }

// Lower-cases ASCII letters, drops apostrophes ("don't" -> "dont"), turns every other ASCII
// character that is not a letter or digit into a space. Bytes >= 0x80 (UTF-8) are kept.
std::string NormalizeText(absl::string_view text);

// Splits normalised text on spaces. The views point into `normalized`.
std::vector<absl::string_view> Tokenize(absl::string_view normalized);

// NormalizeText, then the words joined by single spaces: "Chest-Pain!" -> "chest pain".
std::string CollapseText(absl::string_view text);

// Joins views with a separator (absl::StrJoin does not take absl::string_view in Debian's Abseil).
std::string JoinViews(const std::vector<absl::string_view>& parts, absl::string_view sep);

// Snowball English (Porter2) stem of one lower-case word. Thread-safe (one stemmer per thread).
std::string Stem(absl::string_view word);

// NormalizeText, Tokenize and Stem each word, joined by single spaces: the canonical form used
// for phrase comparison ("Shortness-of-Breath" -> "short of breath").
std::string CanonicalPhrase(absl::string_view text);

// True when `phrase` (already normalised, words separated by single spaces) occurs in
// `normalized_text` on word boundaries.
bool ContainsPhrase(absl::string_view normalized_text, absl::string_view phrase);

// Levenshtein distance, capped: returns cap + 1 as soon as the distance must exceed cap.
int EditDistance(absl::string_view a, absl::string_view b, int cap);

// True when `text` is well-formed UTF-8.
bool IsValidUtf8(absl::string_view text);

// At most `max_bytes` of `text`, cut on a character boundary, with every byte that is not part of
// well-formed UTF-8 replaced by '?'. For echoing untrusted text back safely.
std::string SafeUtf8Prefix(absl::string_view text, size_t max_bytes);

// Joins words with a separator ("a, b and c" style lists are built by the callers).
std::string JoinWords(const std::vector<std::string>& words, absl::string_view last_sep);

// One lower-case word with British spellings folded to American ("haem" -> "hem", "oedema" ->
// "edema", "tumour" -> "tumor", "-ise" -> "-ize"), so both spellings of a name compare equal.
std::string FoldSpelling(std::string word);

}  // namespace clinsim

#endif  // CLINSIM_COMMON_TEXT_H_
