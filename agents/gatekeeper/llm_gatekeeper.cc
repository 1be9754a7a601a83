#include "agents/gatekeeper/llm_gatekeeper.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agents/llm/json_reply.h"

namespace clinsim::agents {
namespace {

constexpr size_t kMaxResultBytes = 1500;

// The catalog as the model sees it: one name per line (a few microseconds; a model call takes
// a hundred milliseconds or more).
std::string CatalogListing(const cases::TestCatalog& catalog) {
  std::vector<std::string> names;
  names.reserve(catalog.tests().size());
  for (const auto& t : catalog.tests()) names.push_back(t.name);
  return absl::StrJoin(names, "\n");
}

}  // namespace

llm::ChatRequest TestMappingRequest(absl::string_view request, const cases::TestCatalog& catalog,
                                    const std::string& model, uint64_t seed) {
  llm::ChatRequest r;
  r.model = model;
  r.temperature = 0;
  r.max_tokens = 200;
  r.seed = seed;
  r.json_object = true;
  r.messages.push_back(
      {"system",
       absl::StrCat(
           "You are the gatekeeper of a hospital's test ordering system. A doctor typed a request "
           "for a diagnostic test. Map it to the test or tests from the CATALOG below that the "
           "doctor means, using the catalog's exact names. Refuse requests that are vague (\"some "
           "labs\", \"imaging\", \"everything\"), that are not a diagnostic test, or that ask for a "
           "report, a chart, a diagnosis or an answer. Reply with JSON only: {\"tests\": [names], "
           "\"refuse\": null} or {\"tests\": [], \"refuse\": \"short reason\"}.\nCATALOG:\n",
           CatalogListing(catalog))});
  r.messages.push_back({"user", absl::StrCat("Request: ", request)});
  return r;
}

absl::StatusOr<TestMapping> ParseTestMapping(absl::string_view reply, const cases::TestCatalog& catalog) {
  absl::StatusOr<nlohmann::json> j = llm::ExtractJsonObject(reply);
  if (!j.ok()) return j.status();
  TestMapping m;
  auto tests = j->find("tests");
  if (tests == j->end() || !tests->is_array()) {
    return absl::DataLossError(absl::StrCat("the gatekeeper model's reply has no \"tests\" list: ",
                                            llm::Quote(reply)));
  }
  for (const auto& t : *tests) {
    if (!t.is_string()) continue;
    cases::TestResolution res = catalog.Resolve(t.get<std::string>());
    // Only exact catalog names, ids, codes or aliases: a fuzzy match of the model's own words
    // could pick a test nobody asked for.
    if (res.kind == cases::TestResolution::kFound && res.how != "fuzzy") m.tests.push_back(res.test->name);
  }
  auto refuse = j->find("refuse");
  if (refuse != j->end() && refuse->is_string() && !refuse->get<std::string>().empty()) {
    m.refusal = refuse->get<std::string>();
    m.tests.clear();
  }
  if (m.tests.empty() && m.refusal.empty()) m.refusal = "no catalog test matches the request";
  return m;
}

llm::ChatRequest UnlistedResultRequest(const cases::Case& c, const cases::CatalogTest& test,
                                       absl::string_view normal_result, const std::string& model,
                                       uint64_t seed, int attempt) {
  std::vector<std::string> facts, results;
  for (const auto& f : c.facts) facts.push_back(absl::StrCat("- ", f.text));
  for (const auto& t : c.tests) {
    results.push_back(absl::StrCat("- ", t.catalog_id.empty() ? t.name : t.catalog_id, ": ", t.result));
  }
  llm::ChatRequest r;
  r.model = model;
  r.temperature = 0;
  r.max_tokens = 300;
  r.seed = seed + static_cast<uint64_t>(attempt);
  r.json_object = true;
  r.messages.push_back(
      {"system",
       absl::StrCat(
           "You write laboratory and imaging reports for a medical simulation. Write the result of "
           "the ordered test for the patient below, as the lab would report it: realistic, "
           "consistent with the patient's condition (normal unless the condition would plausibly "
           "change it), with values and units where the test has them. Never name or hint at a "
           "diagnosis or condition, never mention the CONDITION line, and write only the result. "
           "Reply with JSON only: {\"result\": \"...\", \"abnormal\": true|false}.",
           attempt > 0 ? " Your previous report named a condition: name none this time." : "")});
  r.messages.push_back(
      {"user",
       absl::StrCat("PATIENT: ", c.presentation.age, " ", c.presentation.sex, ", ",
                    c.presentation.chief_complaint, "\nFACTS:\n", absl::StrJoin(facts, "\n"),
                    "\nKNOWN RESULTS:\n", absl::StrJoin(results, "\n"),
                    "\nCONDITION (secret, for consistency only): ", c.diagnosis.name,
                    "\nORDERED TEST: ", test.name, "\nNORMAL RESULT FOR REFERENCE: ", normal_result)});
  return r;
}

absl::StatusOr<WrittenResult> ParseWrittenResult(absl::string_view reply, const AnswerGuard& guard) {
  absl::StatusOr<nlohmann::json> j = llm::ExtractJsonObject(reply);
  if (!j.ok()) return j.status();
  auto result = j->find("result");
  if (result == j->end() || !result->is_string() || result->get<std::string>().empty()) {
    return absl::DataLossError(absl::StrCat("the gatekeeper model's reply has no \"result\" text: ",
                                            llm::Quote(reply)));
  }
  WrittenResult w;
  w.result = result->get<std::string>();
  if (w.result.size() > kMaxResultBytes) {
    return absl::DataLossError(absl::StrCat("the gatekeeper model's result is ", w.result.size(),
                                            " bytes; at most ", kMaxResultBytes, " are accepted"));
  }
  auto abnormal = j->find("abnormal");
  w.abnormal = abnormal != j->end() && abnormal->is_boolean() && abnormal->get<bool>();
  if (guard.Leaks(w.result)) {
    return absl::FailedPreconditionError("the gatekeeper model's result names the diagnosis");
  }
  return w;
}

}  // namespace clinsim::agents
