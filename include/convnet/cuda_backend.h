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

// Which kernel variant the conv ops run (kernels/conv2d_*.cu).
//   Auto    per shape, the faster one: on a GPU both are timed once with
//           events at the first call of a shape and the choice is cached;
//           in the emulated build (timing meaningless) a heuristic decides.
//   Direct  one thread per output element.
//   Tiled   shared-memory tiles; throws convnet::Error for a shape whose
//           tile does not fit in shared memory.
// The variants are bit-identical by construction, so Auto never changes results.
enum class ConvVariant { Auto, Direct, Tiled };
const char* conv_variant_name(ConvVariant v);

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& opt, ConvVariant conv_variant);

}  // namespace convnet
