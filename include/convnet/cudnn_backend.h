// convnet/cudnn_backend.h: the optional cuDNN backend (host/cudnn). It reuses
// the CUDA backend's memory, data pipeline, cuBLAS linear and loss, and swaps
// in cuDNN for convolution, pooling and activation.
#pragma once

#include <memory>
#include <string>

#include "convnet/backend.h"

namespace convnet {

// Construction logs one line on stderr: the cuDNN version (cudnnGetVersion()),
// the math mode and whether only deterministic algorithms may be chosen
// (opt.deterministic). Throws convnet::Error naming the reason when no GPU or
// no usable cuDNN 9 is there. docs/cudnn.md describes the backend.
std::unique_ptr<Backend> make_cudnn_backend(const BackendOptions& opt);

// What a cudnn backend runs for one conv shape (planned now if it was not):
// the cuDNN algorithm of each op ("CUDNN_CONVOLUTION_FWD_ALGO_..."), or ""
// where that op falls back to the hand-written kernel. For tests and tools;
// throws convnet::Error when `be` is not a cudnn backend.
struct CudnnConvAlgorithms {
  std::string forward, backward_data, backward_filter;
};
CudnnConvAlgorithms cudnn_conv_algorithms(Backend& be, const Conv2dParams& p);

}  // namespace convnet
