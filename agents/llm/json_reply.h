// Reading the JSON object a role asked a model for. Models wrap JSON in code fences or add a
// sentence around it, so the first balanced {...} in the reply is taken; anything else is an
// error that quotes the start of the reply, so a prompt or model problem is visible in the log.
//
//   absl::StatusOr<nlohmann::json> j = ExtractJsonObject(reply);   // DATA_LOSS when none parses
#ifndef CLINSIM_AGENTS_LLM_JSON_REPLY_H_
#define CLINSIM_AGENTS_LLM_JSON_REPLY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace clinsim::agents::llm {

absl::StatusOr<nlohmann::json> ExtractJsonObject(absl::string_view reply);

// The start of `text` for an error message (at most `n` bytes, valid UTF-8, newlines shown as \n).
std::string Quote(absl::string_view text, size_t n = 160);

}  // namespace clinsim::agents::llm

#endif  // CLINSIM_AGENTS_LLM_JSON_REPLY_H_
