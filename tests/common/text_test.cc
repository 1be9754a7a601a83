#include "common/text.h"

#include "gtest/gtest.h"

namespace clinsim {
namespace {

TEST(NormalizeText, LowercasesAndSplitsPunctuationKeepingContractionsWhole) {
  EXPECT_EQ(NormalizeText("Don't you have Chest-Pain?"), "dont you have chest pain ");
  EXPECT_EQ(CollapseText("  Shortness   of-BREATH!! "), "shortness of breath");
}

TEST(Tokenize, SplitsOnSpaces) {
  std::string s = NormalizeText("a  b, c");
  auto t = Tokenize(s);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0], "a");
  EXPECT_EQ(t[2], "c");
  EXPECT_TRUE(Tokenize("").empty());
}

TEST(Stem, UsesPorter2) {
  EXPECT_EQ(Stem("breathing"), "breath");
  EXPECT_EQ(Stem("radiates"), "radiat");
  EXPECT_EQ(Stem("radiating"), "radiat");
  EXPECT_EQ(CanonicalPhrase("Coughing up Blood"), "cough up blood");
}

TEST(ContainsPhrase, MatchesWholeWordsOnly) {
  EXPECT_TRUE(ContainsPhrase("the heart attack was bad", "heart attack"));
  EXPECT_FALSE(ContainsPhrase("heartattack", "heart attack"));
  EXPECT_FALSE(ContainsPhrase("a pe rson", "pers"));
  EXPECT_FALSE(ContainsPhrase("mist", "mi"));
  EXPECT_TRUE(ContainsPhrase("mi", "mi"));
}

TEST(EditDistance, IsCapped) {
  EXPECT_EQ(EditDistance("troponin", "tropnin", 2), 1);
  EXPECT_EQ(EditDistance("kitten", "sitting", 5), 3);
  EXPECT_EQ(EditDistance("abc", "xyzxyz", 2), 3);
}

TEST(Utf8, ValidatesAndRepairs) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac"));
  EXPECT_FALSE(IsValidUtf8("\xff\xfe"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
  EXPECT_EQ(SafeUtf8Prefix("ab\xff" "cd", 10), "ab?cd");
  EXPECT_EQ(SafeUtf8Prefix("caf\xc3\xa9", 4), "caf");  // never cuts inside a character
}

TEST(FoldSpelling, BritishAndAmericanSpellingsMeet) {
  EXPECT_EQ(FoldSpelling("anaemia"), FoldSpelling("anemia"));
  EXPECT_EQ(FoldSpelling("oesophagitis"), "esophagitis");
  EXPECT_EQ(FoldSpelling("haemorrhage"), "hemorrhage");
  EXPECT_EQ(FoldSpelling("tumour"), "tumor");
  EXPECT_EQ(FoldSpelling("coeliac"), "celiac");
  EXPECT_EQ(FoldSpelling("generalised"), "generalized");
  EXPECT_EQ(FoldSpelling("chest"), "chest");
  EXPECT_EQ(FoldSpelling("ae"), "ae");  // too short to fold
}

}  // namespace
}  // namespace clinsim
