// tests/cpu/test_init.cpp: weight init schemes hit their target variance.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "convnet/error.h"
#include "convnet/init.h"

namespace {

using namespace convnet;

TEST(Init, ParseAndName) {
  EXPECT_EQ(parse_init_scheme("lecun-normal"), InitScheme::LecunNormal);
  EXPECT_EQ(parse_init_scheme("xavier"), InitScheme::LecunNormal) << "xavier = Var 1/fan_in";
  EXPECT_EQ(parse_init_scheme("lecun-uniform"), InitScheme::LecunUniform);
  EXPECT_EQ(parse_init_scheme("he-normal"), InitScheme::HeNormal);
  EXPECT_EQ(parse_init_scheme("he-uniform"), InitScheme::HeUniform);
  for (auto s : {InitScheme::LecunNormal, InitScheme::LecunUniform, InitScheme::HeNormal,
                 InitScheme::HeUniform})
    EXPECT_EQ(parse_init_scheme(init_scheme_name(s)), s);
  try {
    parse_init_scheme("glorot");
    FAIL() << "expected convnet::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("glorot"), std::string::npos) << e.what();
  }
}

// Empirical mean and variance of n draws against the target, within 6
// standard errors: se(mean) = sqrt(var/n); se(sample variance) =
// var * sqrt((kurtosis - 1)/n), kurtosis 3 (normal) or 9/5 (uniform).
TEST(Init, EmpiricalVarianceMatchesScheme) {
  const int64_t n = 400000;
  std::vector<float> w(n);
  uint64_t seed = 1;
  for (auto s : {InitScheme::LecunNormal, InitScheme::LecunUniform, InitScheme::HeNormal,
                 InitScheme::HeUniform}) {
    for (int64_t fan_in : {1, 25, 150, 400}) {
      Rng rng(seed++);
      init_weights(s, fan_in, w.data(), n, rng);
      const double target = ((s == InitScheme::HeNormal || s == InitScheme::HeUniform) ? 2.0 : 1.0) /
                            double(fan_in);
      EXPECT_DOUBLE_EQ(init_variance(s, fan_in), target);
      double mean = 0.0;
      for (float v : w) mean += v;
      mean /= double(n);
      double var = 0.0, maxabs = 0.0;
      for (float v : w) var += (v - mean) * (v - mean), maxabs = std::max(maxabs, double(std::fabs(v)));
      var /= double(n - 1);
      const bool uniform = (s == InitScheme::LecunUniform || s == InitScheme::HeUniform);
      const double kurt = uniform ? 1.8 : 3.0;
      EXPECT_LT(std::fabs(mean), 6.0 * std::sqrt(target / n)) << init_scheme_name(s) << " fan_in " << fan_in;
      EXPECT_LT(std::fabs(var - target), 6.0 * target * std::sqrt((kurt - 1.0) / n))
          << init_scheme_name(s) << " fan_in " << fan_in << ": variance " << var << " vs " << target;
      if (uniform) {
        const double a = std::sqrt(3.0 * target);
        EXPECT_LE(maxabs, a * (1 + 1e-6)) << "U(-a, a) with a = sqrt(3 var)";
        EXPECT_GT(maxabs, 0.99 * a);
      }
    }
  }
}

TEST(Init, SameSeedSameWeights) {
  std::vector<float> a(100), b(100);
  Rng r1(7), r2(7);
  init_weights(InitScheme::HeNormal, 10, a.data(), 100, r1);
  init_weights(InitScheme::HeNormal, 10, b.data(), 100, r2);
  EXPECT_EQ(a, b);
  EXPECT_THROW(init_variance(InitScheme::HeNormal, 0), Error);
}

}  // namespace
