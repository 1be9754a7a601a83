#include "apps/clinsim/flags.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace clinsim::apps {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;

absl::Status ParseArgs(FlagSet* f, std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return f->Parse(static_cast<int>(argv.size()), argv.data(), 0);
}

TEST(FlagSet, ParsesBothFormsBoolsAndPositionals) {
  FlagSet f("bench", "x");
  f.Add("seeds", "1", "seeds");
  f.Add("doctor", "scripted", "doctor");
  f.AddBool("strict", "strict");
  ASSERT_OK(ParseArgs(&f, {"--seeds=3", "--doctor", "random", "--strict", "extra"}));
  long long seeds = 0;
  ASSERT_OK(f.GetInt("seeds", 1, 10, &seeds));
  EXPECT_EQ(seeds, 3);
  EXPECT_EQ(f.Get("doctor"), "random");
  EXPECT_TRUE(f.GetBool("strict"));
  EXPECT_EQ(f.positional(), std::vector<std::string>{"extra"});
}

TEST(FlagSet, ClearErrors) {
  FlagSet f("bench", "x");
  f.Add("seeds", "1", "seeds");
  EXPECT_THAT(ParseArgs(&f, {"--sedes=3"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown flag --sedes")));
  EXPECT_THAT(ParseArgs(&f, {"--seeds"}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a value")));
  ASSERT_OK(ParseArgs(&f, {"--seeds=abc"}));
  long long v;
  EXPECT_THAT(f.GetInt("seeds", 1, 10, &v),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--seeds must be a whole number")));
}

TEST(FlagSet, HelpListsEveryFlagWithItsDefault) {
  FlagSet f("bench", "Runs things.");
  f.Add("seeds", "1", "seeds per case");
  f.AddBool("strict", "fail on bad cases");
  std::string h = f.Help();
  EXPECT_THAT(h, HasSubstr("--seeds=1"));
  EXPECT_THAT(h, HasSubstr("--strict"));
  EXPECT_THAT(h, HasSubstr("(default: false)"));
}

}  // namespace
}  // namespace clinsim::apps
