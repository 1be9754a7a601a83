// The LLM judge and the LLM rubric grader.
//
// Judge: SDBench's 5-point scale (5 the same diagnosis, 4 same disease in other words or a
// broader/narrower term that would lead to the same management, 3 closely related, 2 in the right
// area, 1 wrong); correct = score >= 4. Its reasoning is kept in the score.
// Grader: HealthBench's procedure, one rubric criterion at a time against the whole conversation,
// with the reply {"criteria_met": bool, "explanation": str}.
//
//   llm::ChatRequest j = JudgeRequest(c.diagnosis, "inferior MI", "", {}, model, seed);
//   absl::StatusOr<Verdict> v = ParseJudgeReply(reply);
//   llm::ChatRequest g = GraderRequest(item, transcript, model, seed);
//   absl::StatusOr<RubricGrade> met = ParseGraderReply(reply);
#ifndef CLINSIM_AGENTS_JUDGE_LLM_JUDGE_H_
#define CLINSIM_AGENTS_JUDGE_LLM_JUDGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agents/judge/judge.h"
#include "agents/llm/chat_client.h"
#include "cases/case.h"

namespace clinsim::agents {

llm::ChatRequest JudgeRequest(const cases::Diagnosis& truth, absl::string_view diagnosis,
                              absl::string_view icd10, const std::vector<std::string>& differential,
                              const std::string& model, uint64_t seed);
// DATA_LOSS when the reply has no score 1..5.
absl::StatusOr<Verdict> ParseJudgeReply(absl::string_view reply);

struct RubricGrade {
  bool met = false;
  std::string explanation;
};

llm::ChatRequest GraderRequest(const cases::RubricItem& item, absl::string_view transcript,
                               const std::string& model, uint64_t seed);
// DATA_LOSS when the reply has no boolean criteria_met.
absl::StatusOr<RubricGrade> ParseGraderReply(absl::string_view reply);

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_JUDGE_LLM_JUDGE_H_
