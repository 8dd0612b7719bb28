// host/cudnn/cudnn_algorithms.h: how the cuDNN backend picks a convolution
// algorithm from cuDNN's heuristics (once per shape, at plan time), and the
// algorithms' names for provenance and messages. Used by cudnn_backend.cu only.
#pragma once

#include <cudnn.h>

#include <string>
#include <vector>

#include "cuda_check.h"

namespace convnet::cudnn {

using cuda::concat;

// ---- algorithm names ----------------------------------------------------------------
inline const char* algo_name(cudnnConvolutionFwdAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "CUDNN_CONVOLUTION_FWD_ALGO_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "CUDNN_CONVOLUTION_FWD_ALGO_DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "CUDNN_CONVOLUTION_FWD_ALGO_FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED";
    default: return "CUDNN_CONVOLUTION_FWD_ALGO_?";
  }
}
inline const char* algo_name(cudnnConvolutionBwdDataAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_0: return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_0";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_1: return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_1";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT: return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING: return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD: return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED: return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED";
    default: return "CUDNN_CONVOLUTION_BWD_DATA_ALGO_?";
  }
}
inline const char* algo_name(cudnnConvolutionBwdFilterAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0: return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1: return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT: return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3: return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD: return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED: return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING: return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING";
    default: return "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_?";
  }
}

// Algorithms cudnn_ops.h itself labels non-deterministic (they add with
// atomics). The perf results' determinism field says the same; this is a
// second guard under --deterministic.
inline bool known_nondeterministic(cudnnConvolutionFwdAlgo_t) { return false; }
inline bool known_nondeterministic(cudnnConvolutionBwdDataAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_0;
}
inline bool known_nondeterministic(cudnnConvolutionBwdFilterAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 || a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3;
}

// One conv op's choice: cuDNN with this algorithm, or the hand-written kernel.
struct OpChoice {
  bool use_cudnn = false;
  int algo = -1;
  const char* algo_name = "";
  size_t ws = 0;             // exact workspace of that algorithm
  bool deterministic = false;
  std::string why;           // why not cuDNN (when !use_cudnn)
};

// The first qualifying algorithm of cuDNN's heuristics list (fastest first):
// succeeded, FMA math, deterministic if asked, workspace within the limit.
template <class Perf, class WsOf>
OpChoice pick_algorithm(const std::vector<Perf>& perf, int count, bool deterministic_only,
                        size_t limit, WsOf ws_of) {
  OpChoice c;
  std::string rejected;
  auto reject = [&](const char* name, const std::string& reason) {
    rejected += concat(rejected.empty() ? "" : ", ", name, ": ", reason);
  };
  for (int i = 0; i < count; ++i) {
    const Perf& r = perf[size_t(i)];
    if (r.status != CUDNN_STATUS_SUCCESS) continue;  // not available for this shape
    const bool det = r.determinism == CUDNN_DETERMINISTIC && !known_nondeterministic(r.algo);
    if (deterministic_only && !det) {
      reject(algo_name(r.algo), "not deterministic");
      continue;
    }
    if (r.mathType == CUDNN_TENSOR_OP_MATH || r.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) {
      reject(algo_name(r.algo), "tensor-op math");
      continue;
    }
    size_t ws = 0;
    const cudnnStatus_t s = ws_of(r.algo, &ws);
    if (s != CUDNN_STATUS_SUCCESS) {
      reject(algo_name(r.algo), concat("workspace query: ", cudnnGetErrorString(s)));
      continue;
    }
    if (ws > limit) {
      reject(algo_name(r.algo), concat("needs ", ws, " B of workspace"));
      continue;
    }
    c.use_cudnn = true;
    c.algo = int(r.algo);
    c.algo_name = algo_name(r.algo);
    c.ws = ws;
    c.deterministic = det;
    return c;
  }
  c.why = concat("no cuDNN algorithm qualifies (", count, " offered by the heuristics; wanted FMA math",
                 deterministic_only ? ", deterministic" : "", ", workspace <= ", limit, " B",
                 rejected.empty() ? std::string() : "; rejected " + rejected, ")");
  return c;
}

}  // namespace convnet::cudnn
