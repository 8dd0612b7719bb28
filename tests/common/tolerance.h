// tests/common/tolerance.h: error bounds from the reduction length.
//
// A float result of a length-K sum of products s = sum_k x_k * w_k (any
// order, with or without FMA) differs from the exact value by at most about
// K * eps * sum_k |x_k * w_k| (the classic gamma_K bound). So instead of a
// guessed tolerance we compare against a double reference with, per element,
//
//     |got - ref| <= c * (K + 1) * FLT_EPSILON * mag + tiny
//
// where mag = sum |x_k * w_k| for that element (compute it by running the
// double reference on |x| and |w|: see abs_of() in random_fill.h), K is the
// reduction length, and +1 covers the final rounding to float.
//
// API (stable: the CPU and the GPU tests both use it)
//
//   ::testing::AssertionResult check_close(const char* what, const float* got,
//       const double* ref, const double* mag, int64_t n, int64_t K,
//       double c = 1.0, double tiny = 1e-30);
//       Success, or a failure naming `what`, the number of violating
//       elements, and the WORST element (largest error/bound ratio): its
//       index, got, ref, mag and bound. Use: EXPECT_TRUE(check_close(...)).
//
//   Overload with `const float* ref`: for float-vs-float comparisons (e.g.
//   GPU vs CPU, both rounded); the bound is doubled since both sides err.
//
//   check_close_mag_scalar(...): the same with one magnitude for all
//   elements (e.g. elementwise ops: pass mag = |ref|, K = 0 or 1).
//
//   check_equal(what, got, expected, n)  (float or int32): exact equality,
//       reporting the first mismatch.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

namespace convnet::test {

::testing::AssertionResult check_close(const char* what, const float* got, const double* ref,
                                       const double* mag, int64_t n, int64_t K, double c = 1.0,
                                       double tiny = 1e-30);
::testing::AssertionResult check_close(const char* what, const float* got, const float* ref,
                                       const double* mag, int64_t n, int64_t K, double c = 1.0,
                                       double tiny = 1e-30);
::testing::AssertionResult check_close_mag_scalar(const char* what, const float* got,
                                                  const double* ref, double mag, int64_t n,
                                                  int64_t K, double c = 1.0, double tiny = 1e-30);

::testing::AssertionResult check_equal(const char* what, const float* got, const float* expected,
                                       int64_t n);
::testing::AssertionResult check_equal(const char* what, const int32_t* got,
                                       const int32_t* expected, int64_t n);

}  // namespace convnet::test
