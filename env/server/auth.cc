#include "env/server/auth.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace clinsim::server {

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Compare over the longer length so that a short guess costs as much as a long one.
  const size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path, absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read '", path, "'"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<TokenAuth> TokenAuth::FromTokens(std::vector<std::string> tokens, absl::string_view origin) {
  TokenAuth auth;
  for (auto& t : tokens) {
    if (t.size() < 16) {
      return absl::InvalidArgumentError(absl::StrCat(
          origin, ": a token is ", t.size(),
          " characters; use at least 16 random characters (e.g. `openssl rand -hex 32`)"));
    }
    auth.tokens_.push_back(std::move(t));
  }
  if (auth.tokens_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": no token found (one token per line)"));
  }
  return auth;
}

absl::StatusOr<TokenAuth> TokenAuth::FromFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSecretFile(path, "token-file");
  if (!text.ok()) return text.status();
  std::vector<std::string> tokens;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    tokens.emplace_back(line);
  }
  return FromTokens(std::move(tokens), absl::StrCat("--token-file ", path));
}

absl::Status TokenAuth::Check(absl::string_view header) const {
  constexpr absl::string_view kBearer = "Bearer ";
  if (header.empty()) {
    return absl::UnauthenticatedError(
        "this server requires a token: send the metadata 'authorization: Bearer TOKEN'");
  }
  if (!absl::StartsWithIgnoreCase(header, kBearer)) {
    return absl::UnauthenticatedError("the authorization metadata must be 'Bearer TOKEN'");
  }
  absl::string_view token = absl::StripAsciiWhitespace(header.substr(kBearer.size()));
  bool ok = false;
  for (const auto& t : tokens_) ok |= ConstantTimeEquals(token, t);  // no early exit
  if (!ok) return absl::UnauthenticatedError("the bearer token is not valid for this server");
  return absl::OkStatus();
}

}  // namespace clinsim::server
