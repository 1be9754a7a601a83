#include "agents/doctors/human_doctor.h"

#include "absl/strings/ascii.h"

namespace clinsim::agents {

void HumanDoctor::Show(const env::Observation& o) {
  for (const auto& m : o.messages) out_ << "[" << m.role << "] " << m.content << "\n";
  out_.flush();
}

bool HumanDoctor::ReadLine(std::string* line) {
  while (true) {
    out_ << "doctor> " << std::flush;
    if (!std::getline(in_, *line)) return false;
    if (!absl::StripAsciiWhitespace(*line).empty()) return true;
  }
}

env::Action HumanDoctor::Start(const env::Observation& initial, uint64_t seed) {
  return Act(initial);
}

env::Action HumanDoctor::Act(const env::Observation& observation) {
  Show(observation);
  std::string line;
  if (!ReadLine(&line)) return env::Action::Diagnose("(no diagnosis: input ended)");
  auto a = env::ParseTaggedAction(line);
  // `play` drives the episode with the raw text so parse errors reach the episode; this path is
  // for bench-style use, where an unparsable line is asked as a question.
  return a.ok() ? *a : env::Action::Ask(line);
}

}  // namespace clinsim::agents
