// The LLM gatekeeper (after SDBench's): a model maps a free-text test request that the catalog
// cannot resolve to catalog tests (or refuses it as vague), and writes a realistic result,
// consistent with the case, for a test the case does not list. Everything the case lists is still
// answered by the rule gatekeeper, word for word, so the model can only add, never contradict.
//
//   llm::ChatRequest m = TestMappingRequest("something for the thyroid", catalog, model, seed);
//   absl::StatusOr<TestMapping> t = ParseTestMapping(reply, catalog);   // {"TSH"} or a refusal
//   llm::ChatRequest w = UnlistedResultRequest(c, test, normal, model, seed);
//   absl::StatusOr<WrittenResult> r = ParseWrittenResult(reply, guard);
#ifndef CLINSIM_AGENTS_GATEKEEPER_LLM_GATEKEEPER_H_
#define CLINSIM_AGENTS_GATEKEEPER_LLM_GATEKEEPER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agents/llm/chat_client.h"
#include "agents/patient/llm_patient.h"
#include "cases/case.h"
#include "cases/catalog/test_catalog.h"

namespace clinsim::agents {

struct TestMapping {
  std::vector<std::string> tests;  // catalog names, each resolvable by the catalog
  std::string refusal;             // why the request was refused (vague, not a test); else empty
};

llm::ChatRequest TestMappingRequest(absl::string_view request, const cases::TestCatalog& catalog,
                                    const std::string& model, uint64_t seed);
// DATA_LOSS when the reply is not the JSON asked for; names the model gave that the catalog does
// not know are dropped (a mapping left with no test and no refusal is a refusal).
absl::StatusOr<TestMapping> ParseTestMapping(absl::string_view reply, const cases::TestCatalog& catalog);

struct WrittenResult {
  std::string result;
  bool abnormal = false;
};

// The model sees the presentation, the facts, the results the case lists and the diagnosis (to
// stay consistent with it) and is told never to name it; `normal_result` is the catalog's.
llm::ChatRequest UnlistedResultRequest(const cases::Case& c, const cases::CatalogTest& test,
                                       absl::string_view normal_result, const std::string& model,
                                       uint64_t seed, int attempt);
// FAILED_PRECONDITION when the result names the answer; DATA_LOSS when it is not the JSON asked.
absl::StatusOr<WrittenResult> ParseWrittenResult(absl::string_view reply, const AnswerGuard& guard);

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_GATEKEEPER_LLM_GATEKEEPER_H_
