#include "agents/judge/judge.h"

#include "gtest/gtest.h"

namespace clinsim::agents {
namespace {

cases::Diagnosis Stemi() {
  return {"Acute inferior ST-elevation myocardial infarction",
          {"inferior STEMI", "heart attack", "myocardial infarction"},
          "I21.19",
          {"aortic dissection", "pulmonary embolism", "pericarditis"}};
}

TEST(RuleJudge, FivePointScale) {
  RuleJudge j;
  cases::Diagnosis d = Stemi();
  EXPECT_EQ(j.Evaluate(d, "Acute inferior ST-elevation myocardial infarction", "", {}).score, 5);
  EXPECT_EQ(j.Evaluate(d, "acute inferior st elevation myocardial infarction!!", "", {}).score, 5);
  EXPECT_EQ(j.Evaluate(d, "Heart Attack", "", {}).score, 5);
  EXPECT_EQ(j.Evaluate(d, "MI", "", {}).score, 5);  // abbreviation
  EXPECT_EQ(j.Evaluate(d, "Inferior wall STEMI", "", {}).score, 5);
  EXPECT_EQ(j.Evaluate(d, "something cardiac", "I21.19", {}).score, 4);
  EXPECT_EQ(j.Evaluate(d, "something cardiac", "I21.4", {}).score, 3);
  EXPECT_EQ(j.Evaluate(d, "Aortic dissection", "", {}).score, 2);
  EXPECT_EQ(j.Evaluate(d, "Gastritis", "", {}).score, 1);
  EXPECT_TRUE(j.Evaluate(d, "MI", "", {}).correct);
  EXPECT_TRUE(j.Evaluate(d, "x", "I21.19", {}).correct);
  EXPECT_FALSE(j.Evaluate(d, "x", "I21.4", {}).correct);
}

TEST(RuleJudge, HedgedAndNegatedAnswersDoNotGetCredit) {
  RuleJudge j;
  cases::Diagnosis d = Stemi();
  EXPECT_EQ(j.Evaluate(d, "pericarditis or myocardial infarction", "", {}).score, 2);
  EXPECT_LT(j.Evaluate(d, "not a myocardial infarction", "", {}).score, 4);
}

TEST(RuleJudge, SpellingVariantsAndIcdInText) {
  RuleJudge j;
  cases::Diagnosis sah{"Aneurysmal subarachnoid hemorrhage", {"SAH"}, "I60.9", {"migraine"}};
  EXPECT_EQ(j.Evaluate(sah, "aneurysmal subarachnoid haemorrhage", "", {}).score, 5);
  EXPECT_EQ(j.Evaluate(sah, "SAH", "", {}).score, 5);
  EXPECT_EQ(j.Evaluate(sah, "bleed in the head (I60.9)", "", {}).score, 4);
  cases::Diagnosis dka{"Diabetic ketoacidosis", {}, "E10.10", {"HHS"}};
  EXPECT_EQ(j.Evaluate(dka, "DKA", "", {}).score, 5);
  EXPECT_EQ(j.Evaluate(dka, "hyperosmolar hyperglycemic state", "", {}).score, 2);
}

TEST(NormalizeIcd10, StripsDotsAndCase) {
  EXPECT_EQ(NormalizeIcd10("i21.19"), "I2119");
  EXPECT_EQ(NormalizeIcd10(" I21.19 "), "I2119");
}

}  // namespace
}  // namespace clinsim::agents
