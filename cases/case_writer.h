// Writes a Case back to the JSON case format (docs/case-format.md), fields in schema order, so
// importers produce files that read like the bundled library.
//
//   nlohmann::ordered_json j = CaseToJson(c);
//   out << j.dump(2);
#ifndef CLINSIM_CASES_CASE_WRITER_H_
#define CLINSIM_CASES_CASE_WRITER_H_

#include "cases/case.h"
#include "nlohmann/json.hpp"

namespace clinsim::cases {

nlohmann::ordered_json CaseToJson(const Case& c);

}  // namespace clinsim::cases

#endif  // CLINSIM_CASES_CASE_WRITER_H_
