// convnet/cuda_backend.h: the hand-written CUDA backend (host/cuda, kernels/).
#pragma once

#include <memory>
#include <string>

#include "convnet/backend.h"

namespace convnet {

// Empty when a CUDA device can be used; otherwise why not ("no CUDA device
// found: cudaGetDeviceCount returned ..."). Never throws.
std::string cuda_device_unavailable_reason();

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& opt);

}  // namespace convnet
