// Fuzzes the tagged action grammar: bytes -> ParseTaggedAction. What parses must be a valid action
// (ValidateAction), and its tagged form must parse back to the same action: FormatAction is a
// fixed point after one round (numbers are printed with 6 digits, so the first round may round).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "env/action.h"

using clinsim::env::Action;

namespace {

[[noreturn]] void Fail(const std::string& what, const std::string& text) {
  std::fprintf(stderr, "action_parser_fuzzer: %s\n--- text:\n", what.c_str());
  std::fwrite(text.data(), 1, text.size(), stderr);  // may hold NUL bytes
  std::fprintf(stderr, "\n---\n");
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Action> a = clinsim::env::ParseTaggedAction(text);
  if (!a.ok()) {
    if (a.status().code() != absl::StatusCode::kInvalidArgument) Fail("not INVALID_ARGUMENT", text);
    return 0;
  }
  if (auto s = clinsim::env::ValidateAction(*a); !s.ok()) {
    Fail("parsed but invalid: " + std::string(s.message()), text);
  }
  if (a->confidence && !(*a->confidence >= 0 && *a->confidence <= 1)) Fail("confidence outside 0..1", text);
  const std::string once = clinsim::env::FormatAction(*a);
  absl::StatusOr<Action> b = clinsim::env::ParseTaggedAction(once);
  if (!b.ok()) Fail("FormatAction's output does not parse: " + std::string(b.status().message()), once);
  if (b->kind != a->kind) Fail("the round trip changed the kind", once);
  const std::string twice = clinsim::env::FormatAction(*b);
  absl::StatusOr<Action> c = clinsim::env::ParseTaggedAction(twice);
  if (!c.ok() || clinsim::env::FormatAction(*c) != twice) Fail("FormatAction is not a fixed point", twice);
  if (a->kind != Action::kDiagnose && twice != once) Fail("the round trip changed the action", once + "\n=>\n" + twice);
  return 0;
}
