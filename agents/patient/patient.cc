#include "agents/patient/patient.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cases/case_loader.h"
#include "common/random.h"
#include "common/text.h"

namespace clinsim::agents {

RulePatient::RulePatient(std::shared_ptr<const FactIndex> index, uint64_t seed,
                         const noise::NoiseEngine* noise, Persona persona)
    : index_(std::move(index)), seed_(seed), noise_(noise), persona_(std::move(persona)) {}

bool RulePatient::NamesDiagnosis(absl::string_view sentence) const {
  return index_->secrets().Find(sentence);
}

// Wording variants are a pure function of (seed, what is being said), so the same question gets
// the same words whenever it is asked.
std::string RulePatient::Pick(absl::string_view target,
                              std::initializer_list<absl::string_view> options) const {
  uint64_t h = Mix(seed_ ^ StableHash(target));
  return std::string(*(options.begin() + h % options.size()));
}

PatientReply RulePatient::Answer(absl::string_view question) {
  const cases::Case& c = index_->case_data();
  Retrieval r = index_->Retrieve(question);
  PatientReply reply;
  std::vector<std::string> sentences;
  std::vector<int> sentence_fact;  // the fact a sentence voices, or -1
  auto say = [&](std::string s, int fact) {
    sentences.push_back(std::move(s));
    sentence_fact.push_back(fact);
  };
  for (const ClauseMatch& m : r.clauses) {
    switch (m.intent) {
      case ClauseMatch::kFacts:
      case ClauseMatch::kOpener: {
        if (m.intent == ClauseMatch::kOpener) {
          say(absl::StrCat(
                  Pick("opener", {"I came in because of ", "I'm here because of ", "It's my "}),
                  c.presentation.chief_complaint, "."),
              -1);
        }
        bool said = false;
        for (int f : m.facts) {
          if (std::find(reply.revealed_facts.begin(), reply.revealed_facts.end(), f) !=
              reply.revealed_facts.end()) {
            continue;
          }
          if (noise_ == nullptr) {
            reply.revealed_facts.push_back(f);
            say(c.facts[f].text, f);
            said = true;
            continue;
          }
          const size_t events_before = reply.noise_events.size();
          std::string text = noise_->ApplyPatient(c.facts[f].id, c.facts[f].text,
                                                  c.presentation.chief_complaint, &reply.noise_events);
          if (text.empty()) continue;  // omitted: the fact stays unrevealed
          reply.revealed_facts.push_back(f);
          // A noised sentence is new text (a lay self-diagnosis may happen to be the answer:
          // "it's probably my asthma acting up"). One that names the diagnosis is said as the
          // case wrote it: replacing it with the guard sentence would tell the doctor the answer
          // was in it.
          if (text != c.facts[f].text && NamesDiagnosis(text)) {
            text = c.facts[f].text;
            // The noise did not happen after all.
            reply.noise_events.erase(reply.noise_events.begin() + events_before,
                                     reply.noise_events.end());
          }
          int voiced_fact = text == c.facts[f].text ? f : -1;
          say(std::move(text), voiced_fact);
          said = true;
        }
        // A symptom whose name is the diagnosis ("panic attacks" in a panic disorder case) is
        // neither denied (the patient has it) nor guarded (the guard sentence would confirm the
        // doctor's guess): the clause is answered as if it had not named it.
        std::vector<std::string> denied;
        for (const std::string& s : m.denied) {
          if (!NamesDiagnosis(s)) denied.push_back(s);
        }
        if (!said && denied.empty() && m.intent == ClauseMatch::kFacts) {
          if (m.denied.empty()) {
            say(Pick("omitted", {"I'm not sure.", "I don't really remember.", "Hmm, hard to say."}), -1);
          } else {
            say(Pick(absl::StrCat("unknown", sentences.size()),
                     {"I'm not sure about that.", "I'm not sure, sorry.", "Hmm, I'm not really sure."}),
                -1);
          }
        }
        if (!denied.empty()) {
          std::string list = JoinWords(denied, " or ");
          say(absl::StrCat(Pick(list, {"No, I haven't had any ", "No, I haven't noticed any ", "No, no "}),
                           list, "."),
              -1);
          reply.denied.insert(reply.denied.end(), denied.begin(), denied.end());
        }
        break;
      }
      case ClauseMatch::kDiagnosisRequest:
        say("I really don't know what's causing it. That's what I was hoping you could tell me.", -1);
        break;
      case ClauseMatch::kUnknown:
        say(Pick(absl::StrCat("unknown", sentences.size()),
                 {"I'm not sure about that.", "I'm not sure, sorry.", "Hmm, I'm not really sure."}),
            -1);
        break;
    }
  }
  if (sentences.empty()) say("Sorry, could you ask me that another way?", -1);
  // Last line of defence: no sentence that names the diagnosis is ever spoken. Fact sentences
  // were checked once by the index; the rest (denials built from the lexicon) are checked here.
  for (size_t i = 0; i < sentences.size(); ++i) {
    bool leaks = sentence_fact[i] >= 0 ? index_->FactNamesDiagnosis(sentence_fact[i])
                                       : NamesDiagnosis(sentences[i]);
    if (leaks) {
      sentences[i] = "I'd rather not guess what it is.";
      reply.leak_blocked = true;
    }
  }
  // Repeated template sentences (two unknown clauses) are said once.
  std::vector<std::string> unique;
  for (auto& s : sentences) {
    if (std::find(unique.begin(), unique.end(), s) == unique.end()) unique.push_back(std::move(s));
  }
  reply.text = absl::StrJoin(unique, " ");
  if (!persona_.plain()) {
    // The persona changes how it is said; a rendering that would name the answer is not used.
    std::string voiced = RenderWithPersona(persona_, seed_, answers_ == 0, reply.text);
    if (!NamesDiagnosis(voiced)) reply.text = std::move(voiced);
  }
  ++answers_;
  return reply;
}

}  // namespace clinsim::agents
