#include "absl/strings/string_view.h"
#include "agents/patient/patient.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cases/case_loader.h"
#include "common/random.h"
#include "common/text.h"

namespace clinsim::agents {

RulePatient::RulePatient(std::shared_ptr<const FactIndex> index, uint64_t seed)
    : index_(std::move(index)), seed_(seed), secrets_(cases::SecretPhrases(index_->case_data())) {}

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
  for (const ClauseMatch& m : r.clauses) {
    switch (m.intent) {
      case ClauseMatch::kFacts:
      case ClauseMatch::kOpener: {
        if (m.intent == ClauseMatch::kOpener) {
          sentences.push_back(absl::StrCat(
              Pick("opener", {"I came in because of ", "I'm here because of ", "It's my "}),
              c.presentation.chief_complaint, "."));
        }
        for (int f : m.facts) {
          if (std::find(reply.revealed_facts.begin(), reply.revealed_facts.end(), f) !=
              reply.revealed_facts.end()) {
            continue;
          }
          reply.revealed_facts.push_back(f);
          sentences.push_back(c.facts[f].text);
        }
        if (!m.denied.empty()) {
          std::string list = JoinWords(m.denied, " or ");
          sentences.push_back(absl::StrCat(
              Pick(list, {"No, I haven't had any ", "No, I haven't noticed any ", "No, no "}), list,
              "."));
          reply.denied.insert(reply.denied.end(), m.denied.begin(), m.denied.end());
        }
        break;
      }
      case ClauseMatch::kDiagnosisRequest:
        sentences.push_back(
            "I really don't know what's causing it. That's what I was hoping you could tell me.");
        break;
      case ClauseMatch::kUnknown:
        sentences.push_back(
            Pick(absl::StrCat("unknown", sentences.size()),
                 {"I'm not sure about that.", "I'm not sure, sorry.", "Hmm, I'm not really sure."}));
        break;
    }
  }
  if (sentences.empty()) sentences.push_back("Sorry, could you ask me that another way?");
  // Last line of defence: no sentence that names the diagnosis is ever spoken.
  for (auto& s : sentences) {
    std::string norm = CollapseText(s);
    for (const auto& secret : secrets_) {
      if (ContainsPhrase(norm, secret)) {
        s = "I'd rather not guess what it is.";
        reply.leak_blocked = true;
        break;
      }
    }
  }
  // Repeated template sentences (two unknown clauses) are said once.
  std::vector<std::string> unique;
  for (auto& s : sentences) {
    if (std::find(unique.begin(), unique.end(), s) == unique.end()) unique.push_back(std::move(s));
  }
  reply.text = absl::StrJoin(unique, " ");
  return reply;
}

}  // namespace clinsim::agents
