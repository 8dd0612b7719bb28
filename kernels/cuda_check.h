// kernels/cuda_check.h: the one way the CUDA backend reports a failed CUDA or
// cuBLAS call or kernel launch.
//
// Every call site names the op and the shape, so a failure reads like
//   conv2d_forward (tiled) N=64 C_in=6 H=14 W=14 C_out=16 k=5x5 ...:
//   cudaErrorInvalidConfiguration: invalid configuration argument
// The message pieces after the call are only evaluated on failure, so the
// checks cost nothing on the fast path.
//
//   CN_CUDA_CHECK(cudaMemsetAsync(p, 0, n, s), "zero ", n, " bytes");
//   cn_launch(kernel, grid, block, smem, stream, args...);
//   CN_LAUNCH_CHECK("relu_forward n=", n);      // cudaGetLastError() after a launch
//   CN_CUBLAS_CHECK(cublasSgemm(...), "linear_forward ", shape_str(p));
#pragma once

#include <sstream>
#include <string>

#include "convnet/error.h"
#include "convnet/op_params.h"
#include "simt/cuda_compat.h"

namespace convnet::cuda {

template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

[[noreturn]] inline void throw_cuda_error(const std::string& what, cudaError_t e) {
  throw_error(what, ": ", cudaGetErrorName(e), ": ", cudaGetErrorString(e));
}

[[noreturn]] inline void throw_cublas_error(const std::string& what, cublasStatus_t s) {
  throw_error(what, ": ", cublasGetStatusName(s), ": ", cublasGetStatusString(s));
}

// One line per shape, for error messages.
inline std::string shape_str(const Conv2dParams& p) {
  return concat("N=", p.N, " C_in=", p.C_in, " H=", p.H, " W=", p.W, " C_out=", p.C_out,
                " k=", p.KH, "x", p.KW, " pad=", p.pad_h, ",", p.pad_w, " stride=", p.stride_h,
                ",", p.stride_w, " dil=", p.dil_h, ",", p.dil_w, " bias=", p.has_bias ? 1 : 0);
}
inline std::string shape_str(const Pool2dParams& p) {
  return concat("N=", p.N, " C=", p.C, " H=", p.H, " W=", p.W, " k=", p.KH, "x", p.KW,
                " stride=", p.stride_h, ",", p.stride_w, " pad=", p.pad_h, ",", p.pad_w);
}
inline std::string shape_str(const LinearParams& p) {
  return concat("N=", p.N, " in=", p.in, " out=", p.out, " bias=", p.has_bias ? 1 : 0);
}

}  // namespace convnet::cuda

#define CN_CUDA_CHECK(call, ...)                                                        \
  do {                                                                                  \
    const cudaError_t cn_err_ = (call);                                                 \
    if (cn_err_ != cudaSuccess)                                                         \
      ::convnet::cuda::throw_cuda_error(::convnet::cuda::concat(__VA_ARGS__), cn_err_); \
  } while (0)

#define CN_LAUNCH_CHECK(...) CN_CUDA_CHECK(cudaGetLastError(), __VA_ARGS__)

#define CN_CUBLAS_CHECK(call, ...)                                                         \
  do {                                                                                     \
    const cublasStatus_t cn_st_ = (call);                                                  \
    if (cn_st_ != CUBLAS_STATUS_SUCCESS)                                                   \
      ::convnet::cuda::throw_cublas_error(::convnet::cuda::concat(__VA_ARGS__), cn_st_);   \
  } while (0)
