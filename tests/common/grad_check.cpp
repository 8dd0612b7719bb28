// tests/common/grad_check.cpp: finite-difference gradient checks (see grad_check.h).
#include "common/grad_check.h"

#include <algorithm>
#include <cmath>

namespace convnet::test {

::testing::AssertionResult check_gradient(const char* what, const std::function<double()>& loss,
                                          double* x, int64_t n, const double* grad,
                                          const GradCheckOptions& opt,
                                          const std::function<bool(int64_t)>& near_kink) {
  const int64_t stride =
      (opt.max_points > 0 && n > opt.max_points) ? (n + opt.max_points - 1) / opt.max_points : 1;
  const double f0 = loss();
  int64_t checked = 0, skipped = 0, bad = 0, worst = -1;
  double worst_excess = 0.0, worst_fd = 0.0;
  for (int64_t i = 0; i < n; i += stride) {
    ++checked;
    if (near_kink && near_kink(i)) {
      ++skipped;
      continue;
    }
    const double x0 = x[i];
    x[i] = x0 + opt.h;
    const double fp = loss();
    x[i] = x0 - opt.h;
    const double fm = loss();
    x[i] = x0;
    // The step actually taken (x0 + h is rounded) keeps the quotient honest.
    const double h_up = (x0 + opt.h) - x0, h_dn = x0 - (x0 - opt.h);
    const double up = (fp - f0) / h_up, dn = (f0 - fm) / h_dn;
    if (std::fabs(up - dn) > opt.kink_tol * std::max({1.0, std::fabs(up), std::fabs(dn)})) {
      ++skipped;
      continue;
    }
    const double fd = (fp - fm) / (h_up + h_dn);
    const double tol = opt.atol + opt.rtol * std::max(std::fabs(fd), std::fabs(grad[i]));
    const double err = std::fabs(fd - grad[i]);
    if (!(err <= tol)) {
      ++bad;
      if (worst < 0 || err / tol > worst_excess) worst_excess = err / tol, worst = i, worst_fd = fd;
    }
  }
  if (bad > 0)
    return ::testing::AssertionFailure()
           << what << ": " << bad << " of " << checked << " checked coordinates disagree with "
           << "central differences (h=" << opt.h << "); worst at index " << worst
           << ": analytic " << grad[worst] << ", finite difference " << worst_fd << " ("
           << worst_excess << "x the tolerance atol=" << opt.atol << " rtol=" << opt.rtol << ")";
  if (double(skipped) > opt.max_skipped_fraction * double(checked))
    return ::testing::AssertionFailure()
           << what << ": " << skipped << " of " << checked
           << " coordinates sit on a kink (skipped); more than the allowed fraction "
           << opt.max_skipped_fraction << ", so the check would prove little";
  return ::testing::AssertionSuccess();
}

void push_from_zero(double* x, int64_t n, double band) {
  for (int64_t i = 0; i < n; ++i)
    if (std::fabs(x[i]) < band) x[i] = (x[i] < 0.0) ? -band : band;
}

}  // namespace convnet::test
