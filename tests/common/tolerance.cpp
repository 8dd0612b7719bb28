// tests/common/tolerance.cpp: error bounds from the reduction length (see tolerance.h).
#include "common/tolerance.h"

#include <cfloat>
#include <cmath>
#include <cstring>

namespace convnet::test {

namespace {

// One loop for all overloads: ref_at(i), mag_at(i) give the reference value
// and magnitude of element i; `scale` multiplies the bound.
template <class RefAt, class MagAt>
::testing::AssertionResult check_impl(const char* what, const float* got, RefAt ref_at,
                                      MagAt mag_at, int64_t n, int64_t K, double c, double tiny,
                                      double scale) {
  int64_t bad = 0, worst = -1;
  double worst_ratio = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double r = ref_at(i);
    const double bound = scale * c * double(K + 1) * double(FLT_EPSILON) * mag_at(i) + tiny;
    const double err = std::fabs(double(got[i]) - r);
    // NaN in got or ref fails (comparison with NaN is false).
    const bool ok = err <= bound;
    const double ratio = ok ? err / bound : (std::isnan(err) ? INFINITY : err / bound);
    if (!ok) ++bad;
    if (worst < 0 || ratio > worst_ratio) worst_ratio = ratio, worst = i;
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  const double r = ref_at(worst);
  const double bound = scale * c * double(K + 1) * double(FLT_EPSILON) * mag_at(worst) + tiny;
  return ::testing::AssertionFailure()
         << what << ": " << bad << " of " << n << " elements outside the bound (K=" << K
         << ", c=" << c << "); worst at index " << worst << ": got " << got[worst] << ", ref "
         << r << ", |diff| " << std::fabs(double(got[worst]) - r) << ", mag " << mag_at(worst)
         << ", bound " << bound << " (" << worst_ratio << "x the bound)";
}

}  // namespace

::testing::AssertionResult check_close(const char* what, const float* got, const double* ref,
                                       const double* mag, int64_t n, int64_t K, double c,
                                       double tiny) {
  return check_impl(what, got, [&](int64_t i) { return ref[i]; },
                    [&](int64_t i) { return mag[i]; }, n, K, c, tiny, 1.0);
}

::testing::AssertionResult check_close(const char* what, const float* got, const float* ref,
                                       const double* mag, int64_t n, int64_t K, double c,
                                       double tiny) {
  return check_impl(what, got, [&](int64_t i) { return double(ref[i]); },
                    [&](int64_t i) { return mag[i]; }, n, K, c, tiny, 2.0);
}

::testing::AssertionResult check_close_mag_scalar(const char* what, const float* got,
                                                  const double* ref, double mag, int64_t n,
                                                  int64_t K, double c, double tiny) {
  return check_impl(what, got, [&](int64_t i) { return ref[i]; }, [&](int64_t) { return mag; },
                    n, K, c, tiny, 1.0);
}

::testing::AssertionResult check_equal(const char* what, const float* got, const float* expected,
                                       int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (std::memcmp(&got[i], &expected[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << what << ": first mismatch at index " << i << " of "
                                           << n << ": got " << got[i] << ", expected "
                                           << expected[i] << " (bitwise comparison)";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult check_equal(const char* what, const int32_t* got,
                                       const int32_t* expected, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (got[i] != expected[i])
      return ::testing::AssertionFailure() << what << ": first mismatch at index " << i << " of "
                                           << n << ": got " << got[i] << ", expected "
                                           << expected[i];
  }
  return ::testing::AssertionSuccess();
}

}  // namespace convnet::test
