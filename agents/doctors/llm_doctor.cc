#include "agents/doctors/llm_doctor.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "common/random.h"

namespace clinsim::agents {
namespace {

constexpr int kMaxReprompts = 2;
constexpr char kOpenQuestion[] = "Can you tell me more about what has been happening?";

std::string ObservationText(const env::Observation& o) {
  std::vector<std::string> lines;
  for (const auto& m : o.messages) lines.push_back(absl::StrCat(m.role, ": ", m.content));
  return absl::StrJoin(lines, "\n");
}

}  // namespace

const char kLlmDoctorSystemPrompt[] =
    "You are a physician seeing a patient in a simulated clinic. Work out the diagnosis by asking "
    "the patient questions, examining them and ordering tests, then commit to one diagnosis.\n"
    "Every reply must end with exactly one action, on its own line, in one of these forms:\n"
    "ASK: <one or more questions for the patient>\n"
    "EXAMINE: <body system(s) to examine, e.g. cardiovascular, abdomen>\n"
    "ORDER: <test>, <test>, ...\n"
    "DIAGNOSIS: <your final diagnosis>\n"
    "After DIAGNOSIS you may add lines 'DIFFERENTIAL: <a>; <b>' and 'ICD10: <code>'.\n"
    "You may think briefly before the action line. Findings and results are given only when you "
    "ask for them. Costs count: each visit costs $300 and every test has a price, so order what "
    "you need, not everything. A diagnosis ends the consultation. You have at most {max_turns} "
    "turns.";

absl::StatusOr<env::Action> ParseDoctorReply(absl::string_view reply) {
  std::vector<absl::string_view> lines = absl::StrSplit(reply, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view line = absl::StripLeadingAsciiWhitespace(lines[i]);
    absl::ConsumePrefix(&line, "**");  // markdown bold around the tag
    for (absl::string_view tag : {"ASK:", "EXAMINE:", "ORDER:", "DIAGNOSIS:"}) {
      if (!absl::StartsWithIgnoreCase(line, tag)) continue;
      std::vector<absl::string_view> rest(lines.begin() + static_cast<long>(i) + 1, lines.end());
      std::string text = absl::StrCat(line, rest.empty() ? "" : "\n", absl::StrJoin(rest, "\n"));
      text = absl::StrReplaceAll(text, {{"**", ""}});
      return env::ParseTaggedAction(text);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("the reply has no action line. ", env::ActionGrammar()));
}

LlmDoctor::LlmDoctor(std::shared_ptr<llm::ChatClient> client, std::string model)
    : client_(std::move(client)), model_(std::move(model)) {}

absl::Status LlmDoctor::status() const {
  absl::MutexLock l(&mu_);
  return status_;
}

void LlmDoctor::StartAsync(const env::Observation& initial, uint64_t seed, ActionDone done) {
  seed_ = seed;
  turns_ = 0;
  recoveries_ = 0;
  messages_.clear();
  messages_.push_back({"system", absl::StrReplaceAll(kLlmDoctorSystemPrompt,
                                                     {{"{max_turns}", absl::StrCat(max_turns_)}})});
  Turn(initial, std::move(done));
}

void LlmDoctor::ActOnStepAsync(const env::StepResult& step, ActionDone done) {
  Turn(step.observation, std::move(done));
}

void LlmDoctor::Turn(const env::Observation& observation, ActionDone done) {
  ++turns_;
  std::string text = ObservationText(observation);
  if (turns_ >= max_turns_) {
    absl::StrAppend(&text, "\n\nThis is your last turn: reply with your DIAGNOSIS now.");
  }
  messages_.push_back({"user", std::move(text)});
  Ask(0, std::move(done));
}

void LlmDoctor::Ask(int attempt, ActionDone done) {
  llm::ChatRequest req;
  req.model = model_;
  req.temperature = 0;
  req.max_tokens = 600;
  req.seed = DeriveSeed(seed_, absl::StrCat("llm/doctor/", turns_, "/", attempt));
  req.messages = messages_;
  client_->Send(std::move(req), [this, attempt, done = std::move(done)](
                                    absl::StatusOr<llm::ChatResponse> r) mutable {
    if (!r.ok()) {
      {
        absl::MutexLock l(&mu_);
        status_ = absl::UnavailableError(
            absl::StrCat("the LLM doctor could not get a reply: ", r.status().message()));
      }
      return std::move(done)(env::Action::Ask(kOpenQuestion));
    }
    messages_.push_back({"assistant", r->content});
    absl::StatusOr<env::Action> a = ParseDoctorReply(r->content);
    if (a.ok()) return std::move(done)(*std::move(a));
    if (attempt < kMaxReprompts) {
      messages_.push_back({"user", absl::StrCat("Your reply could not be used: ", a.status().message(),
                                                " Reply again, ending with one action line.")});
      return Ask(attempt + 1, std::move(done));
    }
    ++recoveries_;
    std::move(done)(env::Action::Ask(kOpenQuestion));
  });
}

env::Action LlmDoctor::Start(const env::Observation& initial, uint64_t seed) {
  absl::Notification n;
  env::Action out;
  StartAsync(initial, seed, [&](env::Action a) {
    out = std::move(a);
    n.Notify();
  });
  n.WaitForNotification();
  return out;
}

env::Action LlmDoctor::Act(const env::Observation& observation) {
  absl::Notification n;
  env::Action out;
  Turn(observation, [&](env::Action a) {
    out = std::move(a);
    n.Notify();
  });
  n.WaitForNotification();
  return out;
}

}  // namespace clinsim::agents
