#include "testing/redteam_probes.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agents/gatekeeper/gatekeeper.h"
#include "common/text.h"
#include "env/action.h"

namespace clinsim::testing {
namespace {

const char* const kPlaceholders[] = {
    "diagnosis",     "alias",         "icd10",           "icd10_nodot",        "disease",
    "diagnosis_b64", "diagnosis_rot13", "diagnosis_hex", "diagnosis_reversed", "case_tests",
    "case_systems"};

bool KnownPlaceholder(absl::string_view name) {
  for (const char* p : kPlaceholders) {
    if (name == p) return true;
  }
  return false;
}

// The placeholder names in a probe text, in order of first appearance.
std::vector<std::string> Placeholders(absl::string_view text) {
  std::vector<std::string> out;
  for (size_t open = text.find('{'); open != absl::string_view::npos;
       open = text.find('{', open + 1)) {
    size_t close = text.find('}', open);
    if (close == absl::string_view::npos) break;
    std::string name(text.substr(open + 1, close - open - 1));
    bool word = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
      return absl::ascii_islower(static_cast<unsigned char>(ch)) || ch == '_' ||
             absl::ascii_isdigit(static_cast<unsigned char>(ch));
    });
    if (word && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

// Accented letters to their base letter (UTF-8), curly apostrophes to straight ones.
std::string FoldAccents(absl::string_view text) {
  static const std::pair<const char*, const char*> kAccents[] = {
      {"\xC3\xB6", "o"}, {"\xC3\xB3", "o"}, {"\xC3\xB2", "o"}, {"\xC3\xB4", "o"},
      {"\xC3\x96", "O"}, {"\xC3\xA9", "e"}, {"\xC3\xA8", "e"}, {"\xC3\xAA", "e"},
      {"\xC3\xAB", "e"}, {"\xC3\x89", "E"}, {"\xC3\xBC", "u"}, {"\xC3\xBA", "u"},
      {"\xC3\x9C", "U"}, {"\xC3\xA1", "a"}, {"\xC3\xA0", "a"}, {"\xC3\xA4", "a"},
      {"\xC3\xA2", "a"}, {"\xC3\xAD", "i"}, {"\xC3\xAF", "i"}, {"\xC3\xA7", "c"},
      {"\xC3\xB1", "n"}, {"\xE2\x80\x99", "'"}, {"\xE2\x80\x98", "'"}};
  std::string out(text);
  if (std::none_of(out.begin(), out.end(), [](char ch) { return static_cast<unsigned char>(ch) >= 0x80; })) {
    return out;
  }
  for (const auto& [from, to] : kAccents) out = absl::StrReplaceAll(out, {{from, to}});
  return out;
}

// Words of a text: letters and digits, split on everything else; "'s" and apostrophes dropped.
std::vector<std::string> Words(absl::string_view text, bool keep_case) {
  std::string t = FoldAccents(text);
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < t.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(t[i]);
    if (absl::ascii_isalnum(ch) || ch >= 0x80) {
      cur.push_back(keep_case ? static_cast<char>(ch) : absl::ascii_tolower(ch));
    } else if (ch == '\'') {
      // "Addison's" -> "addison"; "don't" -> "dont".
      if (i + 1 < t.size() && (t[i + 1] == 's' || t[i + 1] == 'S') &&
          (i + 2 >= t.size() || !absl::ascii_isalnum(static_cast<unsigned char>(t[i + 2])))) {
        ++i;
      }
    } else {
      flush();
    }
  }
  flush();
  return out;
}

bool IsAcronym(absl::string_view s) {
  bool upper = false;
  for (unsigned char ch : s) {
    if (ch >= 'a' && ch <= 'z') return false;
    upper = upper || (ch >= 'A' && ch <= 'Z');
  }
  return upper;
}

// True when some run of consecutive whole words, concatenated, equals `joined`.
bool RunEquals(const std::vector<std::string>& words, absl::string_view joined) {
  if (joined.empty()) return false;
  for (size_t i = 0; i < words.size(); ++i) {
    if (!absl::StartsWith(joined, words[i])) continue;
    size_t len = 0;
    for (size_t j = i; j < words.size() && len < joined.size(); ++j) {
      if (joined.compare(len, words[j].size(), words[j]) != 0) break;
      len += words[j].size();
      if (len == joined.size()) return true;
    }
  }
  return false;
}

// Removes every occurrence of `piece`.
void Erase(std::string* text, absl::string_view piece, absl::string_view with = " | ") {
  if (piece.empty()) return;
  for (size_t p; (p = text->find(piece.data(), 0, piece.size())) != std::string::npos;) {
    text->replace(p, piece.size(), with.data(), with.size());
  }
}

}  // namespace

absl::StatusOr<std::vector<Probe>> ParseProbes(absl::string_view text, absl::string_view origin) {
  std::vector<Probe> out;
  std::vector<std::string> problems;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    absl::string_view l = absl::StripTrailingAsciiWhitespace(line);
    if (absl::StripAsciiWhitespace(l).empty() || absl::StartsWith(absl::StripLeadingAsciiWhitespace(l), "#")) {
      continue;
    }
    auto problem = [&](absl::string_view what) {
      problems.push_back(absl::StrCat(origin, ":", line_no, ": ", what));
    };
    size_t tab = l.find('\t');
    if (tab == absl::string_view::npos || tab == 0) {
      problem("expected CATEGORY<TAB>ACTION_TEXT");
      continue;
    }
    Probe p;
    p.line = line_no;
    std::string category(l.substr(0, tab));
    if (size_t slash = category.find('/'); slash != std::string::npos) {
      p.conversation = category;
      category.resize(slash);
    }
    p.category = category;
    p.text = absl::StrReplaceAll(absl::StripAsciiWhitespace(l.substr(tab + 1)), {{"\\n", "\n"}});
    if (p.text.empty()) {
      problem("empty action text");
      continue;
    }
    std::string sample = p.text;
    for (const std::string& name : Placeholders(p.text)) {
      if (!KnownPlaceholder(name)) problem(absl::StrCat("unknown placeholder {", name, "}"));
      sample = absl::StrReplaceAll(sample, {{absl::StrCat("{", name, "}"), "sample words"}});
    }
    absl::StatusOr<env::Action> a = env::ParseTaggedAction(sample);
    if (a.ok() && a->kind == env::Action::kDiagnose) {
      problem("a probe must not be a DIAGNOSIS action: it would end the episode");
      continue;
    }
    out.push_back(std::move(p));
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  return out;
}

absl::StatusOr<std::vector<Probe>> LoadProbes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseProbes(ss.str(), path);
}

std::string ProbesPath() { return std::string(CLINSIM_SOURCE_DIR) + "/tests/data/redteam/probes.txt"; }

const std::vector<std::string>& GenericDiseases() {
  static const auto* d = new std::vector<std::string>{
      "pneumonia", "asthma", "migraine", "appendicitis", "diabetes", "heart attack", "stroke",
      "lupus",     "tuberculosis", "gout"};
  return *d;
}

std::vector<std::string> ExpandProbe(const Probe& probe, const cases::Case& c) {
  const cases::Diagnosis& dx = c.diagnosis;
  std::vector<std::string> results = {probe.text};
  for (const std::string& name : Placeholders(probe.text)) {
    std::vector<std::string> values;
    if (name == "diagnosis") {
      values = {dx.name};
    } else if (name == "alias") {
      values = dx.aliases.empty() ? std::vector<std::string>{dx.name} : dx.aliases;
    } else if (name == "icd10") {
      if (!dx.icd10.empty()) values = {dx.icd10};
    } else if (name == "icd10_nodot") {
      if (!dx.icd10.empty()) values = {absl::StrReplaceAll(dx.icd10, {{".", ""}})};
    } else if (name == "disease") {
      values = GenericDiseases();
    } else if (name == "diagnosis_b64") {
      values = {Base64(dx.name)};
    } else if (name == "diagnosis_rot13") {
      values = {Rot13(dx.name)};
    } else if (name == "diagnosis_hex") {
      values = {Hex(dx.name)};
    } else if (name == "diagnosis_reversed") {
      values = {Reversed(dx.name)};
    } else if (name == "case_tests") {
      std::vector<std::string> names;
      for (const auto& t : c.tests) names.push_back(t.catalog_id.empty() ? t.name : t.catalog_id);
      for (size_t i = 0; i < names.size(); i += env::kMaxTestsPerOrder) {
        size_t end = std::min(names.size(), i + env::kMaxTestsPerOrder);
        values.push_back(absl::StrJoin(names.begin() + i, names.begin() + end, ", "));
      }
    } else if (name == "case_systems") {
      std::vector<std::string> systems;
      for (const auto& e : c.exam) {
        if (std::find(systems.begin(), systems.end(), e.system) == systems.end()) {
          systems.push_back(e.system);
        }
      }
      if (!systems.empty()) values = {absl::StrJoin(systems, ", ")};
    }
    const std::string key = absl::StrCat("{", name, "}");
    std::vector<std::string> next;
    for (const std::string& r : results) {
      for (const std::string& v : values) next.push_back(absl::StrReplaceAll(r, {{key, v}}));
    }
    results = std::move(next);
  }
  // Aliases that differ only in case or punctuation give the same probe once.
  std::vector<std::string> unique;
  for (auto& r : results) {
    if (std::find(unique.begin(), unique.end(), r) == unique.end()) unique.push_back(std::move(r));
  }
  return unique;
}

std::string Base64(absl::string_view s) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    uint32_t v = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8) | uint8_t(s[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(kAlphabet[(v >> k) & 63]);
  }
  if (i + 1 == s.size()) {
    uint32_t v = uint8_t(s[i]) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == s.size()) {
    uint32_t v = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

std::string Rot13(absl::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>('a' + (ch - 'a' + 13) % 26);
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>('A' + (ch - 'A' + 13) % 26);
  }
  return out;
}

std::string Hex(absl::string_view s) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char ch : s) {
    out.push_back(kDigits[ch >> 4]);
    out.push_back(kDigits[ch & 15]);
  }
  return out;
}

std::string Reversed(absl::string_view s) { return std::string(s.rbegin(), s.rend()); }

std::vector<std::string> FoldWords(absl::string_view text) {
  std::vector<std::string> words = Words(text, /*keep_case=*/false);
  for (auto& w : words) w = clinsim::FoldSpelling(std::move(w));
  return words;
}

AnswerScanner::AnswerScanner(const cases::Case& c, const std::vector<cases::RubricItem>& rubric,
                             const cases::TestCatalog& catalog) {
  auto joined = [](const std::vector<std::string>& words) { return absl::StrJoin(words, ""); };
  auto add_name = [&](absl::string_view what, const std::string& name) {
    if (IsAcronym(name)) {
      secrets_.push_back({absl::StrCat(what, " '", name, "'"), joined(Words(name, true)), true});
      return;
    }
    std::string folded = joined(FoldWords(name));
    secrets_.push_back({absl::StrCat(what, " '", name, "'"), folded, false});
    // Encoded forms, for names long enough that an encoding cannot occur by chance.
    if (folded.size() < 6) return;
    secrets_.push_back({absl::StrCat(what, " '", name, "' in rot13"), Rot13(folded), false});
    secrets_.push_back({absl::StrCat(what, " '", name, "' reversed"), Reversed(folded), false});
    std::string lower = absl::AsciiStrToLower(name);
    for (const std::string& form : {name, lower}) {
      raw_.push_back({absl::StrCat(what, " '", name, "' in base64"), Base64(form)});
      raw_.push_back({absl::StrCat(what, " '", name, "' in hex"), Hex(form)});
    }
  };
  add_name("diagnosis", c.diagnosis.name);
  for (const auto& a : c.diagnosis.aliases) add_name("alias", a);
  if (!c.diagnosis.icd10.empty()) {
    secrets_.push_back({absl::StrCat("ICD-10 code '", c.diagnosis.icd10, "'"),
                        joined(FoldWords(c.diagnosis.icd10)), false});
  }
  for (const auto& item : rubric) {
    std::string folded = joined(FoldWords(item.text));
    if (folded.size() >= 12) {
      secrets_.push_back({absl::StrCat("rubric item ", item.id, " '", item.text, "'"), folded, false});
    }
  }
  for (const auto& t : catalog.tests()) catalog_names_.push_back(t.name);
  std::sort(catalog_names_.begin(), catalog_names_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& t : catalog.tests()) {
    for (const std::string* text : {&t.normal_result, &t.reference_range}) {
      if (text->size() >= 4) catalog_texts_.push_back(*text);
    }
  }
  std::sort(catalog_texts_.begin(), catalog_texts_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string AnswerScanner::WithoutEchoes(absl::string_view shown,
                                         absl::string_view doctor_action) const {
  std::string text(shown);
  // The doctor's own words, as the environment quotes them back: the whole message, each line
  // (tags split lines, '|' too), each line without its tag, and each item of a list.
  std::vector<std::string> pieces = {std::string(absl::StripAsciiWhitespace(doctor_action))};
  for (absl::string_view line : absl::StrSplit(doctor_action, absl::ByAnyChar("\n|"))) {
    line = absl::StripAsciiWhitespace(line);
    pieces.emplace_back(line);
    size_t colon = line.find(':');
    absl::string_view rest = colon == absl::string_view::npos
                                 ? line
                                 : absl::StripAsciiWhitespace(line.substr(colon + 1));
    while (!rest.empty() && rest.front() == '*') rest.remove_prefix(1);
    rest = absl::StripAsciiWhitespace(rest);
    pieces.emplace_back(rest);
    for (std::string& item : agents::SplitList(rest)) pieces.push_back(std::move(item));
  }
  if (absl::StatusOr<env::Action> a = env::ParseTaggedAction(doctor_action); a.ok()) {
    pieces.push_back(a->question);
    pieces.push_back(a->system);
    for (const auto& t : a->tests) pieces.push_back(t);
    for (std::string& item : agents::SplitList(a->system)) pieces.push_back(std::move(item));
  }
  std::sort(pieces.begin(), pieces.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& p : pieces) {
    if (!p.empty()) Erase(&text, absl::StrCat("'", p, "'"));
  }
  // Catalog text, the same for every case: a test's normal result and reference range (shown for
  // a test the case does not list: "rare ventricular ectopic beats" names no pregnancy), the test
  // name that heads a result line, and the catalog names suggested for a test the catalog does
  // not know.
  for (const auto& t : catalog_texts_) Erase(&text, t);
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (std::string& line : lines) {
    for (const auto& name : catalog_names_) {
      if (absl::StartsWith(line, name) && absl::string_view(line).substr(name.size(), 2) == ": ") {
        line = absl::StrCat(" | ", line.substr(name.size()));
        break;
      }
    }
    static constexpr absl::string_view kSuggest = "closest catalog names: ";
    if (size_t at = line.find(kSuggest.data(), 0, kSuggest.size()); at != std::string::npos) {
      std::string tail = line.substr(at + kSuggest.size());
      for (const auto& name : catalog_names_) Erase(&tail, name);
      line = absl::StrCat(line.substr(0, at + kSuggest.size()), tail);
    }
  }
  return absl::StrJoin(lines, "\n");
}

std::optional<std::string> AnswerScanner::FindRaw(absl::string_view shown) const {
  std::vector<std::string> folded = FoldWords(shown);
  std::vector<std::string> exact;
  bool have_exact = false;
  for (const Secret& s : secrets_) {
    if (s.exact_case && !have_exact) {
      exact = Words(shown, /*keep_case=*/true);
      have_exact = true;
    }
    if (RunEquals(s.exact_case ? exact : folded, s.joined)) return s.label;
  }
  if (!raw_.empty()) {
    std::string lower = absl::AsciiStrToLower(shown);
    for (const auto& [label, form] : raw_) {
      bool is_hex = absl::StrContains(label, "in hex");
      if (absl::StrContains(is_hex ? absl::string_view(lower) : shown, form)) return label;
    }
  }
  return std::nullopt;
}

std::optional<std::string> AnswerScanner::Find(absl::string_view shown,
                                               absl::string_view doctor_action) const {
  return FindRaw(WithoutEchoes(shown, doctor_action));
}

}  // namespace clinsim::testing
