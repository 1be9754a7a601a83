#include "agents/patient/lexicon.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace clinsim::agents {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// The concept term of a phrase that is one synonym group ("#N").
std::string ConceptOf(const std::string& phrase) {
  std::vector<std::string> terms = Lexicon::Default().Analyze(phrase);
  EXPECT_EQ(terms.size(), 1u) << phrase;
  EXPECT_TRUE(!terms.empty() && terms[0][0] == '#') << phrase;
  return terms.empty() ? "" : terms[0];
}

TEST(Lexicon, PhrasesMatchWithOtherStopwordsInside) {
  const Lexicon& lex = Lexicon::Default();
  EXPECT_THAT(lex.Analyze("Has he been losing his hair?"), Contains(ConceptOf("hair loss")));
  EXPECT_THAT(lex.Analyze("any pain in her chest"), Contains(ConceptOf("chest pain")));
}

TEST(Lexicon, SkippingStopwordsNeverJoinsAcrossAConjunction) {
  // "losing" and "hair" are in different conjuncts: no hair loss.
  EXPECT_THAT(Lexicon::Default().Analyze("losing weight and your hair is dry"),
              Not(Contains(ConceptOf("hair loss"))));
}

TEST(Lexicon, AnswerCuesComeFromTheShapeOfTheText) {
  const Lexicon& lex = Lexicon::Default();
  const std::string how_long = ConceptOf("how long"), where = ConceptOf("where");
  EXPECT_THAT(lex.AnswerCues("It started two weeks ago."), Contains(how_long));
  EXPECT_THAT(lex.AnswerCues("The pain is on the left side."), Contains(where));
  EXPECT_THAT(lex.AnswerCues("I was treated with amoxicillin."), Contains(ConceptOf("antibiotics")));
  EXPECT_THAT(lex.AnswerCues("I feel tired."), IsEmpty());
  // Questions name the concept itself.
  EXPECT_THAT(lex.Analyze("When did the rash appear?"), Contains(how_long));
  EXPECT_THAT(lex.Analyze("Which side is it on?"), Contains(where));
}

TEST(Lexicon, AnswerCueErrorsSayWhatToFix) {
  EXPECT_THAT(Lexicon::FromJson(R"({"synonyms": [["duration", "how long"]],
                                   "answer_cues": {"not a group": ["days"]}})",
                                "test.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("answer_cues.not a group")));
  EXPECT_THAT(Lexicon::FromJson(R"({"synonyms": [["duration", "how long"]],
                                   "answer_cues": {"how long": ["two words"]}})",
                                "test.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be one word")));
  EXPECT_TRUE(Lexicon::FromJson(R"({"synonyms": [["duration", "how long"]],
                                   "answer_cues": {"how long": ["days"]}})",
                                "test.json")
                  .ok());
}

}  // namespace
}  // namespace clinsim::agents
