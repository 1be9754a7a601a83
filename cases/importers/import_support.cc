#include "cases/importers/import_support.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cases/case_loader.h"
#include "cases/catalog/exam_catalog.h"
#include "cases/catalog/test_catalog.h"
#include "common/text.h"
#include "rubrics/rubric.h"

namespace clinsim::cases::import {

void ForEachRecord(absl::string_view jsonl,
                   const std::function<std::string(int, const nlohmann::json&)>& record,
                   ImportResult* result) {
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(jsonl, '\n')) {
    ++line_no;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    if (line.size() > kMaxRecordBytes) {
      result->problems.push_back({line_no, absl::StrCat("record is ", line.size(),
                                                        " bytes; the limit is ", kMaxRecordBytes)});
      continue;
    }
    if (!IsValidUtf8(line)) {
      result->problems.push_back({line_no, "record is not valid UTF-8"});
      continue;
    }
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      result->problems.push_back({line_no, absl::StrCat("not valid JSON (truncated?): ", e.what())});
      continue;
    }
    if (!j.is_object()) {
      result->problems.push_back({line_no, "a record must be a JSON object"});
      continue;
    }
    std::string problem;
    try {
      problem = record(line_no, j);
    } catch (const nlohmann::json::exception& e) {
      problem = absl::StrCat("unexpected field type: ", e.what());
    }
    if (!problem.empty()) result->problems.push_back({line_no, problem});
  }
}

namespace {

// Third-person verb forms after a new first-person subject.
std::string BaseForm(const std::string& w) {
  static const std::pair<const char*, const char*> kIrregular[] = {
      {"is", "am"}, {"has", "have"}, {"does", "do"}, {"was", "was"}, {"denies", "deny"},
      {"describes", "describe"}, {"notes", "note"}, {"says", "say"}};
  std::string lower = absl::AsciiStrToLower(w);
  for (const auto& [from, to] : kIrregular) {
    if (lower == from) return to;
  }
  if (lower.size() > 3 && absl::EndsWith(lower, "ies")) return lower.substr(0, lower.size() - 3) + "y";
  if (lower.size() > 3 && (absl::EndsWith(lower, "ches") || absl::EndsWith(lower, "shes") ||
                           absl::EndsWith(lower, "sses"))) {
    return lower.substr(0, lower.size() - 2);
  }
  if (lower.size() > 2 && lower.back() == 's' && lower[lower.size() - 2] != 's') {
    return lower.substr(0, lower.size() - 1);
  }
  return lower;
}

bool IsThirdPersonVerb(const std::string& w) {
  static const char* const kVerbs[] = {
      "reports", "notes", "describes", "denies", "has", "is", "states", "mentions", "admits",
      "complains", "experiences", "works", "drinks", "smokes", "lives", "takes", "feels", "uses",
      "endorses", "recalls", "says", "does", "was", "had", "denied", "reported", "noted",
      "presented", "presents", "started", "began", "developed", "noticed", "travelled", "traveled",
      "exercises", "eats", "walks", "runs", "sleeps", "wakes", "plays", "enjoys", "consumes"};
  std::string lower = absl::AsciiStrToLower(w);
  return std::any_of(std::begin(kVerbs), std::end(kVerbs), [&](const char* v) { return lower == v; });
}

}  // namespace

std::string FirstPerson(absl::string_view sentence) {
  std::vector<std::string> w = absl::StrSplit(sentence, ' ', absl::SkipEmpty());
  if (w.empty()) return "";
  std::vector<std::string> out;
  for (size_t i = 0; i < w.size(); ++i) {
    std::string lower = absl::AsciiStrToLower(w[i]);
    std::string next = i + 1 < w.size() ? absl::AsciiStrToLower(w[i + 1]) : "";
    // "The patient", "The man", "the woman's" -> I / my
    if ((lower == "the" || lower == "this") && i + 1 < w.size()) {
      static const char* const kNouns[] = {"patient", "man", "woman", "boy", "girl", "child",
                                           "infant", "gentleman", "lady", "mother", "father"};
      std::string noun = next;
      bool possessive = absl::EndsWith(noun, "'s");
      if (possessive) noun = noun.substr(0, noun.size() - 2);
      bool subject = std::any_of(std::begin(kNouns), std::end(kNouns),
                                 [&](const char* n) { return noun == n; });
      // "The mother"/"the father" are relatives unless the record speaks of the patient so.
      if (subject && noun != "mother" && noun != "father") {
        out.push_back(possessive ? "my" : "I");
        ++i;
        continue;
      }
    }
    if (lower == "patient" && out.empty()) {
      out.push_back("I");
      continue;
    }
    if (lower == "he" || lower == "she") {
      out.push_back("I");
      continue;
    }
    if (lower == "his" || lower == "her") {
      out.push_back("my");
      continue;
    }
    if (lower == "him") {
      out.push_back("me");
      continue;
    }
    if (lower == "himself" || lower == "herself") {
      out.push_back("myself");
      continue;
    }
    out.push_back(w[i]);
  }
  // Verb agreement right after "I" (and after "I also", "I occasionally").
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] != "I") continue;
    size_t v = i + 1;
    if (v + 1 < out.size() && (absl::EndsWith(absl::AsciiStrToLower(out[v]), "ly") ||
                               absl::AsciiStrToLower(out[v]) == "also")) {
      ++v;
    }
    std::string verb = absl::AsciiStrToLower(out[v]);
    std::string trail;
    while (!verb.empty() && std::ispunct(static_cast<unsigned char>(verb.back()))) {
      trail.insert(trail.begin(), verb.back());
      verb.pop_back();
    }
    if (verb == "denies" || verb == "denied") {
      // "I denies having fever" reads better as "I have not had fever".
      std::string after = v + 1 < out.size() ? absl::AsciiStrToLower(out[v + 1]) : "";
      if (after == "having" || after == "experiencing" || after == "feeling" || after == "any") {
        out[v] = "have not had";
        if (after != "any") out.erase(out.begin() + v + 1);
      } else {
        out[v] = "don't have" + trail;
      }
      continue;
    }
    if (IsThirdPersonVerb(verb) && verb != "was" && verb != "had" && !absl::EndsWith(verb, "ed")) {
      out[v] = BaseForm(verb) + trail;
    }
  }
  // Fragments that start with a verb ("Works as a designer.") get a subject.
  std::string first = absl::AsciiStrToLower(out[0]);
  if (out[0] != "I" && IsThirdPersonVerb(first) && !absl::EndsWith(first, "ed") && first != "is" &&
      first != "has" && first != "was" && first != "had") {
    out[0] = BaseForm(first);
    out.insert(out.begin(), "I");
  }
  std::string s = absl::StrJoin(out, " ");
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  if (!s.empty() && s.back() != '.' && s.back() != '!' && s.back() != '?') s += ".";
  return s;
}

std::vector<std::string> Sentences(absl::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    cur.push_back(c);
    bool end = (c == '.' || c == '!' || c == '?' || c == ';') &&
               (i + 1 == text.size() || text[i + 1] == ' ');
    // "e.g." and "Dr." and decimals are not sentence ends.
    if (end && c == '.') {
      std::string lower = absl::AsciiStrToLower(cur);
      if (absl::EndsWith(lower, "e.g.") || absl::EndsWith(lower, "i.e.") ||
          absl::EndsWith(lower, " dr.") || absl::EndsWith(lower, " vs.")) {
        end = false;
      }
    }
    if (end) {
      std::string s(absl::StripAsciiWhitespace(cur));
      if (s.size() > 1) out.push_back(s);
      cur.clear();
    }
  }
  std::string s(absl::StripAsciiWhitespace(cur));
  if (s.size() > 1) out.push_back(s);
  return out;
}

std::string GuessCategory(absl::string_view sentence, absl::string_view hint) {
  std::string h = absl::AsciiStrToLower(hint);
  if (h == "history" || absl::StrContains(h, "present")) return "hpi";
  if (absl::StrContains(h, "allerg")) return "allergies";
  if (absl::StrContains(h, "past") || absl::StrContains(h, "medical_history")) return "pmh";
  if (absl::StrContains(h, "medic") || absl::StrContains(h, "drug")) return "meds";
  if (absl::StrContains(h, "family")) return "family";
  if (absl::StrContains(h, "social")) return "social";
  if (absl::StrContains(h, "review")) return "ros";
  std::string s = " " + CollapseText(sentence) + " ";
  auto has = [&](std::initializer_list<const char*> words) {
    return std::any_of(words.begin(), words.end(),
                       [&](const char* w) { return absl::StrContains(s, w); });
  };
  if (has({" allerg"})) return "allergies";
  if (has({" mother ", " father ", " sister ", " brother ", " family ", " parents ", " sibling"})) return "family";
  if (has({" smok", " alcohol", " drink", " works ", " work ", " lives ", " job ", " occupation",
           " sexual", " partner", " travel", " married", " diet ", " exercise", " cigarette", " beer",
           " wine", " illicit", " cocaine", " heroin"})) {
    return "social";
  }
  if (has({" medication", " taking ", " takes ", " prescribed", " pills", " tablets", " inhaler",
           " insulin ", " contraceptive"})) {
    return "meds";
  }
  if (has({" history of ", " diagnosed with ", " surgery", " underwent ", " operation"})) return "pmh";
  if (has({" denies ", " denied ", " no history ", " not had "})) return "ros";
  return "hpi";
}

std::vector<std::string> Keywords(absl::string_view category, absl::string_view text) {
  // Only words that name the category itself: a generic list ("smoke, alcohol, work") on every
  // social fact would make any social question fetch all of them.
  static const std::pair<const char*, std::vector<std::string>> kByCategory[] = {
      {"pmh", {"medical history", "conditions", "illnesses"}},
      {"meds", {"medications", "medicines", "pills"}},
      {"allergies", {"allergies", "allergic"}},
      {"family", {"family", "relatives"}},
  };
  std::vector<std::string> out;
  for (const auto& [cat, words] : kByCategory) {
    if (category == cat) out = words;
  }
  // Content words of the text itself (longer words carry the meaning).
  static const char* const kSkip[] = {"about", "after", "again", "before", "having", "their",
                                      "there", "these", "which", "while", "would", "since"};
  std::string norm = NormalizeText(text);
  for (absl::string_view w : Tokenize(norm)) {
    if (w.size() < 5 || out.size() >= 10) continue;
    if (std::any_of(std::begin(kSkip), std::end(kSkip), [&](const char* s) { return w == s; })) continue;
    std::string word(w);
    if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(word);
  }
  return out;
}

std::string Humanize(absl::string_view key) {
  std::string s = absl::StrReplaceAll(key, {{"_", " "}});
  return std::string(absl::StripAsciiWhitespace(s));
}

bool LooksAbnormal(absl::string_view text) {
  std::string s = " " + CollapseText(text) + " ";
  if (absl::StrContains(s, " abnormal ")) return true;
  for (const char* normal : {" normal ", " unremarkable ", " within normal", " no acute ",
                             " negative ", " clear to auscultation ", " not detected "}) {
    if (absl::StrContains(s, normal)) return false;
  }
  return !absl::StartsWith(s, " no ");
}

std::string ExamSystemFor(absl::string_view text) {
  const ExamSystem* s = ExamCatalog::Default().Resolve(Humanize(text));
  return s == nullptr ? "" : s->id;
}

std::string CatalogIdFor(absl::string_view name) {
  static const char* const kGeneric[] = {"findings", "result", "results", "value", "values",
                                         "interpretation", "impression", "report", "other", "level"};
  std::string h = absl::AsciiStrToLower(Humanize(name));
  if (h.empty() || std::any_of(std::begin(kGeneric), std::end(kGeneric),
                               [&](const char* g) { return h == g; })) {
    return "";
  }
  TestResolution r = TestCatalog::Default().Resolve(h);
  return r.kind == TestResolution::kFound ? r.test->id : "";
}

bool Redact(const Case& c, std::string* text) {
  SecretMatcher secrets(c);
  if (!secrets.Find(*text)) return true;
  std::vector<std::string> names = {c.diagnosis.name};
  names.insert(names.end(), c.diagnosis.aliases.begin(), c.diagnosis.aliases.end());
  std::sort(names.begin(), names.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& n : names) {
    if (n.empty()) continue;
    std::string lower = absl::AsciiStrToLower(*text), ln = absl::AsciiStrToLower(n);
    for (size_t p; (p = lower.find(ln)) != std::string::npos;) {
      text->replace(p, n.size(), "the condition");
      lower.replace(p, n.size(), "the condition");
    }
  }
  return !secrets.Find(*text);
}

std::string Accept(Case c, const std::vector<std::string>& notes, const ImportOptions& options,
                   const char* default_license, ImportResult* result) {
  c.source.kind = "imported";
  if (c.source.license.empty()) c.source.license = options.license.empty() ? default_license : options.license;
  if (c.difficulty.empty()) c.difficulty = "medium";
  if (c.rubric.empty()) c.rubric = rubrics::DeriveRubric(c, TestCatalog::Default());
  if (c.rubric.empty()) return "no rubric could be derived (no key facts and no abnormal results)";
  std::vector<std::string> problems = ValidateCase(c, TestCatalog::Default(), ExamCatalog::Default());
  if (!problems.empty()) return absl::StrCat("imported case is invalid: ", absl::StrJoin(problems, "; "));
  for (const auto& n : notes) result->notes.push_back(absl::StrCat(c.id, ": ", n));
  result->cases.push_back(std::move(c));
  return "";
}

}  // namespace clinsim::cases::import
