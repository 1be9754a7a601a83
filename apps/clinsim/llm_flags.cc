#include "apps/clinsim/llm_flags.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agents/doctors/doctor.h"
#include "agents/doctors/llm_doctor.h"
#include "agents/llm/chat_client.h"
#include "agents/llm/response_cache.h"

namespace clinsim::apps {

std::string DefaultLlmCachePath() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg != '\0') return absl::StrCat(xdg, "/clinsim/llm-cache.sqlite");
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr && *home != '\0' ? home : ".", "/.cache/clinsim/llm-cache.sqlite");
}

void AddLlmFlags(FlagSet* f, const std::string& cache_default) {
  f->Add("llm-base-url", "",
         "OpenAI-compatible endpoint for the model roles, e.g. http://127.0.0.1:8000/v1 (vLLM), "
         "http://127.0.0.1:8080/v1 (llama.cpp server), http://127.0.0.1:11434/v1 (Ollama)");
  f->Add("llm-model", "", "model name sent with every request (a role's own --ROLE-model wins)");
  f->Add("llm-api-key-env", "OPENAI_API_KEY",
         "environment variable holding the API key (sent as a bearer token; never logged)");
  f->Add("llm-cache", cache_default,
         "SQLite file caching model replies by request, so a seeded run replays exactly and costs "
         "nothing the second time; 'none' turns it off");
  f->Add("llm-timeout", "60", "seconds per model request attempt");
  f->Add("llm-retries", "4", "retries of a request after 429, 5xx, timeouts and dropped connections");
  f->Add("llm-concurrency", "256", "model requests on the wire at once");
  f->Add("patient", "rule", "who voices the patient: rule, or llm (voices the facts the rule patient selected)");
  f->Add("gatekeeper", "rule", "gatekeeper: rule, or llm (maps free-text orders; writes results of unlisted tests)");
  f->Add("judge", "rule", "diagnosis judge: rule, or llm (5-point scale, reasoning kept in the score)");
  f->Add("grader", "none", "grader of free-text rubric items: none (they stay ungraded), or llm");
  for (const char* role : {"patient", "gatekeeper", "judge", "grader", "doctor"}) {
    f->Add(absl::StrCat(role, "-model"), "", absl::StrCat("model for the ", role, " (default: --llm-model)"));
  }
}

absl::StatusOr<LlmSetup> ReadLlmFlags(const FlagSet& f, bool doctor_is_llm, bool connect_when_given) {
  LlmSetup out;
  out.roles.patient = f.Get("patient");
  out.roles.gatekeeper = f.Get("gatekeeper");
  out.roles.judge = f.Get("judge");
  out.roles.grader = f.Get("grader");
  for (const auto& [flag, value] : {std::pair{"patient", out.roles.patient}, {"gatekeeper", out.roles.gatekeeper},
                                    {"judge", out.roles.judge}}) {
    if (value != "rule" && value != "llm") {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be rule or llm, got '", value, "'"));
    }
  }
  if (out.roles.grader != "none" && out.roles.grader != "llm") {
    return absl::InvalidArgumentError(absl::StrCat("--grader must be none or llm, got '", out.roles.grader, "'"));
  }
  if (!out.roles.any_llm() && !doctor_is_llm &&
      !(connect_when_given && !f.Get("llm-base-url").empty())) {
    return out;
  }

  const std::string base_url = f.Get("llm-base-url");
  if (base_url.empty()) {
    return absl::InvalidArgumentError(
        "a model plays a role (--doctor/--patient/--gatekeeper/--judge/--grader llm) but "
        "--llm-base-url is not set; give the endpoint, e.g. --llm-base-url http://127.0.0.1:8000/v1");
  }
  agents::llm::ChatClientOptions o;
  o.base_url = base_url;
  o.model = f.Get("llm-model");
  o.api_key_env = f.Get("llm-api-key-env");
  long long retries = 0, concurrency = 0;
  if (auto s = f.GetDouble("llm-timeout", 0.001, 3600, &o.timeout_s); !s.ok()) return s;
  if (auto s = f.GetInt("llm-retries", 0, 20, &retries); !s.ok()) return s;
  if (auto s = f.GetInt("llm-concurrency", 1, 4096, &concurrency); !s.ok()) return s;
  o.max_retries = static_cast<int>(retries);
  o.max_concurrency = static_cast<int>(concurrency);
  const std::string cache = f.Get("llm-cache");
  if (!cache.empty() && cache != "none") {
    auto c = agents::llm::ResponseCache::Open(cache);
    if (!c.ok()) {
      return absl::Status(c.status().code(), absl::StrCat("--llm-cache: ", c.status().message(),
                                                          " (use --llm-cache none to run without one)"));
    }
    o.cache = *std::move(c);
  }
  auto client = agents::llm::ChatClient::Create(o);
  if (!client.ok()) return client.status();
  auto services = std::make_shared<env::LlmServices>();
  services->client = std::shared_ptr<agents::llm::ChatClient>(std::move(*client));
  auto model_for = [&](const char* role) {
    std::string m = f.Get(absl::StrCat(role, "-model"));
    return m.empty() ? o.model : m;
  };
  services->models = {model_for("patient"), model_for("gatekeeper"), model_for("judge"), model_for("grader")};
  out.services = services;
  out.config = {{"base_url", base_url},
                {"model", o.model},
                {"models",
                 {{"patient", services->models.patient}, {"gatekeeper", services->models.gatekeeper},
                  {"judge", services->models.judge}, {"grader", services->models.grader},
                  {"doctor", model_for("doctor")}}}};
  if (doctor_is_llm) {
    std::shared_ptr<agents::llm::ChatClient> c = services->client;
    std::string model = model_for("doctor");
    agents::RegisterDoctor("llm", [c, model] { return std::make_unique<agents::LlmDoctor>(c, model); });
  }
  return out;
}

std::string FormatLlmStats(const env::LlmServices& llm) {
  agents::llm::ChatClientStats s = llm.client->stats();
  return absl::StrCat("llm: ", s.requests, " requests, ", s.cache_hits, " from the cache, ",
                      s.http_attempts, " HTTP attempts (", s.retries, " retries), ", s.failures,
                      " failed; tokens ", s.prompt_tokens, " in / ", s.completion_tokens,
                      " out; replies naming the answer rejected ", llm.leaks_blocked.load(),
                      ", rule text kept ", llm.fallbacks.load(), "\n");
}

}  // namespace clinsim::apps
