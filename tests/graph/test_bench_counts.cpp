// test_bench_counts.cpp: the bench's FLOP and byte counts (benchmarks/
// op_counts.h) against the hand calculation in docs/benchmarks.md.
//
// The numbers here are worked out by hand from the layer shapes, not by
// calling the functions under test, so a wrong formula cannot agree with
// itself. The shapes come from models/lenet5.net through infer_shapes(),
// exactly as the bench takes them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../benchmarks/op_counts.h"
#include "convnet/error.h"
#include "convnet/model.h"

namespace convnet {
namespace {

const LayerInfo& layer(const std::vector<LayerInfo>& layers, const std::string& name) {
  for (const LayerInfo& li : layers)
    if (li.desc.name == name) return li;
  throw Error("no layer " + name + " in lenet5.net");
}

std::vector<LayerInfo> lenet_b64() {
  return infer_shapes(load_model_file(std::string(CONVNET_SOURCE_DIR) + "/models/lenet5.net"), 64);
}

TEST(BenchCounts, C3AtBatch64MatchesTheHandCalculation) {
  const std::vector<LayerInfo> layers = lenet_b64();
  const Conv2dParams& p = layer(layers, "C3").conv;
  // C3: 6x14x14 -> 16x10x10, 5x5 kernels, batch 64.
  ASSERT_EQ(p.N, 64);
  ASSERT_EQ(p.C_in, 6);
  ASSERT_EQ(p.C_out, 16);
  ASSERT_EQ(p.OH(), 10);
  // FLOPs = 2 * N * C_out * OH * OW * C_in * KH * KW = 2 * 64 * 16 * 100 * 150.
  EXPECT_EQ(bench::conv_flops(p), 30720000);
  // Bytes, forward: x 64*6*14*14 = 75,264; w 16*6*25 = 2,400; b 16;
  // y 64*16*10*10 = 102,400 floats -> 180,080 * 4.
  EXPECT_EQ(bench::conv_fwd_bytes(p), 720320);
  // Backward-data: dy 102,400 + w 2,400 read, dx 75,264 written.
  EXPECT_EQ(bench::conv_bwd_data_bytes(p), 720256);
  // Backward-weights: x 75,264 + dy 102,400 read, dw 2,400 + db 16 written.
  EXPECT_EQ(bench::conv_bwd_weights_bytes(p), 720320);

  // The OpCase dispatch gives the same numbers, and the row name is the one
  // docs/benchmarks.md shows.
  bench::OpCase c;
  c.op = bench::OpKind::ConvFwd;
  c.shape = "C3";
  c.batch = 64;
  c.conv = p;
  EXPECT_EQ(bench::op_flops(c), 30720000);
  EXPECT_EQ(bench::op_bytes(c), 720320);
  EXPECT_EQ(bench::op_case_name(c) + "/cpu", "conv_fwd/C3/b64/cpu");

  // A measured 1.000 ms gives 30.72 GFLOP/s and 0.72032 GB/s (the docs' example).
  const double seconds = 1.0e-3;
  EXPECT_NEAR(double(bench::op_flops(c)) / seconds * 1e-9, 30.72, 1e-12);
  EXPECT_NEAR(double(bench::op_bytes(c)) / seconds * 1e-9, 0.72032, 1e-12);
}

TEST(BenchCounts, ConvFlopsAreTwiceTheModelMacs) {
  // An independent route: shape inference's per-sample MACs.
  const std::vector<LayerInfo> layers = lenet_b64();
  for (const char* name : {"C1", "C3", "C5"}) {
    const LayerInfo& li = layer(layers, name);
    EXPECT_EQ(bench::conv_flops(li.conv), 2 * 64 * li.macs) << name;
  }
}

TEST(BenchCounts, OtherLeNetOpsMatchHandNumbers) {
  const std::vector<LayerInfo> layers = lenet_b64();
  // S2: 64x6x28x28 -> 64x6x14x14, 2x2 windows.
  const Pool2dParams& s2 = layer(layers, "S2").pool;
  EXPECT_EQ(bench::pool_fwd_flops(s2), 64 * 6 * 14 * 14 * 4);             // 301,056 compares
  EXPECT_EQ(bench::pool_fwd_bytes(s2), 4 * (301056 + 2 * 75264));        // x read; y, argmax written
  EXPECT_EQ(bench::pool_bwd_bytes(s2), 4 * (2 * 75264 + 301056));        // dy, argmax read; dx written
  // F6: 120 -> 84 at batch 64.
  const LinearParams& f6 = layer(layers, "F6").linear;
  EXPECT_EQ(bench::linear_fwd_flops(f6), 2 * 64 * 120 * 84);             // 1,290,240
  EXPECT_EQ(bench::linear_bwd_flops(f6), 4 * 64 * 120 * 84);
  EXPECT_EQ(bench::linear_fwd_bytes(f6), 4 * (64 * 120 + 84 * 120 + 84 + 64 * 84));
  EXPECT_EQ(bench::linear_bwd_bytes(f6), 4 * (2 * 64 * 120 + 2 * 84 * 120 + 64 * 84 + 84));
  // ReLU after C1: 64 * 6*28*28 = 301,056 elements.
  EXPECT_EQ(bench::relu_fwd_bytes(301056), 8 * 301056);
  EXPECT_EQ(bench::relu_bwd_bytes(301056), 12 * 301056);
  // Softmax-CE over 10 classes at batch 64.
  EXPECT_EQ(bench::softmax_ce_flops(64, 10), 3200);
  EXPECT_EQ(bench::softmax_ce_bytes(64, 10), 4 * (640 + 64 + 640 + 64 + 1));
}

}  // namespace
}  // namespace convnet
