#include "env/action.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agents/gatekeeper/gatekeeper.h"
#include "common/text.h"

namespace clinsim::env {
namespace {

enum class Tag { kNone, kAsk, kExamine, kOrder, kDiagnosis, kIcd, kDifferential, kConfidence };

// Recognises "TAG:" at the start of a line (case-insensitive); returns the tag and the rest.
Tag LineTag(absl::string_view line, absl::string_view* rest) {
  static const std::pair<const char*, Tag> kTags[] = {
      {"ask", Tag::kAsk},           {"question", Tag::kAsk},        {"examine", Tag::kExamine},
      {"exam", Tag::kExamine},      {"order", Tag::kOrder},         {"tests", Tag::kOrder},
      {"test", Tag::kOrder},        {"diagnosis", Tag::kDiagnosis}, {"diagnose", Tag::kDiagnosis},
      {"final diagnosis", Tag::kDiagnosis}, {"dx", Tag::kDiagnosis}, {"icd10", Tag::kIcd},
      {"icd-10", Tag::kIcd},        {"icd", Tag::kIcd},             {"differential", Tag::kDifferential},
      {"ddx", Tag::kDifferential},  {"confidence", Tag::kConfidence}};
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos || colon > 20) return Tag::kNone;
  std::string head = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon)));
  // Markdown emphasis around the tag ("**ORDER:**") is common in LLM output.
  // Only emphasis opened before the tag is closed after the colon: "ASK: *really*?" keeps its '*'
  // (and so the tagged form of any question parses back to the same question).
  const bool emphasis = !head.empty() && head.front() == '*';
  while (!head.empty() && (head.front() == '*' || head.front() == '#' || head.front() == '-')) head.erase(0, 1);
  while (!head.empty() && head.back() == '*') head.pop_back();
  head = std::string(absl::StripAsciiWhitespace(head));
  for (const auto& [name, tag] : kTags) {
    if (head == name) {
      absl::string_view r = line.substr(colon + 1);
      while (!r.empty() && ((emphasis && r.front() == '*') || r.front() == ' ')) r.remove_prefix(1);
      *rest = absl::StripAsciiWhitespace(r);
      return tag;
    }
  }
  return Tag::kNone;
}

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(what, " ", ActionGrammar()));
}

}  // namespace

const char* ActionKindName(Action::Kind k) {
  switch (k) {
    case Action::kAsk: return "ask";
    case Action::kExamine: return "examine";
    case Action::kOrder: return "order";
    case Action::kDiagnose: return "diagnose";
  }
  return "ask";
}

absl::string_view ActionGrammar() {
  return "One action per message: 'ASK: <questions>', 'EXAMINE: <systems>', "
         "'ORDER: <test>, <test>, ...' or 'DIAGNOSIS: <name>' (optionally with 'ICD10: <code>', "
         "'DIFFERENTIAL: <a>; <b>', 'CONFIDENCE: <0..1>' on further lines or after '|'). "
         "Untagged text is a question to the patient.";
}

absl::Status ValidateAction(const Action& a) {
  auto check_len = [](absl::string_view field, absl::string_view v) -> absl::Status {
    if (!IsValidUtf8(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " is not valid UTF-8; send text encoded as UTF-8."));
    }
    if (v.size() > kMaxTextLength) {
      return absl::InvalidArgumentError(absl::StrCat(field, " is ", v.size(),
                                                     " characters; the limit is ", kMaxTextLength,
                                                     ". Ask one short question at a time."));
    }
    return absl::OkStatus();
  };
  auto blank = [](absl::string_view v) { return absl::StripAsciiWhitespace(v).empty(); };
  switch (a.kind) {
    case Action::kAsk:
      if (blank(a.question)) return Invalid("The question is empty.");
      return check_len("the question", a.question);
    case Action::kExamine:
      if (blank(a.system)) return Invalid("EXAMINE needs at least one system.");
      return check_len("the examination request", a.system);
    case Action::kOrder: {
      if (a.tests.empty()) return Invalid("ORDER needs at least one test.");
      if (a.tests.size() > kMaxTestsPerOrder) {
        return absl::InvalidArgumentError(absl::StrCat("ORDER lists ", a.tests.size(),
                                                       " tests; the limit is ", kMaxTestsPerOrder,
                                                       " per order."));
      }
      for (const auto& t : a.tests) {
        if (blank(t)) return Invalid("ORDER has an empty test name.");
        if (auto s = check_len("a test name", t); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    case Action::kDiagnose: {
      if (blank(a.diagnosis)) return Invalid("DIAGNOSIS is empty.");
      if (auto s = check_len("the diagnosis", a.diagnosis); !s.ok()) return s;
      if (a.differential.size() > 20) {
        return absl::InvalidArgumentError("DIFFERENTIAL lists more than 20 diagnoses.");
      }
      for (const auto& d : a.differential) {
        if (auto s = check_len("a differential diagnosis", d); !s.ok()) return s;
      }
      // Written so that NaN ("CONFIDENCE: nan" parses as a number) is refused too.
      if (a.confidence && !(*a.confidence >= 0 && *a.confidence <= 1)) {
        return absl::InvalidArgumentError("CONFIDENCE must be between 0 and 1.");
      }
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Action> ParseTaggedAction(absl::string_view text) {
  if (text.size() > kMaxTextLength * 4) {
    return absl::InvalidArgumentError(absl::StrCat("the message is ", text.size(),
                                                   " characters; the limit is ", kMaxTextLength,
                                                   " per field."));
  }
  Action a;
  Tag main = Tag::kNone;
  std::string body;
  std::vector<std::string> untagged;
  bool have_icd = false, have_ddx = false, have_conf = false;
  // A line may hold several tags separated by '|', so a one-line interface (play, a chat box)
  // can send "DIAGNOSIS: x | ICD10: I21.19 | DIFFERENTIAL: a; b".
  for (absl::string_view line : absl::StrSplit(text, absl::ByAnyChar("\n|"))) {
    absl::string_view rest;
    Tag t = LineTag(line, &rest);
    switch (t) {
      case Tag::kNone:
        if (!absl::StripAsciiWhitespace(line).empty()) {
          if (main == Tag::kNone) {
            untagged.emplace_back(absl::StripAsciiWhitespace(line));
          } else {
            // Continuation of the previous tagged line.
            absl::StrAppend(&body, body.empty() ? "" : (main == Tag::kOrder ? ", " : " "),
                            absl::StripAsciiWhitespace(line));
          }
        }
        break;
      case Tag::kAsk:
      case Tag::kExamine:
      case Tag::kOrder:
      case Tag::kDiagnosis:
        if (main != Tag::kNone && main != t) {
          return Invalid("The message holds two different actions; send them one at a time.");
        }
        if (main == t) {
          // A repeated tag with nothing after it adds nothing (not a trailing separator).
          if (!rest.empty()) absl::StrAppend(&body, body.empty() ? "" : (main == Tag::kOrder ? ", " : " "), rest);
        } else {
          body = std::string(rest);
        }
        main = t;
        break;
      case Tag::kIcd:
        a.icd10 = std::string(rest);
        have_icd = true;
        break;
      case Tag::kDifferential:
        for (absl::string_view d : absl::StrSplit(rest, absl::ByAnyChar(";,"))) {
          d = absl::StripAsciiWhitespace(d);
          if (!d.empty()) a.differential.emplace_back(d);
        }
        have_ddx = true;
        break;
      case Tag::kConfidence: {
        double c = 0;
        absl::string_view v = rest;
        bool percent = !v.empty() && v.back() == '%';
        if (percent) v.remove_suffix(1);
        if (!absl::SimpleAtod(v, &c)) {
          return Invalid(absl::StrCat("CONFIDENCE '", rest, "' is not a number."));
        }
        a.confidence = percent ? c / 100.0 : c;
        have_conf = true;
        break;
      }
    }
  }
  if (main == Tag::kNone) {
    if (have_icd || have_ddx || have_conf) {
      return Invalid("ICD10, DIFFERENTIAL and CONFIDENCE go with a DIAGNOSIS line.");
    }
    a.kind = Action::kAsk;
    a.question = absl::StrJoin(untagged, " ");
  } else {
    if (main != Tag::kDiagnosis && (have_icd || have_ddx || have_conf)) {
      return Invalid("ICD10, DIFFERENTIAL and CONFIDENCE go with a DIAGNOSIS line.");
    }
    if (!untagged.empty() && main == Tag::kAsk) {
      body = absl::StrCat(absl::StrJoin(untagged, " "), body.empty() ? "" : " ", body);
    }
    switch (main) {
      case Tag::kAsk: a.kind = Action::kAsk; a.question = body; break;
      case Tag::kExamine: a.kind = Action::kExamine; a.system = body; break;
      case Tag::kOrder:
        a.kind = Action::kOrder;
        a.tests = agents::SplitList(body);
        break;
      default: a.kind = Action::kDiagnose; a.diagnosis = body; break;
    }
  }
  if (auto s = ValidateAction(a); !s.ok()) return s;
  return a;
}

std::string FormatAction(const Action& a) {
  switch (a.kind) {
    case Action::kAsk: return absl::StrCat("ASK: ", a.question);
    case Action::kExamine: return absl::StrCat("EXAMINE: ", a.system);
    case Action::kOrder: return absl::StrCat("ORDER: ", absl::StrJoin(a.tests, ", "));
    case Action::kDiagnose: {
      std::string s = absl::StrCat("DIAGNOSIS: ", a.diagnosis);
      if (!a.icd10.empty()) absl::StrAppend(&s, "\nICD10: ", a.icd10);
      if (!a.differential.empty()) absl::StrAppend(&s, "\nDIFFERENTIAL: ", absl::StrJoin(a.differential, "; "));
      if (a.confidence) absl::StrAppend(&s, "\nCONFIDENCE: ", *a.confidence);
      return s;
    }
  }
  return "";
}

}  // namespace clinsim::env
