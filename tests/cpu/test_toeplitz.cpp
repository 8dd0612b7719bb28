// tests/cpu/test_toeplitz.cpp: the course's exercise 10.2b. A convolution is a
// linear map, so it equals multiplication by an explicit (doubly block)
// Toeplitz matrix T of size [C_out*OH*OW, C_in*H*W]:
//     y = T x + b,   and its adjoint gives backward data: dx = T^T dy.
// We build T entry by entry from the weights and compare with the CPU op.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/random_fill.h"
#include "common/shape_grid.h"
#include "convnet/cpu_ops.h"

namespace {

using namespace convnet;
using namespace convnet::test;

// T for ONE sample: row (co, oh, ow), column (ci, ih, iw).
std::vector<double> toeplitz(const Conv2dParams& p, const std::vector<double>& w) {
  const int OH = p.OH(), OW = p.OW();
  const int64_t rows = int64_t(p.C_out) * OH * OW, cols = int64_t(p.C_in) * p.H * p.W;
  std::vector<double> T(rows * cols, 0.0);
  for (int co = 0; co < p.C_out; ++co)
    for (int oh = 0; oh < OH; ++oh)
      for (int ow = 0; ow < OW; ++ow)
        for (int ci = 0; ci < p.C_in; ++ci)
          for (int kh = 0; kh < p.KH; ++kh)
            for (int kw = 0; kw < p.KW; ++kw) {
              const int ih = oh * p.stride_h - p.pad_h + kh * p.dil_h;
              const int iw = ow * p.stride_w - p.pad_w + kw * p.dil_w;
              if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;  // zero padding
              const int64_t row = (int64_t(co) * OH + oh) * OW + ow;
              const int64_t col = (int64_t(ci) * p.H + ih) * p.W + iw;
              T[row * cols + col] = w[((int64_t(co) * p.C_in + ci) * p.KH + kh) * p.KW + kw];
            }
  return T;
}

TEST(CpuToeplitz, ConvolutionIsMultiplicationByToeplitzMatrix) {
  Conv2dParams a{2, 2, 6, 7, 3, 3, 2};
  a.pad_h = 1, a.stride_w = 2, a.dil_h = 2;
  Conv2dParams b{1, 1, 1, 12, 2, 1, 3};  // 1-D: T is a banded Toeplitz matrix
  Conv2dParams c{1, 3, 5, 5, 2, 1, 1};   // 1x1: T is block diagonal
  uint64_t i = 0;
  for (const auto& p : {a, b, c}) {
    SCOPED_TRACE(describe(p));
    Rng rng(case_seed(5000 + i++));
    const auto x = random_vector<double>(p.x_size(), rng), w = random_vector<double>(p.w_size(), rng),
               bias = random_vector<double>(p.C_out, rng), dy = random_vector<double>(p.y_size(), rng);
    std::vector<double> y(p.y_size()), dx(p.x_size()), ws(cpu::conv2d_workspace_elems<double>(p));
    cpu::conv2d_forward(p, x.data(), w.data(), bias.data(), y.data(), ws.data());
    cpu::conv2d_backward_data(p, dy.data(), w.data(), dx.data(), ws.data());

    const std::vector<double> T = toeplitz(p, w);
    const int64_t rows = int64_t(p.C_out) * p.OH() * p.OW(), cols = int64_t(p.C_in) * p.H * p.W;
    const int64_t plane_out = int64_t(p.OH()) * p.OW();
    for (int n = 0; n < p.N; ++n) {
      for (int64_t r = 0; r < rows; ++r) {  // y_n = T x_n + b
        double s = bias[r / plane_out], mag = std::fabs(s);
        for (int64_t k = 0; k < cols; ++k) {
          s += T[r * cols + k] * x[n * cols + k];
          mag += std::fabs(T[r * cols + k] * x[n * cols + k]);
        }
        ASSERT_LE(std::fabs(y[n * rows + r] - s), 1e-13 * (mag + 1e-300) * double(cols))
            << "y[" << n << "," << r << "]";
      }
      for (int64_t k = 0; k < cols; ++k) {  // dx_n = T^T dy_n
        double s = 0.0, mag = 0.0;
        for (int64_t r = 0; r < rows; ++r) {
          s += T[r * cols + k] * dy[n * rows + r];
          mag += std::fabs(T[r * cols + k] * dy[n * rows + r]);
        }
        ASSERT_LE(std::fabs(dx[n * cols + k] - s), 1e-13 * mag * double(rows) + 1e-300)
            << "dx[" << n << "," << k << "]";
      }
    }
  }
}

}  // namespace
