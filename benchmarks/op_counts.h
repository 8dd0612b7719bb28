// benchmarks/op_counts.h: what one benchmarked op case is, and how much work
// it does (FLOPs) and how many bytes it must move at the least.
//
// Header-only on purpose: tests/graph/test_bench_counts.cpp includes it to
// check these counts against the hand calculation in docs/benchmarks.md.
//
// The counting rules (docs/benchmarks.md repeats them with a worked example):
//
//   FLOPs (a multiply-add is 2)
//     conv forward          2 * N * C_out * OH * OW * C_in * KH * KW
//     conv backward-data    the same (the same multiply-adds, re-associated)
//     conv backward-weights the same
//     linear forward        2 * N * in * out
//     linear backward       4 * N * in * out   (dx and dW are one GEMM each)
//     max pool forward      N * C * OH * OW * KH * KW   (one compare per window cell)
//     max pool backward     N * C * OH * OW             (one add per output gradient)
//     relu forward/backward n                           (one compare/select each)
//     softmax-CE            5 * N * K  (max, subtract, exp, sum, gradient;
//                                       an exp counts as 1)
//   Bias additions are not counted: they are O(output) next to O(output * K).
//
//   Bytes: the minimum that must cross the memory bus: every input read once
//   and every output written once (float and int32 are 4 bytes). Workspaces
//   (im2col buffers) are NOT counted: they are an implementation's choice,
//   which is exactly what the GB/s figure should expose.
#pragma once

#include <cstdint>
#include <string>

#include "convnet/op_params.h"

namespace convnet::bench {

enum class OpKind {
  ConvFwd,
  ConvBwdData,
  ConvBwdWeights,
  PoolFwd,
  PoolBwd,
  ReluFwd,
  ReluBwd,
  LinearFwd,
  LinearBwd,
  SoftmaxCE,
};

inline const char* op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::ConvFwd: return "conv_fwd";
    case OpKind::ConvBwdData: return "conv_bwd_data";
    case OpKind::ConvBwdWeights: return "conv_bwd_weights";
    case OpKind::PoolFwd: return "pool_fwd";
    case OpKind::PoolBwd: return "pool_bwd";
    case OpKind::ReluFwd: return "relu_fwd";
    case OpKind::ReluBwd: return "relu_bwd";
    case OpKind::LinearFwd: return "linear_fwd";
    case OpKind::LinearBwd: return "linear_bwd";
    case OpKind::SoftmaxCE: return "softmax_ce";
  }
  return "?";
}

// One op on one shape. Only the params struct of the op's family is used.
struct OpCase {
  OpKind op = OpKind::ReluFwd;
  std::string shape;  // "C3", "conv64x56": the layer or case name
  int batch = 1;
  Conv2dParams conv;   // ConvFwd, ConvBwdData, ConvBwdWeights
  Pool2dParams pool;   // PoolFwd, PoolBwd
  bool pool_from_xy = false;  // PoolBwd: the backend recomputes the maxima from x and y
                              // (cudnn) instead of reading argmax; set per backend
  int64_t n = 0;       // ReluFwd, ReluBwd: element count (batch included)
  LinearParams linear; // LinearFwd, LinearBwd
  int classes = 0;     // SoftmaxCE: K (N is `batch`)
};

constexpr int64_t kF = 4;  // bytes of a float or an int32

// ---- conv ------------------------------------------------------------------
inline int64_t conv_flops(const Conv2dParams& p) {
  return 2 * int64_t(p.N) * p.C_out * p.OH() * p.OW() * p.C_in * p.KH * p.KW;
}
// x, w, b read; y written.
inline int64_t conv_fwd_bytes(const Conv2dParams& p) {
  return kF * (p.x_size() + p.w_size() + p.b_size() + p.y_size());
}
// dy, w read; dx written.
inline int64_t conv_bwd_data_bytes(const Conv2dParams& p) {
  return kF * (p.y_size() + p.w_size() + p.x_size());
}
// x, dy read; dw, db written.
inline int64_t conv_bwd_weights_bytes(const Conv2dParams& p) {
  return kF * (p.x_size() + p.y_size() + p.w_size() + p.b_size());
}

// ---- max pool ----------------------------------------------------------------
inline int64_t pool_fwd_flops(const Pool2dParams& p) { return p.y_size() * p.KH * p.KW; }
inline int64_t pool_bwd_flops(const Pool2dParams& p) { return p.y_size(); }
// x read; y and argmax written.
inline int64_t pool_fwd_bytes(const Pool2dParams& p) { return kF * (p.x_size() + 2 * p.y_size()); }
// dy and argmax read; dx written.
inline int64_t pool_bwd_bytes(const Pool2dParams& p) { return kF * (2 * p.y_size() + p.x_size()); }
// From x and y (cuDNN): x, y and dy read, dx written.
inline int64_t pool_bwd_from_xy_bytes(const Pool2dParams& p) { return kF * (2 * p.y_size() + 2 * p.x_size()); }

// ---- relu ----------------------------------------------------------------------
inline int64_t relu_flops(int64_t n) { return n; }
inline int64_t relu_fwd_bytes(int64_t n) { return kF * 2 * n; }  // x read, y written
inline int64_t relu_bwd_bytes(int64_t n) { return kF * 3 * n; }  // y, dy read; dx written

// ---- linear --------------------------------------------------------------------
inline int64_t linear_fwd_flops(const LinearParams& p) { return 2 * int64_t(p.N) * p.in * p.out; }
inline int64_t linear_bwd_flops(const LinearParams& p) { return 4 * int64_t(p.N) * p.in * p.out; }
// x, W, b read; y written.
inline int64_t linear_fwd_bytes(const LinearParams& p) {
  const int64_t b = p.has_bias ? p.out : 0;
  return kF * (int64_t(p.N) * p.in + int64_t(p.out) * p.in + b + int64_t(p.N) * p.out);
}
// x, W, dy read; dx, dW, db written.
inline int64_t linear_bwd_bytes(const LinearParams& p) {
  const int64_t b = p.has_bias ? p.out : 0;
  return kF * (2 * int64_t(p.N) * p.in + 2 * int64_t(p.out) * p.in + int64_t(p.N) * p.out + b);
}

// ---- softmax cross-entropy -------------------------------------------------------
inline int64_t softmax_ce_flops(int N, int K) { return 5 * int64_t(N) * K; }
// logits + labels read; dlogits, correct flags and the loss scalar written.
inline int64_t softmax_ce_bytes(int N, int K) {
  return kF * (int64_t(N) * K + N + int64_t(N) * K + N + 1);
}

// ---- dispatch on an OpCase -----------------------------------------------------------
inline int64_t op_flops(const OpCase& c) {
  switch (c.op) {
    case OpKind::ConvFwd:
    case OpKind::ConvBwdData:
    case OpKind::ConvBwdWeights: return conv_flops(c.conv);
    case OpKind::PoolFwd: return pool_fwd_flops(c.pool);
    case OpKind::PoolBwd: return pool_bwd_flops(c.pool);
    case OpKind::ReluFwd:
    case OpKind::ReluBwd: return relu_flops(c.n);
    case OpKind::LinearFwd: return linear_fwd_flops(c.linear);
    case OpKind::LinearBwd: return linear_bwd_flops(c.linear);
    case OpKind::SoftmaxCE: return softmax_ce_flops(c.batch, c.classes);
  }
  return 0;
}

inline int64_t op_bytes(const OpCase& c) {
  switch (c.op) {
    case OpKind::ConvFwd: return conv_fwd_bytes(c.conv);
    case OpKind::ConvBwdData: return conv_bwd_data_bytes(c.conv);
    case OpKind::ConvBwdWeights: return conv_bwd_weights_bytes(c.conv);
    case OpKind::PoolFwd: return pool_fwd_bytes(c.pool);
    case OpKind::PoolBwd: return c.pool_from_xy ? pool_bwd_from_xy_bytes(c.pool) : pool_bwd_bytes(c.pool);
    case OpKind::ReluFwd: return relu_fwd_bytes(c.n);
    case OpKind::ReluBwd: return relu_bwd_bytes(c.n);
    case OpKind::LinearFwd: return linear_fwd_bytes(c.linear);
    case OpKind::LinearBwd: return linear_bwd_bytes(c.linear);
    case OpKind::SoftmaxCE: return softmax_ce_bytes(c.batch, c.classes);
  }
  return 0;
}

// The row name's first two parts: "conv_fwd/C3/b64".
inline std::string op_case_name(const OpCase& c) {
  return std::string(op_kind_name(c.op)) + "/" + c.shape + "/b" + std::to_string(c.batch);
}

}  // namespace convnet::bench
