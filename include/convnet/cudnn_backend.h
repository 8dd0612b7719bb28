// convnet/cudnn_backend.h: the optional cuDNN backend (host/cudnn). It reuses
// the CUDA backend's memory, data pipeline, cuBLAS linear and loss, and swaps
// in cuDNN for convolution, pooling and activation.
#pragma once

#include <memory>

#include "convnet/backend.h"

namespace convnet {

std::unique_ptr<Backend> make_cudnn_backend(const BackendOptions& opt);

}  // namespace convnet
