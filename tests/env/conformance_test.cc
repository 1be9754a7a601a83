// The shared conformance test (OpenSpiel's RandomSimTest, dm_env_rpc's compliance suite): every
// bundled case is played to the end by every built-in non-interactive doctor under several seeds,
// and must finish without error, show the doctor nothing that names the diagnosis before the end,
// and replay byte-identically from its seed.
#include "apps/clinsim/bench_runner.h"
#include "cases/case_loader.h"
#include "common/text.h"
#include "env/serialize.h"
#include "gtest/gtest.h"
#include "testing/fixtures.h"

namespace clinsim::env {
namespace {

// Test names are echoes of what the doctor ordered ("malaria smear (thick and thin): ...") and the
// same for every case, so they are removed before looking for the answer in a message.
std::string WithoutTestNames(std::string text, const cases::TestCatalog& catalog) {
  for (const auto& t : catalog.tests()) {
    for (size_t p; (p = text.find(t.name)) != std::string::npos;) text.replace(p, t.name.size(), " | ");
  }
  return text;
}

// (doctor, noise profile); every doctor runs under every profile.
class Conformance : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(Conformance, EveryCasePlaysToTheEndLeaksNothingAndReplays) {
  auto world = clinsim::testing::BundledWorld();
  const std::string doctor = std::get<0>(GetParam());
  EpisodeOptions options;
  options.noise = *noise::ParseNoiseSpec(std::get<1>(GetParam()));
  // Noisy runs also meet a persona drawn from the seed.
  options.random_persona = !options.noise.empty();
  int episodes = 0;
  size_t index = 0;
  for (const auto& c : world->library().cases()) {
    if (!clinsim::testing::CaseInSample(index++)) continue;
    cases::SecretMatcher secrets(c);
    for (uint64_t seed : {0u, 1u, 17u}) {
      SCOPED_TRACE(c.id + " seed " + std::to_string(seed));
      std::vector<Message> t1, t2;
      auto s1 = apps::PlayEpisode(world, doctor, c.id, seed, options, &t1);
      auto s2 = apps::PlayEpisode(world, doctor, c.id, seed, options, &t2);
      ASSERT_TRUE(s1.ok()) << s1.status();
      ASSERT_TRUE(s2.ok()) << s2.status();
      EXPECT_TRUE(s1->terminated || s1->truncated);
      EXPECT_EQ(MessagesToJson(t1).dump() + ScoreToJson(*s1).dump(),
                MessagesToJson(t2).dump() + ScoreToJson(*s2).dump());
      // Everything the environment said before the end; the last message records the doctor's
      // own diagnosis and is said after the end.
      size_t end = t1.size();
      if (s1->terminated) --end;
      for (size_t i = 0; i < end; ++i) {
        if (t1[i].role == "doctor") continue;
        std::string found;
        EXPECT_FALSE(secrets.Find(WithoutTestNames(t1[i].content, world->tests()), &found))
            << "leak of '" << found << "' in: " << t1[i].content;
      }
      ++episodes;
    }
  }
  EXPECT_GE(episodes, static_cast<int>(120 / clinsim::testing::CaseStride()));
}

INSTANTIATE_TEST_SUITE_P(BuiltInDoctors, Conformance,
                         ::testing::Combine(::testing::Values("random", "scripted"),
                                            ::testing::Values("none", "mild", "realistic", "hostile")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

}  // namespace
}  // namespace clinsim::env
