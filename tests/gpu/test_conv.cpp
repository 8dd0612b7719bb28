// tests/gpu/test_conv.cpp: every CUDA conv kernel variant against the CPU ops.
//
// For each shape: fresh random x, w, b, dy; the CPU ops run in float (the
// baseline) and in double (the reference, and on |x|, |w| for the per-element
// magnitudes of the reduction-length bound, tests/common/tolerance.h). Each
// variant (direct, tiled, auto) runs on outputs poisoned with NaN, so an
// element a kernel never writes fails. The variants are bit-identical by
// construction (same fmaf order), which is checked exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/random_fill.h"
#include "common/shape_grid.h"
#include "common/tolerance.h"
#include "convnet/cpu_ops.h"
#include "convnet/error.h"
#include "conv_oracle.h"
#include "gpu_test_util.h"

namespace {

using namespace convnet;
using namespace convnet::test;


// GPU vs the CPU float result and vs the CPU double reference.
void expect_matches_cpu(const Conv2dParams& p, const ConvOracle& o, const ConvResult& g,
                        const std::string& variant) {
  SCOPED_TRACE("variant " + variant);
  const int64_t k_fwd = p.K() + 1;  // + the bias
  const int64_t k_bwd_data = int64_t(p.C_out) * p.KH * p.KW;
  const int64_t k_bwd_w = int64_t(p.N) * p.OH() * p.OW();
  EXPECT_TRUE(check_close("y vs cpu double", g.y.data(), o.y.data(), o.y_mag.data(), p.y_size(), k_fwd));
  EXPECT_TRUE(check_close("y vs cpu float", g.y.data(), o.f.y.data(), o.y_mag.data(), p.y_size(), k_fwd));
  EXPECT_TRUE(check_close("dx vs cpu double", g.dx.data(), o.dx.data(), o.dx_mag.data(), p.x_size(),
                          k_bwd_data));
  EXPECT_TRUE(check_close("dx vs cpu float", g.dx.data(), o.f.dx.data(), o.dx_mag.data(), p.x_size(),
                          k_bwd_data));
  EXPECT_TRUE(check_close("dw vs cpu double", g.dw.data(), o.dw.data(), o.dw_mag.data(), p.w_size(),
                          k_bwd_w));
  EXPECT_TRUE(check_close("dw vs cpu float", g.dw.data(), o.f.dw.data(), o.dw_mag.data(), p.w_size(),
                          k_bwd_w));
  if (p.has_bias) {
    EXPECT_TRUE(check_close("db vs cpu double", g.db.data(), o.db.data(), o.db_mag.data(), p.C_out,
                            k_bwd_w));
    EXPECT_TRUE(check_close("db vs cpu float", g.db.data(), o.f.db.data(), o.db_mag.data(), p.C_out,
                            k_bwd_w));
  }
}

void expect_bit_identical(const Conv2dParams& p, const ConvResult& a, const ConvResult& b,
                          const char* what) {
  SCOPED_TRACE(what);
  EXPECT_TRUE(check_equal("y", a.y.data(), b.y.data(), p.y_size()));
  EXPECT_TRUE(check_equal("dx", a.dx.data(), b.dx.data(), p.x_size()));
  EXPECT_TRUE(check_equal("dw", a.dw.data(), b.dw.data(), p.w_size()));
  if (p.has_bias) EXPECT_TRUE(check_equal("db", a.db.data(), b.db.data(), p.C_out));
}

// One shape through every variant; returns false after a failure so a sweep
// stops at the first broken shape (one report is enough).
bool check_all_variants(Backend& direct, Backend& tiled, Backend& autov, const Conv2dParams& p,
                        uint64_t seed) {
  SCOPED_TRACE(describe(p) + " seed=" + std::to_string(seed));
  const ConvInputs in = random_conv_inputs(p, seed);
  const ConvOracle o = cpu_oracle(p, in);
  const ConvResult gd = gpu_conv_all(direct, p, in);
  const ConvResult gt = gpu_conv_all(tiled, p, in);
  const ConvResult ga = gpu_conv_all(autov, p, in);
  expect_matches_cpu(p, o, gd, "direct");
  expect_matches_cpu(p, o, gt, "tiled");
  expect_matches_cpu(p, o, ga, "auto");
  expect_bit_identical(p, gd, gt, "direct vs tiled must be bit-identical");
  expect_bit_identical(p, gd, ga, "direct vs auto must be bit-identical");
  return !::testing::Test::HasFailure();
}

class CudaConv : public GpuTest {};

TEST_F(CudaConv, GridAllVariantsMatchCpu) {
  auto direct = backend(ConvVariant::Direct);
  auto tiled = backend(ConvVariant::Tiled);
  auto autov = backend(ConvVariant::Auto);
  const auto grid = conv_grid();
  ASSERT_GT(grid.size(), 10u);
  for (size_t i = 0; i < grid.size(); ++i) {
    Conv2dParams p = grid[i];
    if (small_mode()) {  // sanitizer run: same shape factors, fewer channels
      p.C_in = std::min(p.C_in, 8);
      p.C_out = std::min(p.C_out, 8);
    }
    if (!check_all_variants(*direct, *tiled, *autov, p, case_seed(5000 + i))) break;
  }
}

// The LeNet-5 layers the trainer runs (batch 1 and a real batch).
TEST_F(CudaConv, LeNetLayers) {
  auto direct = backend(ConvVariant::Direct);
  auto tiled = backend(ConvVariant::Tiled);
  auto autov = backend(ConvVariant::Auto);
  const int big_batch = small_mode() ? 4 : 16;
  uint64_t i = 6000;
  for (int N : {1, big_batch}) {
    const Conv2dParams c1{N, 1, 32, 32, 6, 5, 5};
    const Conv2dParams c3{N, 6, 14, 14, 16, 5, 5};
    const Conv2dParams c5{N, 16, 5, 5, 120, 5, 5};
    for (const auto& p : {c1, c3, c5})
      if (!check_all_variants(*direct, *tiled, *autov, p, case_seed(i++))) return;
  }
}

// Channel counts beyond the grid (64 to 256), batch 1, odd sizes and tiles
// that only partly fill (C not a multiple of the 16-channel tile).
TEST_F(CudaConv, LargeChannelsAndBatchOne) {
  auto direct = backend(ConvVariant::Direct);
  auto tiled = backend(ConvVariant::Tiled);
  auto autov = backend(ConvVariant::Auto);
  std::vector<Conv2dParams> cases;
  Conv2dParams a{1, 256, 6, 7, 128, 3, 3};
  a.pad_h = a.pad_w = 1;
  Conv2dParams b{2, 96, 9, 9, 200, 3, 2};
  b.stride_h = 2;
  Conv2dParams c{1, 64, 10, 10, 256, 1, 1};
  c.has_bias = false;
  Conv2dParams d{1, 130, 5, 11, 70, 3, 3};
  d.dil_w = 2;
  d.pad_w = 2;
  if (small_mode()) {
    a.C_in = 64, a.C_out = 64;
    cases = {a, d};
  } else {
    cases = {a, b, c, d};
  }
  uint64_t i = 7000;
  for (const auto& p : cases)
    if (!check_all_variants(*direct, *tiled, *autov, p, case_seed(i++))) return;
}

// Spatial sizes larger than one 8x8 tile in both directions, with stride and
// padding, so tile borders and the dy/x patch bounds are exercised.
TEST_F(CudaConv, MultiTileSpatial) {
  auto direct = backend(ConvVariant::Direct);
  auto tiled = backend(ConvVariant::Tiled);
  auto autov = backend(ConvVariant::Auto);
  Conv2dParams a{2, 3, 37, 29, 5, 3, 3};
  a.pad_h = a.pad_w = 1;
  Conv2dParams b{1, 2, 40, 33, 3, 4, 5};
  b.stride_h = 3, b.stride_w = 2, b.pad_h = 2, b.dil_w = 2;
  Conv2dParams c{1, 2, 1, 300, 4, 1, 7};  // long 1-D signal: 1x64 tiles
  c.stride_w = 2;
  c.pad_w = 3;
  uint64_t i = 8000;
  for (const auto& p : {a, b, c})
    if (!check_all_variants(*direct, *tiled, *autov, p, case_seed(i++))) return;
}

// A kernel so large that the tiled variant's weight tile cannot fit in shared
// memory: forcing tiled must fail with a message naming the shape; auto must
// fall back to direct and still be right.
TEST_F(CudaConv, TiledRefusesShapesThatDoNotFitAndAutoFallsBack) {
  Conv2dParams p{1, 2, 42, 40, 3, 40, 40};
  const ConvInputs in = random_conv_inputs(p, case_seed(9000));
  auto tiled = backend(ConvVariant::Tiled);
  DeviceBuf<float> x(*tiled, in.x), w(*tiled, in.w), b(*tiled, in.b), y(*tiled, p.y_size());
  try {
    tiled->conv2d_forward(p, x.get(), w.get(), b.get(), y.get(), nullptr);
    FAIL() << "tiled conv2d_forward accepted a 40x40 kernel it cannot tile";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("conv2d_forward (tiled)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("k=40x40"), std::string::npos) << msg;
    EXPECT_NE(msg.find("shared memory"), std::string::npos) << msg;
  }
  auto autov = backend(ConvVariant::Auto);
  const ConvOracle o = cpu_oracle(p, in);
  expect_matches_cpu(p, o, gpu_conv_all(*autov, p, in), "auto (falls back to direct)");
}

// Bad shapes are refused with a message, not launched.
TEST_F(CudaConv, BadShapeThrowsNamingTheShape) {
  auto be = backend();
  Conv2dParams p{1, 1, 3, 3, 1, 5, 5};  // 5x5 kernel on a 3x3 input, no padding
  try {
    be->conv2d_forward(p, nullptr, nullptr, nullptr, nullptr, nullptr);
    FAIL() << "conv2d_forward accepted a kernel larger than its input";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("conv2d_forward"), std::string::npos) << msg;
    EXPECT_NE(msg.find("H=3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("does not fit"), std::string::npos) << msg;
  }
}

// The tiled weight gradient needs the workspace the backend asked for;
// without one it must say so instead of writing through a null pointer.
TEST_F(CudaConv, TiledBackwardWeightsWithoutWorkspaceThrows) {
  Conv2dParams p{2, 3, 6, 6, 4, 3, 3};
  auto be = backend(ConvVariant::Tiled);
  ASSERT_GT(be->conv2d_workspace_bytes(p), 0u);
  const ConvInputs in = random_conv_inputs(p, case_seed(9050));
  DeviceBuf<float> x(*be, in.x), dy(*be, in.dy), dw(*be, p.w_size()), db(*be, p.C_out);
  try {
    be->conv2d_backward_weights(p, x.get(), dy.get(), dw.get(), db.get(), nullptr);
    FAIL() << "tiled conv2d_backward_weights ran without its workspace";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("conv2d_backward_weights (tiled)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("workspace"), std::string::npos) << msg;
  }
}

// Running the same op twice gives the same bits (no atomics in the weight
// gradient; fixed-order reductions only).
TEST_F(CudaConv, BackwardWeightsIsReproducible) {
  Conv2dParams p{8, 6, 14, 14, 16, 5, 5};
  const ConvInputs in = random_conv_inputs(p, case_seed(9100));
  for (ConvVariant v : {ConvVariant::Direct, ConvVariant::Tiled}) {
    SCOPED_TRACE(conv_variant_name(v));
    auto be = backend(v);
    const ConvResult a = gpu_conv_all(*be, p, in);
    const ConvResult b = gpu_conv_all(*be, p, in);
    expect_bit_identical(p, a, b, "two runs");
  }
}

}  // namespace
