// tests/cpu/test_test_utils.cpp: the shared test utilities themselves can fail.
#include <gtest/gtest.h>

#include <cfloat>
#include <set>
#include <vector>

#include "common/grad_check.h"
#include "common/shape_grid.h"
#include "common/tolerance.h"

namespace {

using namespace convnet;
using namespace convnet::test;

TEST(TestUtils, PairwiseCoverCoversEveryValidPair) {
  const std::vector<int> levels = {3, 4, 2, 5};
  auto valid = [](const std::vector<int>& r) { return !(r[0] == 2 && r[1] == 3); };
  const auto rows = pairwise_cover(levels, valid);
  // Every pair (f, a, g, b) that some valid row holds must be in the cover.
  std::set<std::vector<int>> need, have;
  std::vector<int> r(4);
  for (r[0] = 0; r[0] < 3; ++r[0])
    for (r[1] = 0; r[1] < 4; ++r[1])
      for (r[2] = 0; r[2] < 2; ++r[2])
        for (r[3] = 0; r[3] < 5; ++r[3])
          if (valid(r))
            for (int f = 0; f < 4; ++f)
              for (int g = f + 1; g < 4; ++g) need.insert({f, r[f], g, r[g]});
  for (const auto& row : rows) {
    EXPECT_TRUE(valid(row));
    for (int f = 0; f < 4; ++f)
      for (int g = f + 1; g < 4; ++g) have.insert({f, row[f], g, row[g]});
  }
  EXPECT_EQ(need, have);
  EXPECT_LT(rows.size(), 3u * 4 * 2 * 5) << "a covering set is smaller than the product";
}

TEST(TestUtils, GridsAreValidAndDescribed) {
  for (const auto& p : conv_grid()) {
    EXPECT_GT(p.OH(), 0) << describe(p);
    EXPECT_GT(p.OW(), 0) << describe(p);
  }
  for (const auto& p : pool_grid()) EXPECT_GT(p.OH() * p.OW(), 0) << describe(p);
  const Conv2dParams p{2, 3, 5, 7, 4, 3, 1};
  EXPECT_EQ(describe(p).find("conv N=2 C_in=3 HxW=5x7 C_out=4 K=3x1"), 0u) << describe(p);
}

TEST(TestUtils, CheckCloseDetectsAnError) {
  const double ref[3] = {1.0, 2.0, 3.0};
  const double mag[3] = {1.0, 2.0, 3.0};
  float got[3] = {1.0f, 2.0f, 3.0f};
  EXPECT_TRUE(check_close("exact", got, ref, mag, 3, 10));
  got[1] = 2.0f + 2.0f * 12 * FLT_EPSILON * 2.0f;  // beyond (K+1)*eps*mag with K = 10
  const auto r = check_close("perturbed", got, ref, mag, 3, 10);
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("index 1"), std::string::npos) << r.message();
}

TEST(TestUtils, GradientCheckerCatchesWrongGradient) {
  std::vector<double> x = {0.3, -0.7, 1.1};
  auto f = [&] { return x[0] * x[0] + 3.0 * x[1] + x[0] * x[2]; };
  std::vector<double> good = {2 * x[0] + x[2], 3.0, x[0]};
  std::vector<double> bad = good;
  bad[2] += 1e-3;
  EXPECT_TRUE(check_gradient("good", f, x.data(), 3, good.data()));
  EXPECT_FALSE(check_gradient("bad", f, x.data(), 3, bad.data()));
  EXPECT_EQ(x, (std::vector<double>{0.3, -0.7, 1.1})) << "x restored exactly";
  // A kink right at a checked point is skipped, but too many kinks fail.
  std::vector<double> z = {0.0, 0.0};
  auto relu_sum = [&] { return (z[0] > 0 ? z[0] : 0) + (z[1] > 0 ? z[1] : 0); };
  std::vector<double> g = {0.0, 0.0};
  EXPECT_FALSE(check_gradient("all kinks", relu_sum, z.data(), 2, g.data()));
}

}  // namespace
