#include "agents/patient/persona.h"

#include "agents/patient/patient.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fixtures.h"
#include "testing/status_matchers.h"

namespace clinsim::agents {
namespace {

using ::clinsim::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParsePersona, SpecsAndErrors) {
  ASSERT_OK_AND_ASSIGN(Persona p, ParsePersona("plain", 0));
  EXPECT_TRUE(p.plain());
  ASSERT_OK_AND_ASSIGN(p, ParsePersona("temperament=choleric, literacy=lay, bias=recency", 0));
  EXPECT_EQ(p.temperament, "choleric");
  EXPECT_EQ(p.literacy, "lay");
  EXPECT_EQ(p.biases, std::vector<std::string>{"recency"});
  EXPECT_EQ(p.ToString(), "temperament=choleric,literacy=lay,recall=good,bias=recency");
  ASSERT_OK_AND_ASSIGN(Persona r1, ParsePersona("random", 9));
  ASSERT_OK_AND_ASSIGN(Persona r2, ParsePersona("random", 9));
  EXPECT_EQ(r1.ToString(), r2.ToString());
  EXPECT_THAT(ParsePersona("temperament=grumpy", 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sanguine")));
  EXPECT_THAT(ParsePersona("mood=low", 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown persona key 'mood'")));
  EXPECT_THAT(ParsePersona("choleric", 0), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key=value")));
}

TEST(RenderWithPersona, ChangesWordingNotContent) {
  Persona lay = *ParsePersona("literacy=lay", 0);
  EXPECT_EQ(RenderWithPersona(lay, 1, false, "I have hypertension and some dyspnea."),
            "I have high blood pressure and some shortness of breath.");
  Persona medical = *ParsePersona("literacy=medical", 0);
  EXPECT_EQ(RenderWithPersona(medical, 1, false, "I have high blood pressure."), "I have hypertension.");
  Persona plain;
  EXPECT_EQ(RenderWithPersona(plain, 1, true, "Same words."), "Same words.");
  Persona biased = *ParsePersona("bias=false_consensus", 0);
  EXPECT_THAT(RenderWithPersona(biased, 1, true, "It hurts."), HasSubstr("Everyone I know"));
  EXPECT_EQ(RenderWithPersona(biased, 1, false, "It hurts."), "It hurts.");  // bias speaks once
}

// Personas change how things are said, never which facts are true or revealed.
TEST(RulePatient, PersonasRevealTheSameFacts) {
  auto world = clinsim::testing::BundledWorld();
  const cases::Case* c = world->FindCase("cardiology_inferior_stemi");
  ASSERT_NE(c, nullptr);
  for (const char* spec : {"temperament=sanguine,literacy=lay,recall=poor,bias=recency",
                           "temperament=choleric,literacy=medical", "temperament=melancholic",
                           "temperament=phlegmatic,bias=race"}) {
    RulePatient plain(world->FactIndexFor(*c), 3);
    RulePatient voiced(world->FactIndexFor(*c), 3, nullptr, *ParsePersona(spec, 0));
    for (const char* q : {"When did it start?", "Does it spread?", "Do you smoke?", "Any fever?"}) {
      PatientReply a = plain.Answer(q), b = voiced.Answer(q);
      EXPECT_EQ(a.revealed_facts, b.revealed_facts) << spec << " / " << q;
      EXPECT_EQ(a.denied, b.denied) << spec << " / " << q;
    }
  }
}

}  // namespace
}  // namespace clinsim::agents
