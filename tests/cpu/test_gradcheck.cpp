// tests/cpu/test_gradcheck.cpp: the CPU backward ops (instantiated in double)
// against central finite differences of their own forward ops.
//
// For an op y = f(x) we check the scalar L = sum_i r_i * y_i with fixed
// random r, whose gradient is exactly the op's backward with dy = r.
#include <gtest/gtest.h>

#include <vector>

#include "common/grad_check.h"
#include "common/random_fill.h"
#include "common/shape_grid.h"
#include "convnet/cpu_ops.h"

namespace {

using namespace convnet;
using namespace convnet::test;

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

void gradcheck_conv(const Conv2dParams& p, uint64_t seed) {
  SCOPED_TRACE(describe(p));
  Rng rng(seed);
  auto x = random_vector<double>(p.x_size(), rng), w = random_vector<double>(p.w_size(), rng),
       b = random_vector<double>(p.C_out, rng);
  const auto r = random_vector<double>(p.y_size(), rng);
  std::vector<double> ws(cpu::conv2d_workspace_elems<double>(p)), y(p.y_size());
  auto loss = [&] {
    cpu::conv2d_forward(p, x.data(), w.data(), p.has_bias ? b.data() : nullptr, y.data(), ws.data());
    return dot(r, y);
  };
  std::vector<double> dx(p.x_size()), dw(p.w_size()), db(p.C_out);
  cpu::conv2d_backward_data(p, r.data(), w.data(), dx.data(), ws.data());
  cpu::conv2d_backward_weights(p, x.data(), r.data(), dw.data(), p.has_bias ? db.data() : nullptr,
                               ws.data());
  // Conv is linear in each argument: no kinks, central differences are exact
  // up to rounding.
  EXPECT_TRUE(check_gradient("conv dL/dx", loss, x.data(), p.x_size(), dx.data()));
  EXPECT_TRUE(check_gradient("conv dL/dw", loss, w.data(), p.w_size(), dw.data()));
  if (p.has_bias) EXPECT_TRUE(check_gradient("conv dL/db", loss, b.data(), p.C_out, db.data()));
}

TEST(CpuGradCheck, Conv2d) {
  std::vector<Conv2dParams> shapes;
  Conv2dParams a{2, 3, 7, 6, 4, 3, 3};
  a.pad_h = 1;
  a.stride_w = 2;
  Conv2dParams b{1, 2, 9, 8, 3, 2, 3};
  b.dil_h = 2, b.dil_w = 3, b.pad_w = 2, b.has_bias = false;
  Conv2dParams c{3, 2, 1, 15, 2, 1, 4};  // 1-D
  c.stride_w = 3, c.pad_w = 1;
  Conv2dParams d{2, 4, 5, 5, 5, 5, 5};   // one output pixel: the chunk path
  shapes = {a, b, c, d};
  uint64_t i = 0;
  for (const auto& p : shapes) gradcheck_conv(p, case_seed(4000 + i++));
}

TEST(CpuGradCheck, MaxPool) {
  const Pool2dParams shapes[] = {{2, 2, 6, 6}, {1, 3, 7, 5, 3, 3, 2, 2, 1, 1},
                                 {1, 1, 1, 9, 1, 3, 1, 1, 0, 1}};
  uint64_t i = 0;
  for (const auto& p : shapes) {
    Rng rng(case_seed(4100 + i++));
    auto x = random_vector<double>(p.x_size(), rng);
    const auto r = random_vector<double>(p.y_size(), rng);
    std::vector<double> y(p.y_size()), dx(p.x_size());
    std::vector<int32_t> arg(p.y_size());
    auto loss = [&] {
      cpu::maxpool2d_forward(p, x.data(), y.data(), arg.data());
      return dot(r, y);
    };
    loss();
    cpu::maxpool2d_backward(p, r.data(), arg.data(), dx.data());
    // Near-ties between two window entries are kinks: the checker skips them.
    EXPECT_TRUE(check_gradient("maxpool dL/dx", loss, x.data(), p.x_size(), dx.data()));
  }
}

TEST(CpuGradCheck, Relu) {
  const int64_t n = 500;
  Rng rng(case_seed(4200));
  auto x = random_vector<double>(n, rng);
  push_from_zero(x.data(), n, 1e-3);  // keep clear of the kink at 0 (h = 1e-6)
  const auto r = random_vector<double>(n, rng);
  std::vector<double> y(n), dx(n);
  auto loss = [&] {
    cpu::relu_forward(n, x.data(), y.data());
    return dot(r, y);
  };
  loss();
  cpu::relu_backward(n, y.data(), r.data(), dx.data());
  EXPECT_TRUE(check_gradient("relu dL/dx", loss, x.data(), n, dx.data()));
}

TEST(CpuGradCheck, Linear) {
  const LinearParams p{5, 7, 4};
  Rng rng(case_seed(4300));
  auto x = random_vector<double>(int64_t(p.N) * p.in, rng),
       W = random_vector<double>(int64_t(p.out) * p.in, rng), b = random_vector<double>(p.out, rng);
  const auto r = random_vector<double>(int64_t(p.N) * p.out, rng);
  std::vector<double> y(r.size()), dx(x.size()), dW(W.size()), db(b.size());
  auto loss = [&] {
    cpu::linear_forward(p, x.data(), W.data(), b.data(), y.data());
    return dot(r, y);
  };
  cpu::linear_backward(p, x.data(), W.data(), r.data(), dx.data(), dW.data(), db.data());
  EXPECT_TRUE(check_gradient("linear dL/dx", loss, x.data(), int64_t(x.size()), dx.data()));
  EXPECT_TRUE(check_gradient("linear dL/dW", loss, W.data(), int64_t(W.size()), dW.data()));
  EXPECT_TRUE(check_gradient("linear dL/db", loss, b.data(), int64_t(b.size()), db.data()));
}

TEST(CpuGradCheck, SoftmaxCrossEntropy) {
  const int N = 6, K = 10;
  Rng rng(case_seed(4400));
  auto z = random_vector<double>(N * K, rng, -3.0, 3.0);
  std::vector<int32_t> labels(N);
  fill_labels(labels.data(), N, K, rng);
  std::vector<double> dz(z.size());
  auto loss = [&] { return cpu::softmax_ce<double>(N, K, z.data(), labels.data(), nullptr, nullptr); };
  cpu::softmax_ce(N, K, z.data(), labels.data(), dz.data(), nullptr);
  EXPECT_TRUE(check_gradient("softmax_ce dL/dlogits", loss, z.data(), N * K, dz.data()));
}

// The whole LeNet-style chain conv -> relu -> pool -> linear -> softmax-CE,
// gradients flowing backward through every op into the first conv's weights.
TEST(CpuGradCheck, SmallNetworkEndToEnd) {
  Conv2dParams cp{2, 1, 8, 8, 3, 3, 3};                     // -> 2x3x6x6
  Pool2dParams pp{2, 3, 6, 6};                               // -> 2x3x3x3
  LinearParams lp{2, 27, 4};                                 // -> 2x4
  Rng rng(case_seed(4500));
  auto x = random_vector<double>(cp.x_size(), rng), w = random_vector<double>(cp.w_size(), rng),
       b = random_vector<double>(cp.C_out, rng),
       W = random_vector<double>(int64_t(lp.out) * lp.in, rng),
       bl = random_vector<double>(lp.out, rng);
  std::vector<int32_t> labels = {1, 3};
  std::vector<double> ws(cpu::conv2d_workspace_elems<double>(cp)), c(cp.y_size()), a(cp.y_size()),
      p(pp.y_size()), z(int64_t(lp.N) * lp.out);
  std::vector<int32_t> arg(pp.y_size());
  auto loss = [&] {
    cpu::conv2d_forward(cp, x.data(), w.data(), b.data(), c.data(), ws.data());
    cpu::relu_forward(cp.y_size(), c.data(), a.data());
    cpu::maxpool2d_forward(pp, a.data(), p.data(), arg.data());
    cpu::linear_forward(lp, p.data(), W.data(), bl.data(), z.data());
    return cpu::softmax_ce<double>(lp.N, lp.out, z.data(), labels.data(), nullptr, nullptr);
  };
  loss();
  std::vector<double> dz(z.size()), dp(p.size()), dW(W.size()), dbl(bl.size()), da(a.size()),
      dc(c.size()), dw(w.size()), db(b.size());
  cpu::softmax_ce(lp.N, lp.out, z.data(), labels.data(), dz.data(), nullptr);
  cpu::linear_backward(lp, p.data(), W.data(), dz.data(), dp.data(), dW.data(), dbl.data());
  cpu::maxpool2d_backward(pp, dp.data(), arg.data(), da.data());
  cpu::relu_backward(cp.y_size(), a.data(), da.data(), dc.data());
  cpu::conv2d_backward_weights(cp, x.data(), dc.data(), dw.data(), db.data(), ws.data());
  EXPECT_TRUE(check_gradient("network dL/dconv_w", loss, w.data(), int64_t(w.size()), dw.data()));
  EXPECT_TRUE(check_gradient("network dL/dconv_b", loss, b.data(), int64_t(b.size()), db.data()));
  EXPECT_TRUE(check_gradient("network dL/dW", loss, W.data(), int64_t(W.size()), dW.data()));
}

}  // namespace
