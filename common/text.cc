#include "common/text.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_replace.h"

namespace clinsim {

std::string NormalizeText(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + 1);
  for (unsigned char c : text) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c == '\'') {
      // "don't" -> "dont": keeps contractions one word.
    } else {
      out.push_back(' ');
    }
  }
  return out;
}

std::vector<absl::string_view> Tokenize(absl::string_view normalized) {
  std::vector<absl::string_view> out;
  size_t i = 0;
  const size_t n = normalized.size();
  while (i < n) {
    while (i < n && normalized[i] == ' ') ++i;
    size_t start = i;
    while (i < n && normalized[i] != ' ') ++i;
    if (i > start) out.push_back(normalized.substr(start, i - start));
  }
  return out;
}

std::string CollapseText(absl::string_view text) {
  std::string norm = NormalizeText(text);
  return JoinViews(Tokenize(norm), " ");
}

std::string JoinViews(const std::vector<absl::string_view>& parts, absl::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(sep.data(), sep.size());
    out.append(parts[i].data(), parts[i].size());
  }
  return out;
}

std::string CanonicalPhrase(absl::string_view text) {
  std::string norm = NormalizeText(text);
  std::string out;
  for (absl::string_view w : Tokenize(norm)) {
    if (!out.empty()) out.push_back(' ');
    out += Stem(w);
  }
  return out;
}

bool ContainsPhrase(absl::string_view text, absl::string_view phrase) {
  if (phrase.empty()) return false;
  size_t pos = 0;
  while ((pos = text.find(phrase, pos)) != absl::string_view::npos) {
    bool left_ok = pos == 0 || text[pos - 1] == ' ';
    size_t end = pos + phrase.size();
    bool right_ok = end == text.size() || text[end] == ' ';
    if (left_ok && right_ok) return true;
    ++pos;
  }
  return false;
}

int EditDistance(absl::string_view a, absl::string_view b, int cap) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  if (std::abs(n - m) > cap) return cap + 1;
  std::vector<int> prev(m + 1), cur(m + 1);
  for (int j = 0; j <= m; ++j) prev[j] = j;
  for (int i = 1; i <= n; ++i) {
    cur[0] = i;
    int row_min = cur[0];
    for (int j = 1; j <= m; ++j) {
      int sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > cap) return cap + 1;
    std::swap(prev, cur);
  }
  return std::min(prev[m], cap + 1);
}

namespace {
// Length of the well-formed UTF-8 sequence starting at text[i], or 0 if it is malformed.
size_t Utf8SequenceLength(absl::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}
}  // namespace

bool IsValidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string SafeUtf8Prefix(absl::string_view text, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      if (out.size() + 1 > max_bytes) break;
      out.push_back('?');
      ++i;
      continue;
    }
    if (out.size() + n > max_bytes) break;
    out.append(text.data() + i, n);
    i += n;
  }
  return out;
}

std::string JoinWords(const std::vector<std::string>& words, absl::string_view last_sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += (i + 1 == words.size()) ? std::string(last_sep) : std::string(", ");
    out += words[i];
  }
  return out;
}

std::string FoldSpelling(std::string w) {
  static const std::pair<const char*, const char*> kFolds[] = {
      {"oesoph", "esoph"}, {"oedem", "edem"}, {"oestr", "estr"}, {"diarrhoea", "diarrhea"},
      {"apnoea", "apnea"}, {"dyspnoea", "dyspnea"}, {"hypopnoea", "hypopnea"},
      {"tumour", "tumor"}, {"colour", "color"}, {"behaviour", "behavior"}, {"sulph", "sulf"},
      {"paed", "ped"}, {"gynaec", "gynec"}, {"coeliac", "celiac"}, {"caec", "cec"},
      {"fibre", "fiber"}, {"centre", "center"}, {"phaeo", "pheo"}, {"foet", "fet"},
      {"toxaem", "toxem"}, {"aem", "em"}, {"alised", "alized"}, {"alise", "alize"},
      {"ysed", "yzed"}, {"ouldering", "oldering"}};
  if (w.size() < 3) return w;
  for (const auto& [from, to] : kFolds) {
    if (w.find(from) != std::string::npos) w = absl::StrReplaceAll(w, {{from, to}});
  }
  return w;
}

}  // namespace clinsim
