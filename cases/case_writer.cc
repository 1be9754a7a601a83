#include "cases/case_writer.h"

namespace clinsim::cases {

nlohmann::ordered_json CaseToJson(const Case& c) {
  using J = nlohmann::ordered_json;
  J facts = J::array(), exam = J::array(), tests = J::array(), rubric = J::array();
  for (const auto& f : c.facts) {
    facts.push_back(J{{"id", f.id}, {"category", f.category}, {"text", f.text},
                      {"keywords", f.keywords}, {"key", f.key}});
  }
  for (const auto& e : c.exam) {
    J j{{"id", e.id}, {"system", e.system}};
    if (!e.maneuver.empty()) j["maneuver"] = e.maneuver;
    j["finding"] = e.finding;
    j["abnormal"] = e.abnormal;
    exam.push_back(std::move(j));
  }
  for (const auto& t : c.tests) {
    J j{{"id", t.id}};
    if (!t.catalog_id.empty()) j["catalog_id"] = t.catalog_id;
    if (!t.name.empty()) j["name"] = t.name;
    if (t.usd) j["usd"] = *t.usd;
    j["result"] = t.result;
    j["abnormal"] = t.abnormal;
    if (t.value) j["value"] = *t.value;
    if (!t.unit.empty()) j["unit"] = t.unit;
    if (!t.reference_range.empty()) j["reference_range"] = t.reference_range;
    tests.push_back(std::move(j));
  }
  for (const auto& r : c.rubric) {
    J j{{"id", r.id}, {"text", r.text}, {"points", r.points}, {"axis", r.axis},
        {"kind", r.kind}, {"targets", r.targets}};
    if (r.derived) j["derived"] = true;
    rubric.push_back(std::move(j));
  }
  return J{{"id", c.id},
           {"title", c.title},
           {"specialty", c.specialty},
           {"difficulty", c.difficulty},
           {"source", {{"kind", c.source.kind}, {"origin", c.source.origin}, {"license", c.source.license}}},
           {"presentation",
            {{"age", c.presentation.age},
             {"sex", c.presentation.sex},
             {"chief_complaint", c.presentation.chief_complaint},
             {"abstract", c.presentation.abstract}}},
           {"facts", facts},
           {"exam", exam},
           {"tests", tests},
           {"diagnosis",
            {{"name", c.diagnosis.name},
             {"aliases", c.diagnosis.aliases},
             {"icd10", c.diagnosis.icd10},
             {"differential", c.diagnosis.differential}}},
           {"rubric", rubric}};
}

}  // namespace clinsim::cases
