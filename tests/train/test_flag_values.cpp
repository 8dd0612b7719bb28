// convnet/flag_values.h: the number parsing every executable's flags share.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <climits>
#include <functional>
#include <string>

#include "convnet/error.h"
#include "convnet/flag_values.h"

using convnet::parse_finite_flag;
using convnet::parse_int_flag;
using testing::HasSubstr;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const convnet::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(FlagValues, IntegersInRangeParse) {
  EXPECT_EQ(parse_int_flag("--n", "7", 1, 10), 7);
  EXPECT_EQ(parse_int_flag("--n", "-3", INT_MIN, INT_MAX), -3);
  EXPECT_EQ(parse_int_flag("--n", "10", 1, 10), 10);
}

TEST(FlagValues, BadIntegersNameTheFlagAndTheRange) {
  EXPECT_EQ(error_of([] { parse_int_flag("--n", "0", 1, 10); }), "--n: expected an integer from 1 to 10, got '0'");
  EXPECT_EQ(error_of([] { parse_int_flag("--n", "4x", 1, 10); }), "--n: expected an integer from 1 to 10, got '4x'");
  EXPECT_EQ(error_of([] { parse_int_flag("--n", "", INT_MIN, INT_MAX); }), "--n: expected an integer, got ''");
  // Beyond int (and beyond long): an error, not a wrapped value.
  EXPECT_THAT(error_of([] { parse_int_flag("--n", "3000000000", INT_MIN, INT_MAX); }), HasSubstr("expected an integer"));
  EXPECT_THAT(error_of([] { parse_int_flag("--n", "99999999999999999999", INT_MIN, INT_MAX); }),
              HasSubstr("expected an integer"));
}

TEST(FlagValues, NumbersMustBeFinite) {
  EXPECT_DOUBLE_EQ(parse_finite_flag("--lr", "0.1"), 0.1);
  EXPECT_DOUBLE_EQ(parse_finite_flag("--lr", "1e-3"), 1e-3);
  for (const char* bad : {"abc", "", "0.1x", "inf", "nan", "1e999"})
    EXPECT_EQ(error_of([&] { parse_finite_flag("--lr", bad); }),
              std::string("--lr: expected a finite number, got '") + bad + "'");
}

}  // namespace
