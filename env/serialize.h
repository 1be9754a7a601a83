// JSON forms of scores, transcripts and observations, used by `bench --json`, `play` and tests.
// Keys are sorted and numbers printed the same way every run, so equal episodes give equal bytes.
//
//   nlohmann::json j = ScoreToJson(*episode->score());
#ifndef CLINSIM_ENV_SERIALIZE_H_
#define CLINSIM_ENV_SERIALIZE_H_

#include <vector>

#include "env/episode.h"
#include "nlohmann/json.hpp"

namespace clinsim::env {

nlohmann::json ScoreToJson(const Score& s);
// The inverse of ScoreToJson (for scores read back from a run store): ScoreToJson(ScoreFromJson(j))
// == j for any j ScoreToJson wrote. Missing fields take their defaults.
Score ScoreFromJson(const nlohmann::json& j);
nlohmann::json MessagesToJson(const std::vector<Message>& messages);
nlohmann::json ObservationToJson(const Observation& o);
nlohmann::json FindingsToJson(const std::vector<Finding>& findings);
nlohmann::json StepResultToJson(const StepResult& r);

}  // namespace clinsim::env

#endif  // CLINSIM_ENV_SERIALIZE_H_
