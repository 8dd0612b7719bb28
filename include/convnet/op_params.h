// convnet/op_params.h: the parameter structs shared by every backend.
//
// One struct per op family (tiny-dnn style): the CPU ops, the CUDA kernels,
// the cuDNN calls, the graph and the bench all describe an op with the same
// struct, so a shape means the same thing everywhere.
//
// Layout conventions (all backends):
//   activations  NCHW, float32 (double in the CPU gradient checks)
//   conv weights [C_out, C_in, KH, KW], bias [C_out]
//   linear W     [out, in] row-major, bias [out]
//   pool argmax  int32 index h*W + w inside the input (n, c) plane
//
// This header is included by CUDA kernels too, so it holds only plain
// aggregates and inline arithmetic.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define CONVNET_HD __host__ __device__
#else
#define CONVNET_HD
#endif

namespace convnet {

// Output length of a strided, dilated, padded window sweep along one axis.
// Returns <= 0 when the (dilated) kernel does not fit in the padded input.
CONVNET_HD inline int conv_out_size(int in, int kernel, int pad, int stride, int dilation) {
  const int span = dilation * (kernel - 1) + 1;
  const int padded = in + 2 * pad;
  if (padded < span) return 0;
  return (padded - span) / stride + 1;
}

struct Conv2dParams {
  int N = 1;       // batch
  int C_in = 1;    // input channels
  int H = 1;       // input height (H = 1 gives a 1-D convolution)
  int W = 1;       // input width
  int C_out = 1;   // output channels
  int KH = 1;      // kernel height
  int KW = 1;      // kernel width
  int pad_h = 0, pad_w = 0;
  int stride_h = 1, stride_w = 1;
  int dil_h = 1, dil_w = 1;
  bool has_bias = true;

  CONVNET_HD int OH() const { return conv_out_size(H, KH, pad_h, stride_h, dil_h); }
  CONVNET_HD int OW() const { return conv_out_size(W, KW, pad_w, stride_w, dil_w); }
  // Reduction length of one output element: C_in * KH * KW.
  CONVNET_HD int64_t K() const { return int64_t(C_in) * KH * KW; }
  CONVNET_HD int64_t x_size() const { return int64_t(N) * C_in * H * W; }
  CONVNET_HD int64_t y_size() const { return int64_t(N) * C_out * OH() * OW(); }
  CONVNET_HD int64_t w_size() const { return int64_t(C_out) * C_in * KH * KW; }
  CONVNET_HD int64_t b_size() const { return has_bias ? C_out : 0; }
  // Multiply-accumulates of the forward pass.
  CONVNET_HD int64_t macs() const { return y_size() * K(); }
};

struct Pool2dParams {
  int N = 1, C = 1, H = 1, W = 1;
  int KH = 2, KW = 2;
  int stride_h = 2, stride_w = 2;
  int pad_h = 0, pad_w = 0;  // padded cells never win: they act as -infinity

  CONVNET_HD int OH() const { return conv_out_size(H, KH, pad_h, stride_h, 1); }
  CONVNET_HD int OW() const { return conv_out_size(W, KW, pad_w, stride_w, 1); }
  CONVNET_HD int64_t x_size() const { return int64_t(N) * C * H * W; }
  CONVNET_HD int64_t y_size() const { return int64_t(N) * C * OH() * OW(); }
};

struct LinearParams {
  int N = 1;    // batch
  int in = 1;   // input features
  int out = 1;  // output features
  bool has_bias = true;
};

struct SgdParams {
  float lr = 0.1f;
  float momentum = 0.0f;      // 0 = plain SGD, as in the course
  float weight_decay = 0.0f;  // L2 coefficient added to the gradient
};

}  // namespace convnet
