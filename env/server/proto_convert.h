// Conversions between the core's types (env::Action, env::StepResult, env::Score...) and the
// clinsim.v1 proto messages, shared by the Environment service and the remote Doctor adapter.
//
//   v1::StepResponse resp;  ToProto(step_result, &resp);
//   absl::StatusOr<env::Action> a = ActionFromProto(request.action());  // text is parsed here
#ifndef CLINSIM_ENV_SERVER_PROTO_CONVERT_H_
#define CLINSIM_ENV_SERVER_PROTO_CONVERT_H_

#include "absl/status/statusor.h"
#include "clinsim/v1/environment.pb.h"
#include "env/episode.h"

namespace clinsim::server {

namespace v1 = ::clinsim::v1;

void ToProto(const env::Observation& o, v1::Observation* out);
void ToProto(const env::Finding& f, v1::Finding* out);
void ToProto(const env::StepInfo& info, v1::StepInfo* out);
void ToProto(const env::RewardBreakdown& r, v1::RewardBreakdown* out);
void ToProto(const env::StepResult& r, v1::StepResponse* out);
void ToProto(const env::Score& s, v1::Score* out);
void ToProto(const env::Action& a, v1::Action* out);
void ToProto(const env::EpisodeOptions& o, v1::EpisodeOptions* out);  // every field set

env::Observation FromProto(const v1::Observation& o);
env::StepInfo FromProto(const v1::StepInfo& info);

// INVALID_ARGUMENT when no action is set, a field is oversized or not UTF-8, or the text form
// does not parse (the message shows the grammar). Text is parsed with env::ParseTaggedAction.
absl::StatusOr<env::Action> ActionFromProto(const v1::Action& a);
// The structured action as sent, without validation (for invalid_action_as_turn: the episode
// itself turns it into an invalid turn). Not for text or an empty Action.
env::Action UncheckedActionFromProto(const v1::Action& a);

// Unset fields keep the defaults of env::EpisodeOptions (those of `clinsim bench`).
// INVALID_ARGUMENT names the bad field (range, unknown noise profile or persona).
absl::StatusOr<env::EpisodeOptions> OptionsFromProto(const v1::EpisodeOptions& o);

}  // namespace clinsim::server

#endif  // CLINSIM_ENV_SERVER_PROTO_CONVERT_H_
