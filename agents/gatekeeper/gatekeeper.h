// The gatekeeper reveals examination findings and test results only when they are explicitly
// requested. RuleGatekeeper answers from the case, and for anything the case does not list it
// answers with the catalog's normal findings or normal result, so that "not available" never
// tells the doctor what the case contains. Vague requests ("run some labs") are refused, and an
// unknown test gets the closest catalog names; neither costs anything.
//
//   RuleGatekeeper gk(the_case, TestCatalog::Default(), ExamCatalog::Default());
//   ExamReply e = gk.Examine("heart and lungs");
//   OrderReply o = gk.Order({"cbc", "troponin", "some labs"});   // two results, one refusal
#ifndef CLINSIM_AGENTS_GATEKEEPER_GATEKEEPER_H_
#define CLINSIM_AGENTS_GATEKEEPER_GATEKEEPER_H_

#include "absl/strings/string_view.h"
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cases/case.h"
#include "cases/catalog/exam_catalog.h"
#include "cases/catalog/test_catalog.h"
#include "noise/noise.h"

namespace clinsim::agents {

struct ExamResult {
  std::string system;    // exam system id
  std::string maneuver;  // empty unless the case names one
  std::string finding;
  bool abnormal = false;
  bool from_case = false;  // false: the system's normal findings
};

struct ExamReply {
  std::vector<ExamResult> results;
  std::vector<std::string> errors;  // one per request part that could not be resolved
  std::vector<noise::NoiseEvent> noise_events;
};

struct TestOutcome {
  std::string request;  // what the doctor wrote
  const cases::CatalogTest* test = nullptr;
  std::string how;      // exact | alias | code | fuzzy
  std::string result;
  bool abnormal = false;
  std::optional<double> value;
  std::string unit;
  std::string reference_range;
  bool from_case = false;
};

struct OrderReply {
  std::vector<TestOutcome> results;
  std::vector<std::string> errors;  // refused (vague) or unknown requests; these cost nothing
  std::vector<noise::NoiseEvent> noise_events;
};

class Gatekeeper {
 public:
  virtual ~Gatekeeper() = default;
  // `request` may name several systems ("heart, lungs and abdomen").
  virtual ExamReply Examine(absl::string_view request) = 0;
  virtual OrderReply Order(const std::vector<std::string>& requests) = 0;
  virtual std::unique_ptr<Gatekeeper> Clone() const = 0;
};

class RuleGatekeeper : public Gatekeeper {
 public:
  // `noise` (may be null: no noise) must outlive the gatekeeper.
  RuleGatekeeper(const cases::Case& c, const cases::TestCatalog& tests,
                 const cases::ExamCatalog& exams, const noise::NoiseEngine* noise = nullptr);
  ExamReply Examine(absl::string_view request) override;
  OrderReply Order(const std::vector<std::string>& requests) override;
  std::unique_ptr<Gatekeeper> Clone() const override { return std::make_unique<RuleGatekeeper>(*this); }

 private:
  const cases::Case* case_;
  const cases::TestCatalog* tests_;
  const cases::ExamCatalog* exams_;
  const noise::NoiseEngine* noise_;
  // The case's own tests (imported results with no catalog entry), as catalog-like entries with
  // ids "custom:TEST_ID", so orders resolve and are priced the same way.
  std::vector<cases::CatalogTest> custom_;
};

// Splits "a, b and c" / "a; b" / "a + b" into trimmed parts.
std::vector<std::string> SplitList(absl::string_view text);

}  // namespace clinsim::agents

#endif  // CLINSIM_AGENTS_GATEKEEPER_GATEKEEPER_H_
