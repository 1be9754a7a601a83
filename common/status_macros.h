// Status helpers missing from Abseil 20220623 (Debian bookworm has no status macros).
//
//   absl::StatusOr<Case> LoadCase(absl::string_view path) {
//     CLINSIM_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     CLINSIM_RETURN_IF_ERROR(Validate(text));
//     ...
//   }
#ifndef CLINSIM_COMMON_STATUS_MACROS_H_
#define CLINSIM_COMMON_STATUS_MACROS_H_

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CLINSIM_STATUS_CONCAT_INNER_(a, b) a##b
#define CLINSIM_STATUS_CONCAT_(a, b) CLINSIM_STATUS_CONCAT_INNER_(a, b)

#define CLINSIM_RETURN_IF_ERROR(expr)                 \
  do {                                                \
    ::absl::Status clinsim_status_ = (expr);          \
    if (!clinsim_status_.ok()) return clinsim_status_; \
  } while (0)

#define CLINSIM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(*tmp)

#define CLINSIM_ASSIGN_OR_RETURN(lhs, expr) \
  CLINSIM_ASSIGN_OR_RETURN_IMPL_(CLINSIM_STATUS_CONCAT_(clinsim_statusor_, __LINE__), lhs, expr)

#endif  // CLINSIM_COMMON_STATUS_MACROS_H_
