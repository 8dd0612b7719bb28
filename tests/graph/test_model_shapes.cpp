// test_model_shapes.cpp: infer_shapes() on the course's nets and its errors.
//
// The expected numbers are worked out by hand in the comments, from the
// definitions (conv output (H + 2P - D(K-1) - 1)/S + 1, MACs C_out*OH*OW*C_in*KH*KW),
// not read back from the code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "convnet/error.h"
#include "convnet/model.h"

using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace convnet {
namespace {

std::vector<LayerInfo> shapes_of(const std::string& text, int N = 1) {
  return infer_shapes(parse_model(text, "t.net"), N);
}

std::string shape_error(const std::string& text, int N = 1) {
  try {
    shapes_of(text, N);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const LayerInfo& by_name(const std::vector<LayerInfo>& ls, const std::string& name) {
  for (const LayerInfo& L : ls)
    if (L.desc.name == name) return L;
  throw Error("no layer " + name);
}

void expect_shape(const LayerInfo& L, int c, int h, int w) {
  EXPECT_EQ(L.out.c, c) << L.desc.name;
  EXPECT_EQ(L.out.h, h) << L.desc.name;
  EXPECT_EQ(L.out.w, w) << L.desc.name;
}

TEST(ModelShapes, LeNet5Shapes) {
  const int N = 7;
  const auto ls = infer_shapes(load_model_file(CONVNET_SOURCE_DIR "/models/lenet5.net"), N);
  ASSERT_EQ(ls.size(), 12u);
  expect_shape(by_name(ls, "C1"), 6, 28, 28);
  expect_shape(by_name(ls, "relu1"), 6, 28, 28);
  expect_shape(by_name(ls, "S2"), 6, 14, 14);
  expect_shape(by_name(ls, "C3"), 16, 10, 10);
  expect_shape(by_name(ls, "S4"), 16, 5, 5);
  expect_shape(by_name(ls, "C5"), 120, 1, 1);
  expect_shape(by_name(ls, "F6"), 84, 1, 1);
  expect_shape(by_name(ls, "F7"), 10, 1, 1);
  expect_shape(by_name(ls, "loss"), 10, 1, 1);

  // Each layer's input is the previous layer's output.
  EXPECT_EQ(ls[0].in.c, 1);
  EXPECT_EQ(ls[0].in.h, 32);
  for (size_t i = 1; i < ls.size(); ++i) EXPECT_EQ(ls[i].in.size(), ls[i - 1].out.size());

  // The exact params structs the backends get, batch included.
  const Conv2dParams& c3 = by_name(ls, "C3").conv;
  EXPECT_EQ(c3.N, N);
  EXPECT_EQ(c3.C_in, 6);
  EXPECT_EQ(c3.H, 14);
  EXPECT_EQ(c3.W, 14);
  EXPECT_EQ(c3.C_out, 16);
  EXPECT_EQ(c3.KH, 5);
  EXPECT_EQ(c3.KW, 5);
  EXPECT_EQ(c3.stride_h, 1);
  EXPECT_EQ(c3.pad_h, 0);
  EXPECT_TRUE(c3.has_bias);
  const Pool2dParams& s2 = by_name(ls, "S2").pool;
  EXPECT_EQ(s2.N, N);
  EXPECT_EQ(s2.C, 6);
  EXPECT_EQ(s2.H, 28);
  EXPECT_EQ(s2.KH, 2);
  EXPECT_EQ(s2.stride_h, 2);
  EXPECT_EQ(s2.OH(), 14);
  const LinearParams& f6 = by_name(ls, "F6").linear;
  EXPECT_EQ(f6.N, N);
  EXPECT_EQ(f6.in, 120);
  EXPECT_EQ(f6.out, 84);
  EXPECT_TRUE(f6.has_bias);
}

TEST(ModelShapes, LeNet5ParamsAndMacs) {
  const auto ls = infer_shapes(load_model_file(CONVNET_SOURCE_DIR "/models/lenet5.net"), 1);
  // C1 6*1*25+6 = 156, C3 16*6*25+16 = 2416, C5 120*16*25+120 = 48120,
  // F6 120*84+84 = 10164, F7 84*10+10 = 850.
  EXPECT_EQ(by_name(ls, "C1").weight_count, 150);
  EXPECT_EQ(by_name(ls, "C1").bias_count, 6);
  EXPECT_EQ(by_name(ls, "C3").weight_count + by_name(ls, "C3").bias_count, 2416);
  EXPECT_EQ(by_name(ls, "C5").weight_count + by_name(ls, "C5").bias_count, 48120);
  EXPECT_EQ(by_name(ls, "F6").weight_count, 10080);
  EXPECT_EQ(by_name(ls, "F6").bias_count, 84);
  EXPECT_EQ(by_name(ls, "F7").weight_count + by_name(ls, "F7").bias_count, 850);
  EXPECT_EQ(count_params(ls), 61706);
  // MACs: C1 6*28*28*1*25 = 117600, C3 16*10*10*6*25 = 240000,
  // C5 120*1*1*16*25 = 48000, F6 120*84 = 10080, F7 84*10 = 840.
  EXPECT_EQ(by_name(ls, "C1").macs, 117600);
  EXPECT_EQ(by_name(ls, "C3").macs, 240000);
  EXPECT_EQ(by_name(ls, "C5").macs, 48000);
  EXPECT_EQ(by_name(ls, "F6").macs, 10080);
  EXPECT_EQ(by_name(ls, "F7").macs, 840);
  EXPECT_EQ(by_name(ls, "S2").macs, 0);
  EXPECT_EQ(by_name(ls, "relu1").macs, 0);
  EXPECT_EQ(count_macs(ls), 416520);
  // The per-sample MACs agree with the params struct's own count.
  EXPECT_EQ(by_name(ls, "C3").macs, by_name(ls, "C3").conv.macs());
}

TEST(ModelShapes, LeNet5ReceptiveFields) {
  const auto ls = infer_shapes(load_model_file(CONVNET_SOURCE_DIR "/models/lenet5.net"), 1);
  // rf: C1 5, S2 5+1*1 = 6 (jump 2), C3 6+4*2 = 14, S4 14+1*2 = 16 (jump 4),
  // C5 16+4*4 = 32: C5 sees the whole 32x32 image; F6, F7 and the loss too.
  EXPECT_EQ(by_name(ls, "C1").rf_h, 5);
  EXPECT_EQ(by_name(ls, "S2").rf_h, 6);
  EXPECT_EQ(by_name(ls, "S2").jump_h, 2);
  EXPECT_EQ(by_name(ls, "C3").rf_w, 14);
  EXPECT_EQ(by_name(ls, "S4").rf_h, 16);
  EXPECT_EQ(by_name(ls, "S4").jump_w, 4);
  EXPECT_EQ(by_name(ls, "C5").rf_h, 32);
  EXPECT_EQ(by_name(ls, "F6").rf_h, 32);
  EXPECT_EQ(by_name(ls, "F7").rf_w, 32);
  EXPECT_EQ(by_name(ls, "loss").rf_w, 32);
}

TEST(ModelShapes, Exercise10_1) {
  const auto ls = infer_shapes(load_model_file(CONVNET_SOURCE_DIR "/models/exercise10_1.net"), 1);
  ASSERT_EQ(ls.size(), 6u);
  // conv: 3 filters of 1x4x4, no bias: 48 parameters; 13 -> 10.
  EXPECT_EQ(ls[0].weight_count, 48);
  EXPECT_EQ(ls[0].bias_count, 0);
  EXPECT_FALSE(ls[0].conv.has_bias);
  expect_shape(ls[0], 3, 10, 10);
  // pool 2x2/2: 10 -> 5; linear 75 -> 4 without bias: 300 weights.
  expect_shape(ls[2], 3, 5, 5);
  EXPECT_EQ(ls[3].linear.in, 75);
  EXPECT_EQ(ls[3].weight_count, 300);
  EXPECT_EQ(ls[3].bias_count, 0);
  EXPECT_EQ(count_params(ls), 348);
  // ReLU evaluations per forward pass: 3*10*10 after the conv + 4 after the FC.
  int64_t relu_evals = 0;
  for (const LayerInfo& L : ls)
    if (L.desc.type == LayerType::ReLU) relu_evals += L.activations;
  EXPECT_EQ(relu_evals, 304);
  // The linear layer reads the whole 5x5 map, whose positions cover the
  // whole 13x13 image: rf 4 (conv), 5 (pool, jump 2), 5 + 4*2 = 13.
  EXPECT_EQ(ls[0].rf_h, 4);
  EXPECT_EQ(ls[2].rf_h, 5);
  EXPECT_EQ(ls[3].rf_h, 13);
  EXPECT_EQ(ls[3].rf_w, 13);
}

TEST(ModelShapes, ThreeStacked3x3ConvsSee7x7) {
  const auto ls = shapes_of(
      "input 1 16 16\n"
      "conv out=4 kernel=3 pad=1\nrelu\n"
      "conv out=4 kernel=3 pad=1\nrelu\n"
      "conv out=4 kernel=3 pad=1\nrelu\n"
      "linear out=2\nsoftmax_ce\n");
  EXPECT_EQ(ls[0].rf_h, 3);
  EXPECT_EQ(ls[2].rf_h, 5);
  EXPECT_EQ(ls[4].rf_h, 7);
  EXPECT_EQ(ls[4].rf_w, 7);
  EXPECT_EQ(ls[4].jump_h, 1);
  expect_shape(ls[4], 4, 16, 16);  // pad 1 keeps the size
}

TEST(ModelShapes, StrideDilationAndRectangles) {
  const auto ls = shapes_of(
      "input 2 17 12\n"
      "conv out=3 kernel=3x5 stride=2 pad=1x0 dilation=2x1\n"  // H: (17+2-5)/2+1 = 8; W: (12-5)/2+1 = 4
      "maxpool kernel=3x2 stride=1 pad=1x0\n"                  // H: (8+2-3)+1 = 8; W: (4-2)+1 = 3
      "softmax_ce\n");
  expect_shape(ls[0], 3, 8, 4);
  EXPECT_EQ(ls[0].macs, 3 * 8 * 4 * 2 * 3 * 5);
  EXPECT_EQ(ls[0].weight_count, 3 * 2 * 3 * 5);
  EXPECT_EQ(ls[0].conv.dil_h, 2);
  // rf: k_eff_h = 2*(3-1)+1 = 5, k_eff_w = 5; jump 2 both.
  EXPECT_EQ(ls[0].rf_h, 5);
  EXPECT_EQ(ls[0].rf_w, 5);
  EXPECT_EQ(ls[0].jump_h, 2);
  expect_shape(ls[1], 3, 8, 3);
  EXPECT_EQ(ls[1].pool.pad_h, 1);
  // pool: rf 5 + 2*2 = 9 (H), 5 + 1*2 = 7 (W); stride 1 keeps the jump.
  EXPECT_EQ(ls[1].rf_h, 9);
  EXPECT_EQ(ls[1].rf_w, 7);
  EXPECT_EQ(ls[1].jump_w, 2);
  // softmax_ce flattens: 3*8*3 = 72 classes.
  expect_shape(ls[2], 72, 1, 1);
  EXPECT_EQ(ls[2].activations, 72);
}

TEST(ModelShapes, KernelLargerThanPaddedInput) {
  // LeNet-5 on a 24x24 input: C1 -> 20, S2 -> 10, C3 -> 6, S4 -> 3: C5 fails.
  std::string msg = shape_error(
      "input 1 24 24\nconv C1 out=6 kernel=5\nmaxpool S2 kernel=2\nconv C3 out=16 kernel=5\n"
      "maxpool S4 kernel=2\nconv C5 out=120 kernel=5\nsoftmax_ce\n");
  EXPECT_THAT(msg, StartsWith("t.net:6: "));
  EXPECT_THAT(msg, HasSubstr("C5 (conv 5x5, pad 0): input 16x3x3 is smaller than the kernel"));
  // Padding counts: 3x3 padded by 1 fits a 5x5 kernel.
  EXPECT_EQ(shape_error("input 1 3 3\nconv out=2 kernel=5 pad=1\nsoftmax_ce\n"), "");
  msg = shape_error("input 1 4 9\nconv out=2 kernel=3 dilation=2\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("conv1 (conv 3x3, pad 0, dilation 2): input 1x4x9 is smaller than the dilated kernel (5x5)"));
}

TEST(ModelShapes, PoolWindowTooBig) {
  const std::string msg = shape_error("input 2 3 8\nmaxpool P kernel=4\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("t.net:2: P (maxpool 4x4, stride 4, pad 0): input 2x3x8 is smaller than the window"));
}

TEST(ModelShapes, SoftmaxNotLastOrMissing) {
  std::string msg = shape_error("input 1 4 4\nsoftmax_ce sm\nlinear F out=3\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("t.net:2: softmax_ce 'sm' must be the last layer, but 'F' follows it"));
  msg = shape_error("input 1 4 4\nlinear F out=3\nrelu\n");
  EXPECT_THAT(msg, HasSubstr("t.net: the last layer must be softmax_ce (the loss), but it is relu 'relu1'"));
  msg = shape_error("input 1 4 4\nlinear F out=1\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("needs at least 2 classes"));
}

TEST(ModelShapes, LinearDeclaredInMismatch) {
  // LeNet-5 with F6 declaring the flattened S4 size instead of C5's 120.
  const std::string msg = shape_error(
      "input 1 32 32\nconv C1 out=6 kernel=5\nmaxpool S2 kernel=2\nconv C3 out=16 kernel=5\n"
      "maxpool S4 kernel=2\nconv C5 out=120 kernel=5\nlinear F6 out=84 in=400\nsoftmax_ce\n");
  EXPECT_THAT(msg, HasSubstr("t.net:7: F6 (linear): expects in=400 but the previous layer gives 120"));
  // Flattening a map is named as such.
  const std::string msg2 = shape_error("input 3 4 5\nlinear out=2 in=12\nsoftmax_ce\n");
  EXPECT_THAT(msg2, HasSubstr("expects in=12 but the previous layer gives 60 (3x4x5 flattened)"));
}

TEST(ModelShapes, BatchMustBePositive) {
  for (int N : {0, -3}) {
    const std::string msg = shape_error("input 1 4 4\nlinear out=3\nsoftmax_ce\n", N);
    EXPECT_THAT(msg, HasSubstr("batch size N=" + std::to_string(N) + " must be positive"));
  }
}

TEST(ModelShapes, ModelBuiltInCodeIsCheckedToo) {
  // The parser rejects stride=0, but a ModelDesc made in code goes through
  // infer_shapes() only.
  ModelDesc m;
  m.name = "code";
  m.in_c = 1;
  m.in_h = m.in_w = 8;
  LayerDesc c;
  c.type = LayerType::Conv2d;
  c.name = "c";
  c.out = 2;
  c.kh = c.kw = 3;
  c.stride_h = 0;
  LayerDesc s;
  s.type = LayerType::SoftmaxCE;
  s.name = "loss";
  m.layers = {c, s};
  try {
    infer_shapes(m, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("model code: c (conv 3x3, stride 0x1, pad 0): stride 0x1 must be positive"));
  }
  m.layers.clear();
  try {
    infer_shapes(m, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("model code: the model has no layers"));
  }
}

}  // namespace
}  // namespace convnet
