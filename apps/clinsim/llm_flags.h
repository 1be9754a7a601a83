// The flags that connect `bench` and `serve` to an OpenAI-compatible endpoint and choose which
// roles a model plays (docs/llm.md):
//   --llm-base-url URL  --llm-model NAME  --llm-api-key-env VAR  --llm-cache PATH|none
//   --llm-timeout S  --llm-retries N  --llm-concurrency N
//   --patient rule|llm  --gatekeeper rule|llm  --judge rule|llm  --grader none|llm
//   --patient-model / --gatekeeper-model / --judge-model / --grader-model / --doctor-model NAME
// Nothing touches the network unless a role or the doctor is "llm".
//
//   AddLlmFlags(&f, /*cache_default=*/DefaultLlmCachePath());
//   absl::StatusOr<LlmSetup> llm = ReadLlmFlags(f, /*doctor_is_llm=*/f.Get("doctor") == "llm");
#ifndef CLINSIM_APPS_CLINSIM_LLM_FLAGS_H_
#define CLINSIM_APPS_CLINSIM_LLM_FLAGS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "apps/clinsim/flags.h"
#include "env/episode.h"
#include "env/llm_step.h"
#include "nlohmann/json.hpp"

namespace clinsim::apps {

// $XDG_CACHE_HOME/clinsim/llm-cache.sqlite, else ~/.cache/clinsim/llm-cache.sqlite.
std::string DefaultLlmCachePath();
void AddLlmFlags(FlagSet* f, const std::string& cache_default);

struct LlmSetup {
  env::RoleOptions roles;
  std::shared_ptr<env::LlmServices> services;  // null when no model is used
  nlohmann::json config;                       // endpoint and models (never the key), for run stores
};

// INVALID_ARGUMENT naming the flag for a bad value, or a model role without --llm-base-url.
// With `doctor_is_llm`, registers the doctor "llm" on the same client. With
// `connect_when_given` (serve: clients may ask for model roles per episode), a client is made
// whenever --llm-base-url is set, even if every default role is rule-based.
absl::StatusOr<LlmSetup> ReadLlmFlags(const FlagSet& f, bool doctor_is_llm,
                                      bool connect_when_given = false);

// One line of model traffic: requests, cache hits, retries, failures, tokens, leaks blocked.
std::string FormatLlmStats(const env::LlmServices& llm);

}  // namespace clinsim::apps

#endif  // CLINSIM_APPS_CLINSIM_LLM_FLAGS_H_
