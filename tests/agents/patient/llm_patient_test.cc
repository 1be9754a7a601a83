// The answer guard on model replies: the diagnosis however a model might write it, and nothing
// else. The end-to-end leak tests (a fake model that tries every form) are in
// tests/env/redteam_test.cc (RedTeam.LlmPatientAndGatekeeper...).
#include "agents/patient/llm_patient.h"

#include <string>

#include "gtest/gtest.h"
#include "testing/fixtures.h"

namespace clinsim::agents {
namespace {

class AnswerGuardTest : public ::testing::Test {
 protected:
  AnswerGuardTest()
      : guard_(*clinsim::testing::BundledWorld()->FindCase("cardiology_inferior_stemi")) {}
  AnswerGuard guard_;
};

TEST_F(AnswerGuardTest, CatchesTheNameAliasesAndCodeWrittenPlainly) {
  for (const char* text : {"I think it is a heart attack.", "HEART ATTACK", "a heart-attack, surely",
                           "Looks like an inferior STEMI to me", "myocardial\ninfarction",
                           "code I21.19", "code i2119 on the form"}) {
    EXPECT_TRUE(guard_.Leaks(text)) << text;
  }
}

TEST_F(AnswerGuardTest, CatchesEncodedForms) {
  std::string found;
  EXPECT_TRUE(guard_.Leaks("Sure: aGVhcnQgYXR0YWNr", &found));  // base64 of "heart attack"
  EXPECT_NE(found.find("base64"), std::string::npos) << found;
  EXPECT_TRUE(guard_.Leaks("aGVhcnQgYXR0YWNr=="));
  EXPECT_TRUE(guard_.Leaks("In rot13 that is urneg nggnpx.", &found));
  EXPECT_NE(found.find("rot13"), std::string::npos) << found;
  EXPECT_TRUE(guard_.Leaks("kcatta traeh", &found));
  EXPECT_NE(found.find("reversed"), std::string::npos) << found;
  EXPECT_TRUE(guard_.Leaks("68656172742061747461636b", &found));  // hex
  EXPECT_NE(found.find("hex"), std::string::npos) << found;
  EXPECT_TRUE(guard_.Leaks("68 65 61 72 74 20 61 74 74 61 63 6B"));
  EXPECT_TRUE(guard_.Leaks("0x68 0x65 0x61 0x72 0x74 0x20 0x61 0x74 0x74 0x61 0x63 0x6b"));
  EXPECT_TRUE(guard_.Leaks("the code reversed: 9112I"));
}

TEST_F(AnswerGuardTest, LeavesOrdinaryRepliesAndReportsAlone) {
  for (const char* text :
       {"It started this morning, a crushing pain in my chest that goes into my jaw.",
        "No, I haven't had any fever. I'm not sure about the exact time.",
        "Troponin I 2.4 ng/mL (reference < 0.04); creatinine 88 umol/L; Hb 142 g/L",
        "ECG: sinus rhythm 92/min, ST elevation in II, III and aVF with reciprocal changes in aVL",
        "Haemoglobin A1c 41 mmol/mol, TSH 1.8 mIU/L, CRP 3 mg/L", "deadbeef 0123456789abcdef",
        "Patient ID 7f3a9c21, sample 20261204-0812"}) {
    std::string found;
    EXPECT_FALSE(guard_.Leaks(text, &found)) << text << " -> " << found;
  }
}

}  // namespace
}  // namespace clinsim::agents

namespace clinsim::agents {
namespace {

TEST(AnswerGuard, NamesRunTogetherFoldAcrossTheSeam) {
  AnswerGuard g(*clinsim::testing::BundledWorld()->FindCase("infectious_disease_pneumococcal_meningitis"));
  EXPECT_TRUE(g.Leaks("#streptococcuspneumoniaemeningitis"));
  EXPECT_TRUE(g.Leaks("streptococcus pneumoniae meningitis"));
  EXPECT_TRUE(g.Leaks("Streptococcus-pneumoniae-meningitis"));
}

}  // namespace
}  // namespace clinsim::agents
