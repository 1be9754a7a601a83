#include "env/server/auth.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "clients/cpp/env_client.h"
#include "env/server/server.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/fixtures.h"
#include "testing/status_matchers.h"

namespace clinsim::server {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

const std::string kToken = "0123456789abcdef0123456789abcdef";

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(TokenAuth, ReadsTokensSkippingCommentsAndRefusesWeakOnes) {
  std::string path = ::testing::TempDir() + "/tokens";
  std::ofstream(path) << "# agents\n\n  " << kToken << "  \nfedcba9876543210fedcba9876543210\n";
  ASSERT_OK_AND_ASSIGN(TokenAuth auth, TokenAuth::FromFile(path));
  EXPECT_EQ(auth.size(), 2u);
  EXPECT_OK(auth.Check("Bearer " + kToken));
  EXPECT_OK(auth.Check("bearer fedcba9876543210fedcba9876543210"));
  EXPECT_THAT(auth.Check(""), StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("authorization: Bearer")));
  EXPECT_THAT(auth.Check(kToken), StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("must be 'Bearer")));
  EXPECT_THAT(auth.Check("Bearer " + kToken + "x"),
              StatusIs(absl::StatusCode::kUnauthenticated, ::testing::Not(HasSubstr(kToken))));
  std::ofstream(path) << "short\n";
  EXPECT_THAT(TokenAuth::FromFile(path).status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("16")));
  std::ofstream(path) << "# nothing\n";
  EXPECT_THAT(TokenAuth::FromFile(path).status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no token")));
  EXPECT_THAT(TokenAuth::FromFile("/no/such/file").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot read")));
}

std::unique_ptr<Server> StartWith(ServerOptions o) {
  o.address = "127.0.0.1:0";
  auto s = Server::Start(testing::BundledWorld(), std::move(o));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

TEST(ServerAuth, EveryEnvironmentCallNeedsAValidToken) {
  ServerOptions o;
  o.auth = TokenAuth::FromTokens({kToken}, "test").value();
  auto server = StartWith(std::move(o));
  const std::string target = absl::StrCat("127.0.0.1:", server->port());
  auto anonymous = client::EnvClient::Connect(target);
  EXPECT_THAT(anonymous->GetSpec().status(), StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("requires a token")));
  EXPECT_THAT(anonymous->Reset("cardiology_inferior_stemi", 1).status(),
              StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
  client::ClientOptions wrong;
  wrong.bearer_token = std::string(32, 'x');
  EXPECT_THAT(client::EnvClient::Connect(target, wrong)->ListCases().status(),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not valid")));
  {
    grpc::ClientContext ctx;
    auto stream = anonymous->stub().Session(&ctx);
    v1::SessionRequest r;
    r.mutable_get_spec();
    stream->Write(r);
    v1::SessionResponse resp;
    EXPECT_FALSE(stream->Read(&resp));
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  client::ClientOptions right;
  right.bearer_token = kToken;
  auto c = client::EnvClient::Connect(target, right);
  ASSERT_OK_AND_ASSIGN(v1::ResetResponse reset, c->Reset("cardiology_inferior_stemi", 1));
  EXPECT_TRUE(c->StepText(reset.episode_id(), "DIAGNOSIS: inferior STEMI").ok());
  EXPECT_TRUE(c->GetScore(reset.episode_id()).ok());
  // A stolen episode id is useless without a token.
  EXPECT_THAT(anonymous->GetScore(reset.episode_id()).status(), StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
}

TEST(ServerAuth, PerClientLimitCountsEachTokenSeparately) {
  const std::string other = "fedcba9876543210fedcba9876543210";
  ServerOptions o;
  o.auth = TokenAuth::FromTokens({kToken, other}, "test").value();
  o.handler.store.max_episodes_per_client = 2;
  auto server = StartWith(std::move(o));
  const std::string target = absl::StrCat("127.0.0.1:", server->port());
  client::ClientOptions a, b;
  a.bearer_token = kToken;
  b.bearer_token = other;
  auto ca = client::EnvClient::Connect(target, a), cb = client::EnvClient::Connect(target, b);
  ASSERT_OK_AND_ASSIGN(v1::ResetResponse first, ca->Reset("cardiology_inferior_stemi", 1));
  ASSERT_TRUE(ca->Reset("cardiology_inferior_stemi", 2).ok());
  EXPECT_THAT(ca->Reset("cardiology_inferior_stemi", 3).status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("this client")));
  EXPECT_TRUE(cb->Reset("cardiology_inferior_stemi", 3).ok());
  ASSERT_OK(ca->Close(first.episode_id()));
  EXPECT_TRUE(ca->Reset("cardiology_inferior_stemi", 3).ok());
  ASSERT_OK_AND_ASSIGN(v1::Spec spec, ca->GetSpec());
  EXPECT_EQ(spec.limits().max_episodes_per_client(), 2);
}

TEST(ServerTls, ServesTlsWithTheGivenCertificate) {
  const std::string dir = ::testing::TempDir() + "/clinsim_tls";
  std::filesystem::create_directories(dir);
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ", dir, "/key.pem -out ", dir,
      "/cert.pem >/dev/null 2>&1");
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl is not installed";
  ServerOptions o;
  o.tls_cert_pem = ReadSecretFile(dir + "/cert.pem", "tls-cert").value();
  o.tls_key_pem = ReadSecretFile(dir + "/key.pem", "tls-key").value();
  auto server = StartWith(o);
  ASSERT_NE(server, nullptr);
  const std::string target = absl::StrCat("127.0.0.1:", server->port());
  client::ClientOptions tls;
  tls.tls = true;
  tls.tls_root_pem = o.tls_cert_pem;
  tls.tls_server_name = "localhost";
  tls.deadline = absl::Seconds(10);
  auto c = client::EnvClient::Connect(target, tls);
  ASSERT_OK_AND_ASSIGN(v1::Spec spec, c->GetSpec());
  EXPECT_EQ(spec.api_version(), "clinsim.v1");
  // A plaintext client cannot talk to it.
  auto plain = client::EnvClient::Connect(target, absl::Seconds(3));
  EXPECT_THAT(plain->GetSpec().status(), StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  // Half a configuration is refused.
  ServerOptions half;
  half.tls_cert_pem = o.tls_cert_pem;
  half.address = "127.0.0.1:0";
  EXPECT_THAT(Server::Start(testing::BundledWorld(), half).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tls-key")));
}

}  // namespace
}  // namespace clinsim::server
