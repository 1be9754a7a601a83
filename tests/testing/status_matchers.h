// gtest helpers for absl::Status (Debian's Abseil ships none).
//
//   EXPECT_THAT(Parse("x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("field")));
//   ASSERT_OK(status);  ASSERT_OK_AND_ASSIGN(auto v, MakeThing());
#ifndef CLINSIM_TESTS_TESTING_STATUS_MATCHERS_H_
#define CLINSIM_TESTS_TESTING_STATUS_MATCHERS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace clinsim::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) { return s.status(); }

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(s.message()), result_listener);
}

}  // namespace clinsim::testing

#define CLINSIM_TEST_CONCAT_INNER_(a, b) a##b
#define CLINSIM_TEST_CONCAT_(a, b) CLINSIM_TEST_CONCAT_INNER_(a, b)
#define ASSERT_OK(expr) ASSERT_TRUE((expr).ok()) << ::clinsim::testing::GetStatus(expr).ToString()
#define EXPECT_OK(expr) EXPECT_TRUE((expr).ok()) << ::clinsim::testing::GetStatus(expr).ToString()
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                              \
  auto CLINSIM_TEST_CONCAT_(statusor_, __LINE__) = (expr);                         \
  ASSERT_TRUE(CLINSIM_TEST_CONCAT_(statusor_, __LINE__).ok())                      \
      << CLINSIM_TEST_CONCAT_(statusor_, __LINE__).status().ToString();            \
  lhs = std::move(*CLINSIM_TEST_CONCAT_(statusor_, __LINE__))

#endif  // CLINSIM_TESTS_TESTING_STATUS_MATCHERS_H_
