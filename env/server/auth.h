// Bearer-token access control for `clinsim serve --token-file`: a request must carry the metadata
// `authorization: Bearer TOKEN` with one of the file's tokens, or it gets UNAUTHENTICATED.
// Tokens are compared in constant time (against every token, whatever matches first), so response
// timing does not reveal how much of a guess was right.
//
//   auto auth = TokenAuth::FromFile("/etc/clinsim/tokens");   // one token per line, # comments
//   absl::Status s = auth->Check(authorization_header_value);
#ifndef CLINSIM_ENV_SERVER_AUTH_H_
#define CLINSIM_ENV_SERVER_AUTH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace clinsim::server {

class TokenAuth {
 public:
  // INVALID_ARGUMENT when the file cannot be read, has no token, or has a token shorter than 16
  // characters (too easy to guess).
  static absl::StatusOr<TokenAuth> FromFile(const std::string& path);
  static absl::StatusOr<TokenAuth> FromTokens(std::vector<std::string> tokens, absl::string_view origin);

  // `header` is the value of the authorization metadata ("Bearer TOKEN"); UNAUTHENTICATED if it is
  // missing, malformed or not one of the tokens. The message never echoes what was sent.
  absl::Status Check(absl::string_view header) const;
  size_t size() const { return tokens_.size(); }

 private:
  std::vector<std::string> tokens_;
};

// True when a and b are equal; the time taken depends only on their lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// The whole file, or INVALID_ARGUMENT naming the flag and the path.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path, absl::string_view flag);

}  // namespace clinsim::server

#endif  // CLINSIM_ENV_SERVER_AUTH_H_
