// tests/common/grad_check.h: finite-difference gradient checks in double.
//
// API (stable: the CPU and the GPU tests both use it)
//
//   ::testing::AssertionResult check_gradient(const char* what,
//       const std::function<double()>& loss, double* x, int64_t n,
//       const double* grad, const GradCheckOptions& opt = {},
//       const std::function<bool(int64_t)>& near_kink = nullptr);
//
//   `loss()` evaluates a scalar function of the CURRENT contents of x[0..n);
//   `grad` is the analytic gradient d loss / d x at the current x. For each
//   checked coordinate i the checker sets x[i] = x0 +- h, calls loss(), and
//   restores x[i] = x0 exactly, then compares the central difference
//   (f(x0+h) - f(x0-h)) / 2h with grad[i]:
//       |fd - grad[i]| <= atol + rtol * max(|fd|, |grad[i]|).
//
//   Kink band (ReLU zeros, max-pool ties): a point within h of a kink has
//   no meaningful central difference. Such points are SKIPPED when either
//     - near_kink(i) says so (the caller knows where its kinks are), or
//     - the one-sided slopes (f(x0+h)-f(x0))/h and (f(x0)-f(x0-h))/h differ
//       by more than opt.kink_tol * max(1, |slopes|): the function is not
//       smooth across [x0-h, x0+h]. (A wrong analytic gradient cannot hide
//       here: on a smooth function both slopes agree with each other.)
//   More than opt.max_skipped_fraction of the checked points skipped fails,
//   so a test cannot pass by skipping everything.
//
//   A typical op check: loss = sum_i r_i * op(x)_i for fixed random r, so the
//   analytic gradient is op_backward(dy = r).
//
//   void push_from_zero(double* x, int64_t n, double band);
//       moves every |x_i| < band to +-band (keeps sign): inputs of a ReLU
//       check that stay clear of the kink.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>

namespace convnet::test {

struct GradCheckOptions {
  double h = 1e-6;          // central-difference step
  double rtol = 1e-5;       // relative tolerance
  double atol = 1e-7;       // absolute tolerance
  int64_t max_points = 0;   // 0 = every coordinate; else about this many, evenly strided
  double kink_tol = 1e-3;   // one-sided slopes differing more than this: a kink
  double max_skipped_fraction = 0.1;
};

::testing::AssertionResult check_gradient(const char* what, const std::function<double()>& loss,
                                          double* x, int64_t n, const double* grad,
                                          const GradCheckOptions& opt = {},
                                          const std::function<bool(int64_t)>& near_kink = nullptr);

void push_from_zero(double* x, int64_t n, double band);

}  // namespace convnet::test
