// Fuzzes the case loader: bytes -> LoadCaseJson (JSON parse + validation). A broken file must
// come back as an error, never a crash or an exception; a file that loads must survive the
// writer: CaseToJson -> LoadCaseJson gives a case that writes back to the same JSON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "cases/case_loader.h"
#include "cases/case_writer.h"

using clinsim::cases::Case;

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "case_loader_fuzzer: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Case> c = clinsim::cases::LoadCaseJson(text, "fuzz.json");
  if (!c.ok()) {
    if (c.status().message().empty()) Fail("an error without a message");
    return 0;
  }
  // A valid case: everything that reads it must work.
  clinsim::cases::SecretMatcher secrets(*c);
  for (absl::string_view t : clinsim::cases::DoctorVisibleTexts(*c)) {
    std::string found;
    if (secrets.Find(t, &found)) Fail("a valid case shows the diagnosis '" + found + "' early");
  }
  const std::string written = clinsim::cases::CaseToJson(*c).dump(2);
  absl::StatusOr<Case> again = clinsim::cases::LoadCaseJson(written, "rewritten.json");
  if (!again.ok()) Fail("the writer's output does not load: " + std::string(again.status().message()));
  if (clinsim::cases::CaseToJson(*again).dump(2) != written) Fail("write -> load -> write differs");
  return 0;
}
