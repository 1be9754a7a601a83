// Importers turn public case collections into clinsim cases, registered by format name:
//   agentclinic  AgentClinic OSCE JSONL (e.g. agentclinic_medqa.jsonl)
//   mediq        MediQ JSONL (e.g. all_craft_md.jsonl)
// Each record becomes a Case in the bundled library's format: atomic facts in the first person,
// exam findings mapped to exam systems, results mapped to catalog tests (or kept as case-specific
// tests when the catalog has no match, listed in the report), derived rubric items, source and
// license. A bad record is reported by line number and the rest are imported.
//
//   auto importer = CreateImporter("mediq").value();
//   ImportResult r = importer->Import(jsonl_text, options);
//   for (const Case& c : r.cases) ...;  for (const auto& p : r.problems) ... p.line, p.message
#ifndef CLINSIM_CASES_IMPORTERS_IMPORTER_H_
#define CLINSIM_CASES_IMPORTERS_IMPORTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cases/case.h"

namespace clinsim::cases {

struct ImportOptions {
  std::string id_prefix;  // default: the format name
  std::string origin;     // e.g. the input file name, kept in source.origin
  std::string license;    // default: the format's license
};

struct ImportProblem {
  int line = 0;  // 1-based JSONL line
  std::string message;
};

struct ImportResult {
  std::vector<Case> cases;
  std::vector<ImportProblem> problems;  // records skipped
  std::vector<std::string> notes;       // per case: unmapped results, redactions, guesses
};

class Importer {
 public:
  virtual ~Importer() = default;
  virtual ImportResult Import(absl::string_view jsonl, const ImportOptions& options) const = 0;
};

std::vector<std::string> ImporterNames();
absl::StatusOr<std::unique_ptr<Importer>> CreateImporter(absl::string_view format);

// Largest JSONL record accepted, in bytes; longer lines are reported, not parsed.
inline constexpr size_t kMaxRecordBytes = 4 << 20;

}  // namespace clinsim::cases

#endif  // CLINSIM_CASES_IMPORTERS_IMPORTER_H_
