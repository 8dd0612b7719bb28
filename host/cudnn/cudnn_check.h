// host/cudnn/cudnn_check.h: the one way the cuDNN backend reports a failed
// cuDNN call (the cuDNN counterpart of kernels/cuda_check.h).
//
// Every call site names the op and the shapes, so a failure reads like
//   conv2d_forward (cuDNN CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM) layer C1
//   N=64 C_in=1 H=32 W=32 C_out=6 k=5x5 ...: cudnnConvolutionForward:
//   CUDNN_STATUS_EXECUTION_FAILED (cuDNN status 5000)[: cuDNN's own detail]
// (the function name is taken from the call's text).
// The message pieces are only evaluated on failure.
//
//   CN_CUDNN_CHECK(cudnnPoolingForward(...), "maxpool2d_forward ", shape_str(p));
//
// Plain C++ (no CUDA language features), so the tests can include it too.
#pragma once

#include <cudnn.h>
#include <dlfcn.h>

#include <string>

#include "convnet/error.h"

namespace convnet::cudnn {

// cuDNN's description of the last error on this thread, when the loaded
// library has cudnnGetLastErrorString (looked up at run time, so an older
// cuDNN 9 without it still loads); empty otherwise.
inline std::string last_error_detail() {
  using Fn = void (*)(char*, size_t);
  static const Fn fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "cudnnGetLastErrorString"));
  if (!fn) return "";
  char buf[1024] = {0};
  fn(buf, sizeof buf);
  buf[sizeof buf - 1] = '\0';
  return buf;
}

// "CUDNN_STATUS_BAD_PARAM (cuDNN status 2000)" plus cuDNN's detail, if any.
inline std::string status_string(cudnnStatus_t s) {
  std::string out = cudnnGetErrorString(s);
  out += " (cuDNN status " + std::to_string(int(s)) + ")";
  const std::string detail = last_error_detail();
  if (!detail.empty()) out += ": " + detail;
  return out;
}

// The function name of a call's text: "cudnnAddTensor(h, ...)" -> "cudnnAddTensor".
inline std::string called_function(const char* call_text) {
  const std::string t = call_text;
  return t.substr(0, t.find('('));
}

template <class... Args>
[[noreturn]] void throw_cudnn_error(cudnnStatus_t s, const char* call_text, const Args&... what) {
  throw_error(what..., ": ", called_function(call_text), ": ", status_string(s));
}

}  // namespace convnet::cudnn

#define CN_CUDNN_CHECK(call, ...)                                          \
  do {                                                                     \
    const cudnnStatus_t cn_cudnn_st_ = (call);                             \
    if (cn_cudnn_st_ != CUDNN_STATUS_SUCCESS)                              \
      ::convnet::cudnn::throw_cudnn_error(cn_cudnn_st_, #call, __VA_ARGS__); \
  } while (0)
