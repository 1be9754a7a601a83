// Building blocks shared by the importers: JSONL iteration with per-line errors, third- to
// first-person rewriting, sentence splitting, fact categories and keywords, exam-system and
// catalog mapping, answer redaction and rubric derivation.
#ifndef CLINSIM_CASES_IMPORTERS_IMPORT_SUPPORT_H_
#define CLINSIM_CASES_IMPORTERS_IMPORT_SUPPORT_H_

#include <functional>
#include <string>
#include <vector>

#include "cases/case.h"
#include "cases/importers/importer.h"
#include "nlohmann/json.hpp"

namespace clinsim::cases::import {

// Calls `record` for every non-empty line that parses as a JSON object; lines that are too long,
// not UTF-8 or not JSON become problems. `record` may add a problem itself by returning a message.
void ForEachRecord(absl::string_view jsonl,
                   const std::function<std::string(int line, const nlohmann::json&)>& record,
                   ImportResult* result);

// "The patient reports chest pain. She denies fever." -> "I report chest pain. I don't have fever."
std::string FirstPerson(absl::string_view sentence);
// Splits prose into sentences ("36.6 C" and "e.g." are not boundaries).
std::vector<std::string> Sentences(absl::string_view text);
// hpi | pmh | meds | allergies | social | family | ros, guessed from a sentence (and a hint such
// as the source field's name).
std::string GuessCategory(absl::string_view sentence, absl::string_view hint);
// Keywords for a fact: words a doctor would ask with, by category, plus the fact's content words.
std::vector<std::string> Keywords(absl::string_view category, absl::string_view text);
// "Neurological_Examination" -> "Neurological Examination"
std::string Humanize(absl::string_view key);
// Whether a finding or result reads as abnormal.
bool LooksAbnormal(absl::string_view text);
// Exam system id for a field name or sentence, or "" when none fits.
std::string ExamSystemFor(absl::string_view text);
// Catalog id for a test name, or "" (fuzzy matches are accepted).
std::string CatalogIdFor(absl::string_view name);

// Removes the diagnosis from `text`: replaces the name and aliases with "the condition". Returns
// false when the text still names it after that (the caller drops it).
bool Redact(const Case& c, std::string* text);

// Completes an imported case (source kind and license, derived rubric), checks it with the
// validator and adds it, with its notes, to `result`. Returns a problem message instead when the
// case is not importable.
std::string Accept(Case c, const std::vector<std::string>& notes, const ImportOptions& options,
                   const char* default_license, ImportResult* result);

}  // namespace clinsim::cases::import

#endif  // CLINSIM_CASES_IMPORTERS_IMPORT_SUPPORT_H_
