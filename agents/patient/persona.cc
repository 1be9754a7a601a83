#include "agents/patient/persona.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/random.h"

namespace clinsim::agents {
namespace {

constexpr const char* kTemperaments[] = {"plain", "sanguine", "choleric", "melancholic", "phlegmatic"};
constexpr const char* kLiteracy[] = {"lay", "average", "medical"};
constexpr const char* kRecall[] = {"good", "poor"};
constexpr const char* kBiases[] = {"recency",   "frequency", "false_consensus", "self_diagnosis",
                                   "race",      "sexual_orientation", "cultural", "education",
                                   "religion",  "socioeconomic"};

// Medical word -> lay word. Used forwards for lay literacy, backwards for medical literacy.
constexpr std::pair<const char*, const char*> kLayWords[] = {
    {"hypertension", "high blood pressure"}, {"dyspnoea", "shortness of breath"},
    {"dyspnea", "shortness of breath"},      {"diaphoresis", "sweating"},
    {"syncope", "fainting"},                 {"nausea", "feeling sick"},
    {"emesis", "throwing up"},               {"haematuria", "blood in my pee"},
    {"hematuria", "blood in my pee"},        {"dysuria", "burning when I pee"},
    {"palpitations", "heart racing"},        {"abdomen", "belly"},
    {"abdominal", "belly"},                  {"fatigue", "tiredness"},
    {"pyrexia", "fever"},                    {"cephalgia", "headache"},
    {"myalgia", "muscle aches"},             {"arthralgia", "joint pain"},
    {"pruritus", "itching"},                 {"oedema", "swelling"},
    {"edema", "swelling"},                   {"medications", "tablets"},
    {"hyperlipidaemia", "high cholesterol"}, {"hyperlipidemia", "high cholesterol"},
    {"diabetes mellitus", "sugar diabetes"}, {"vomiting", "being sick"},
    {"diarrhoea", "the runs"},               {"diarrhea", "the runs"},
};

template <size_t N>
bool OneOf(absl::string_view v, const char* const (&list)[N]) {
  return std::any_of(std::begin(list), std::end(list), [&](const char* x) { return v == x; });
}

template <size_t N>
std::string Choices(const char* const (&list)[N]) {
  return absl::StrJoin(std::begin(list), std::end(list), ", ");
}

// Replaces whole words, case-insensitively, keeping the rest of the text.
std::string ReplaceWords(std::string text, absl::string_view from, absl::string_view to) {
  std::string lower = absl::AsciiStrToLower(text);
  std::string f = absl::AsciiStrToLower(from);
  size_t pos = 0;
  auto word = [](char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); };
  while ((pos = lower.find(f, pos)) != std::string::npos) {
    size_t end = pos + f.size();
    if ((pos == 0 || !word(lower[pos - 1])) && (end >= lower.size() || !word(lower[end]))) {
      text.replace(pos, f.size(), to.data(), to.size());
      lower.replace(pos, f.size(), absl::AsciiStrToLower(to));
      pos += to.size();
    } else {
      ++pos;
    }
  }
  return text;
}

// prefix + text, lower-casing the text's first letter after a prefix that ends a clause
// ("Look, " + "The pain..." -> "Look, the pain..."), but never "I" or an acronym.
std::string Prefixed(absl::string_view prefix, absl::string_view text) {
  std::string t(text);
  bool lower = prefix.size() >= 2 && prefix.substr(prefix.size() - 2) == ", ";
  bool keep = t.size() < 2 || (t[0] == 'I' && !absl::ascii_isalpha(static_cast<unsigned char>(t[1]))) ||
              absl::ascii_isupper(static_cast<unsigned char>(t[1]));
  if (lower && !keep) t[0] = absl::ascii_tolower(static_cast<unsigned char>(t[0]));
  return absl::StrCat(prefix, t);
}

std::string Pick(uint64_t seed, absl::string_view what, std::initializer_list<const char*> options) {
  return options.begin()[Mix(seed ^ StableHash(what)) % options.size()];
}

}  // namespace

std::string Persona::ToString() const {
  if (plain()) return "plain";
  std::string s = absl::StrCat("temperament=", temperament, ",literacy=", literacy, ",recall=", recall);
  for (const auto& b : biases) absl::StrAppend(&s, ",bias=", b);
  return s;
}

absl::StatusOr<Persona> ParsePersona(absl::string_view spec, uint64_t seed) {
  Persona p;
  std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(spec));
  if (s.empty() || s == "plain") return p;
  if (s == "random") {
    Rng rng(DeriveSeed(seed, "persona"));
    p.temperament = kTemperaments[rng.Uniform(5)];
    p.literacy = kLiteracy[rng.Uniform(3)];
    p.recall = kRecall[rng.Uniform(2)];
    if (rng.Bernoulli(0.3)) p.biases.push_back(kBiases[rng.Uniform(10)]);
    return p;
  }
  for (absl::string_view part : absl::StrSplit(s, ',', absl::SkipWhitespace())) {
    std::vector<std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    for (auto& x : kv) x = std::string(absl::StripAsciiWhitespace(x));
    if (kv.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "persona '", spec, "': expected plain, random or key=value pairs (temperament, literacy, "
          "recall, bias), got '", part, "'"));
    }
    const std::string& k = kv[0];
    const std::string& v = kv[1];
    if (k == "temperament" && OneOf(v, kTemperaments)) {
      p.temperament = v;
    } else if (k == "literacy" && OneOf(v, kLiteracy)) {
      p.literacy = v;
    } else if (k == "recall" && OneOf(v, kRecall)) {
      p.recall = v;
    } else if (k == "bias" && OneOf(v, kBiases)) {
      p.biases.push_back(v);
    } else if (k == "temperament") {
      return absl::InvalidArgumentError(absl::StrCat("unknown temperament '", v, "'; use ", Choices(kTemperaments)));
    } else if (k == "literacy") {
      return absl::InvalidArgumentError(absl::StrCat("unknown literacy '", v, "'; use ", Choices(kLiteracy)));
    } else if (k == "recall") {
      return absl::InvalidArgumentError(absl::StrCat("unknown recall '", v, "'; use ", Choices(kRecall)));
    } else if (k == "bias") {
      return absl::InvalidArgumentError(absl::StrCat("unknown bias '", v, "'; use ", Choices(kBiases)));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown persona key '", k,
                                                     "'; use temperament, literacy, recall, bias"));
    }
  }
  return p;
}

std::string RenderWithPersona(const Persona& p, uint64_t seed, bool first_answer,
                              absl::string_view answer) {
  if (p.plain()) return std::string(answer);
  std::string text(answer);
  for (const auto& [medical, lay] : kLayWords) {
    if (p.literacy == "lay") text = ReplaceWords(text, medical, lay);
    if (p.literacy == "medical") text = ReplaceWords(text, lay, medical);
  }
  if (p.recall == "poor") {
    text = Prefixed(Pick(seed, text, {"I think, ", "If I remember right, ", "I'm not certain, but "}), text);
  }
  if (p.temperament == "sanguine") {
    text = absl::StrCat(Prefixed(Pick(seed, text, {"Oh, sure! ", "Well, ", "Oh, let me tell you. "}), text),
                        Pick(seed, "s" + text, {"", " Sorry, I do go on!", " Anyway!"}));
  } else if (p.temperament == "choleric") {
    text = absl::StrCat(Prefixed(Pick(seed, text, {"Look, ", "As I said, ", ""}), text),
                        Pick(seed, "c" + text, {" Can we get on with it?", "", " I've been waiting for hours."}));
  } else if (p.temperament == "melancholic") {
    text = absl::StrCat(Prefixed(Pick(seed, text, {"I'm really worried, doctor. ", "Honestly... ", ""}), text),
                        Pick(seed, "m" + text, {" Is it something bad?", "", " I can't stop thinking about it."}));
  } else if (p.temperament == "phlegmatic") {
    text = Prefixed(Pick(seed, text, {"Mm. ", "", "Well. "}), text);
  }
  if (first_answer) {
    for (const auto& b : p.biases) {
      const char* line = nullptr;
      if (b == "recency") line = "A friend of mine was just in hospital with something serious, so it's been on my mind.";
      if (b == "frequency") line = "I keep reading about this kind of thing online.";
      if (b == "false_consensus") line = "Everyone I know gets this now and then; it's probably nothing.";
      if (b == "self_diagnosis") line = "I've looked it up and I'm fairly sure I know what it is.";
      if (line == nullptr) line = "To be honest, I'm not sure doctors usually listen to people like me.";
      absl::StrAppend(&text, " ", line);
    }
  }
  return text;
}

}  // namespace clinsim::agents
