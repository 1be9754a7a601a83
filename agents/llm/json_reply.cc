#include "agents/llm/json_reply.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/text.h"

namespace clinsim::agents::llm {

std::string Quote(absl::string_view text, size_t n) {
  std::string s = SafeUtf8Prefix(text, n);
  s = absl::StrReplaceAll(s, {{"\n", "\\n"}});
  return absl::StrCat("\"", s, text.size() > n ? "...\"" : "\"");
}

absl::StatusOr<nlohmann::json> ExtractJsonObject(absl::string_view reply) {
  // Scan for each '{' and the '}' that balances it (outside strings); try to parse that span.
  for (size_t start = reply.find('{'); start != absl::string_view::npos;
       start = reply.find('{', start + 1)) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = start; i < reply.size(); ++i) {
      char c = reply[i];
      if (in_string) {
        if (escaped) escaped = false;
        else if (c == '\\') escaped = true;
        else if (c == '"') in_string = false;
        continue;
      }
      if (c == '"') in_string = true;
      else if (c == '{') ++depth;
      else if (c == '}' && --depth == 0) {
        nlohmann::json j = nlohmann::json::parse(reply.substr(start, i - start + 1), nullptr,
                                                 /*allow_exceptions=*/false);
        if (!j.is_discarded() && j.is_object()) return j;
        break;
      }
    }
  }
  return absl::DataLossError(absl::StrCat("the model's reply holds no JSON object: ", Quote(reply)));
}

}  // namespace clinsim::agents::llm
