#include "env/llm_step.h"

#include <map>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "agents/gatekeeper/llm_gatekeeper.h"
#include "agents/judge/llm_judge.h"
#include "agents/patient/llm_patient.h"
#include "common/random.h"

namespace clinsim::env {
namespace {

namespace llm = agents::llm;

// How a model call ended, for the phase that waits on it.
struct CallResult {
  absl::Status error;       // the client's failure (endpoint down, malformed reply, ...)
  std::string content;      // the reply, when `error` is OK
};

// One step in flight. Owned by the callbacks of its model calls (shared_ptr); every callback runs
// on the chat client's thread, and a phase moves on when its last call has answered.
class LlmStep : public std::enable_shared_from_this<LlmStep> {
 public:
  LlmStep(std::unique_ptr<Episode> ep, Action action, const LlmServices* llm, LlmStepDone done)
      : ep_(std::move(ep)), action_(std::move(action)), llm_(llm), done_(std::move(done)),
        guard_(ep_->case_data()) {}

  void Start() {
    const RoleOptions& roles = ep_->options().roles;
    if (roles.any_llm() && (llm_ == nullptr || llm_->client == nullptr)) {
      return Finish(absl::FailedPreconditionError(
          "the episode asks for an LLM role but no LLM endpoint is configured (--llm-base-url)"));
    }
    if (action_.kind == Action::kOrder && roles.gatekeeper == "llm") return MapTests();
    if (action_.kind == Action::kDiagnose && roles.judge == "llm") return FetchVerdict();
    Core();
  }

 private:
  uint64_t SeedFor(absl::string_view what, int index = 0) const {
    return DeriveSeed(ep_->seed(), absl::StrCat("llm/", what, "/", ep_->turns(), "/", index));
  }

  // Sends `requests` at once; `then` runs with their results (in order) after the last answers.
  void Fanout(std::vector<llm::ChatRequest> requests,
              absl::AnyInvocable<void(std::vector<CallResult>) &&> then) {
    struct Join {
      std::vector<CallResult> results;
      std::atomic<int> pending;
      absl::AnyInvocable<void(std::vector<CallResult>) &&> then;
    };
    if (requests.empty()) return std::move(then)({});
    auto join = std::make_shared<Join>();
    join->results.resize(requests.size());
    join->pending.store(static_cast<int>(requests.size()));
    join->then = std::move(then);
    auto self = shared_from_this();
    for (size_t i = 0; i < requests.size(); ++i) {
      llm_->client->Send(std::move(requests[i]), [self, join, i](absl::StatusOr<llm::ChatResponse> r) {
        if (r.ok()) join->results[i].content = std::move(r->content);
        else join->results[i].error = r.status();
        if (join->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          std::move(join->then)(std::move(join->results));
        }
      });
    }
  }

  // A model that could not be reached fails the step; the episode stays as it was.
  void FailUnavailable(absl::string_view role, const absl::Status& s) {
    Finish(absl::UnavailableError(absl::StrCat(
        "the LLM ", role, " could not answer (", absl::StatusCodeToString(s.code()), ": ", s.message(),
        "); the episode is unchanged and the same step can be sent again")));
  }

  // --- before the core step ---------------------------------------------------------------

  void MapTests() {
    const cases::TestCatalog& catalog = ep_->world().tests();
    std::vector<llm::ChatRequest> requests;
    for (size_t i = 0; i < action_.tests.size(); ++i) {
      const std::string& t = action_.tests[i];
      cases::TestResolution res = catalog.Resolve(t);
      if (res.kind != cases::TestResolution::kUnknown || CaseNamesTest(t)) continue;
      to_map_.push_back(i);
      requests.push_back(agents::TestMappingRequest(t, catalog, llm_->models.gatekeeper,
                                                    SeedFor("gatekeeper_map", static_cast<int>(i))));
    }
    Fanout(std::move(requests), [this](std::vector<CallResult> results) {
      std::vector<std::vector<std::string>> replacement(action_.tests.size());
      for (size_t k = 0; k < results.size(); ++k) {
        if (!results[k].error.ok()) return FailUnavailable("gatekeeper", results[k].error);
        absl::StatusOr<agents::TestMapping> m =
            agents::ParseTestMapping(results[k].content, ep_->world().tests());
        // A refusal or an unusable reply leaves the request to the rule gatekeeper, which
        // refuses it with the closest catalog names.
        if (m.ok() && m->refusal.empty()) replacement[to_map_[k]] = m->tests;
      }
      std::vector<std::string> tests;
      for (size_t i = 0; i < action_.tests.size(); ++i) {
        if (replacement[i].empty()) tests.push_back(action_.tests[i]);
        else tests.insert(tests.end(), replacement[i].begin(), replacement[i].end());
      }
      if (tests.size() > kMaxTestsPerOrder) tests.resize(kMaxTestsPerOrder);
      action_.tests = std::move(tests);
      Core();
    });
  }

  bool CaseNamesTest(absl::string_view request) const {
    for (const auto& t : ep_->case_data().tests) {
      if (!t.name.empty() && absl::EqualsIgnoreCase(t.name, request)) return true;
    }
    return false;
  }

  void FetchVerdict(int attempt = 0) {
    const cases::Case& c = ep_->case_data();
    std::vector<llm::ChatRequest> req;
    req.push_back(agents::JudgeRequest(c.diagnosis, action_.diagnosis, action_.icd10,
                                       action_.differential, llm_->models.judge,
                                       SeedFor("judge") + static_cast<uint64_t>(attempt)));
    Fanout(std::move(req), [this, attempt](std::vector<CallResult> results) {
      if (!results[0].error.ok()) return FailUnavailable("judge", results[0].error);
      absl::StatusOr<agents::Verdict> v = agents::ParseJudgeReply(results[0].content);
      if (!v.ok()) {
        if (attempt == 0) return FetchVerdict(1);
        return FailUnavailable("judge", v.status());
      }
      ep_->SetJudgeVerdict(*std::move(v));
      Core();
    });
  }

  // --- the rule-based step ------------------------------------------------------------------

  void Core() {
    absl::StatusOr<StepResult> r = ep_->Step(action_);
    if (!r.ok()) return Finish(r.status());
    result_ = *std::move(r);
    const RoleOptions& roles = ep_->options().roles;
    if (action_.kind == Action::kAsk && roles.patient == "llm" && result_.info.action_kind == "ask") {
      return Voice(0);
    }
    if (action_.kind == Action::kOrder && roles.gatekeeper == "llm") return WriteResults(0);
    Grade();
  }

  // --- after the core step ------------------------------------------------------------------

  void Voice(int attempt) {
    const auto& messages = result_.observation.messages;
    if (messages.empty() || messages[0].role != "patient") return Grade();
    agents::VoiceInput in;
    in.question = action_.question;
    in.rule_answer = messages[0].content;
    in.persona = ep_->persona();
    in.age = ep_->case_data().presentation.age;
    in.sex = ep_->case_data().presentation.sex;
    std::vector<llm::ChatRequest> req;
    req.push_back(agents::PatientVoiceRequest(in, llm_->models.patient, SeedFor("patient"), attempt));
    Fanout(std::move(req), [this, attempt, rule = in.rule_answer](std::vector<CallResult> results) {
      if (!results[0].error.ok()) return FailUnavailable("patient", results[0].error);
      absl::StatusOr<std::string> text = agents::CheckVoicedReply(results[0].content, rule, guard_);
      if (!text.ok()) {
        if (absl::IsFailedPrecondition(text.status())) llm_->leaks_blocked.fetch_add(1);
        if (attempt == 0) return Voice(1);
        llm_->fallbacks.fetch_add(1);  // the rule answer stands
        return Grade();
      }
      ep_->ReviseMessage(&result_, 0, *std::move(text));
      Grade();
    });
  }

  void WriteResults(int attempt) {
    const auto& findings = result_.observation.findings;
    std::vector<size_t> which;
    std::vector<llm::ChatRequest> requests;
    for (size_t i = 0; i < findings.size(); ++i) {
      const Finding& f = findings[i];
      if (f.kind != "test" || f.from_case) continue;
      if (attempt > 0 && !retry_.contains(i)) continue;
      const cases::CatalogTest* test = ep_->world().tests().FindById(f.catalog_id);
      if (test == nullptr) continue;
      which.push_back(i);
      requests.push_back(agents::UnlistedResultRequest(ep_->case_data(), *test, f.result,
                                                       llm_->models.gatekeeper,
                                                       SeedFor("gatekeeper_result", static_cast<int>(i)),
                                                       attempt));
    }
    retry_.clear();
    Fanout(std::move(requests), [this, attempt, which](std::vector<CallResult> results) {
      for (size_t k = 0; k < results.size(); ++k) {
        if (!results[k].error.ok()) return FailUnavailable("gatekeeper", results[k].error);
        absl::StatusOr<agents::WrittenResult> w = agents::ParseWrittenResult(results[k].content, guard_);
        if (!w.ok()) {
          if (absl::IsFailedPrecondition(w.status())) llm_->leaks_blocked.fetch_add(1);
          if (attempt == 0) retry_.insert(which[k]);
          else llm_->fallbacks.fetch_add(1);  // the catalog's normal result stands
          continue;
        }
        ep_->ReviseTestResult(&result_, which[k], std::move(w->result), w->abnormal);
      }
      if (!retry_.empty()) return WriteResults(1);
      Grade();
    });
  }

  void Grade(int attempt = 0) {
    if (!ep_->done() || ep_->options().roles.grader != "llm") return Finish(absl::OkStatus());
    std::map<std::string, const cases::RubricItem*> items;
    for (const auto& item : ep_->rubric()) items[item.id] = &item;
    std::vector<std::string> lines;
    for (const auto& m : ep_->transcript()) lines.push_back(absl::StrCat(m.role, ": ", m.content));
    const std::string transcript = absl::StrJoin(lines, "\n");
    std::vector<std::string> ids;
    std::vector<llm::ChatRequest> requests;
    for (const auto& g : ep_->score()->rubric.items) {
      if (g.status != rubrics::ItemStatus::kUngraded || grades_.contains(g.id)) continue;
      auto it = items.find(g.id);
      if (it == items.end()) continue;
      ids.push_back(g.id);
      requests.push_back(agents::GraderRequest(*it->second, transcript, llm_->models.grader,
                                               SeedFor(absl::StrCat("grader/", g.id)) + attempt));
    }
    if (requests.empty()) return FinishGrades();
    Fanout(std::move(requests), [this, ids, attempt](std::vector<CallResult> results) {
      bool unusable = false;
      absl::Status last;
      for (size_t k = 0; k < results.size(); ++k) {
        if (!results[k].error.ok()) return FailUnavailable("rubric grader", results[k].error);
        absl::StatusOr<agents::RubricGrade> g = agents::ParseGraderReply(results[k].content);
        if (!g.ok()) {
          unusable = true;
          last = g.status();
          continue;
        }
        grades_[ids[k]] = FreeTextGrade{g->met, absl::StrCat("llm grader: ", g->explanation)};
      }
      if (unusable) {
        if (attempt == 0) return Grade(1);  // asks again only for the items still ungraded
        return FailUnavailable("rubric grader", last);
      }
      FinishGrades();
    });
  }

  void FinishGrades() {
    ep_->ApplyFreeTextGrades(grades_, &result_);
    Finish(absl::OkStatus());
  }

  void Finish(absl::Status s) {
    LlmStepDone done = std::move(done_);
    if (!s.ok()) return std::move(done)(std::move(s), nullptr);
    std::move(done)(std::move(result_), std::move(ep_));
  }

  std::unique_ptr<Episode> ep_;
  Action action_;
  // Not owned: the caller keeps the services until `done` has run. Owning a reference here could
  // make the client's own thread drop the last one, and a client cannot join itself.
  const LlmServices* llm_;
  LlmStepDone done_;
  agents::AnswerGuard guard_;
  StepResult result_;
  std::vector<size_t> to_map_;                  // indexes of action_.tests sent to the model
  absl::flat_hash_set<size_t> retry_;           // findings whose written result was rejected
  std::map<std::string, FreeTextGrade> grades_;
};

}  // namespace

void StepWithLlm(std::unique_ptr<Episode> episode, Action action,
                 std::shared_ptr<const LlmServices> llm, LlmStepDone done) {
  auto step = std::make_shared<LlmStep>(std::move(episode), std::move(action), llm.get(),
                                        std::move(done));
  step->Start();
}

}  // namespace clinsim::env
