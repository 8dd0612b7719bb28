// backend_factory.cpp: turns "cpu" / "cuda" / "cudnn" / "auto" into a Backend.
//
// This is the one place that knows which backends this build contains
// (build_config.h); the graph and the trainer only see convnet::Backend.
#include <memory>
#include <string>

#include "convnet/backend.h"
#include "convnet/build_config.h"
#include "convnet/error.h"

#if CONVNET_HAVE_CUDA
#include "convnet/cuda_backend.h"
#endif
#if CONVNET_HAVE_CUDNN
#include "convnet/cudnn_backend.h"
#endif

namespace convnet {

const char* backend_kind_name(BackendKind k) {
  switch (k) {
    case BackendKind::Cpu: return "cpu";
    case BackendKind::Cuda: return "cuda";
    case BackendKind::Cudnn: return "cudnn";
  }
  return "?";
}

BackendKind parse_backend_kind(const std::string& name) {
  if (name == "cpu") return BackendKind::Cpu;
  if (name == "cuda") return BackendKind::Cuda;
  if (name == "cudnn") return BackendKind::Cudnn;
  throw_error("unknown backend '", name, "' (expected cpu, cuda, cudnn or auto)");
}

bool backend_compiled(BackendKind k) {
  switch (k) {
    case BackendKind::Cpu: return true;
    case BackendKind::Cuda: return CONVNET_HAVE_CUDA != 0;
    case BackendKind::Cudnn: return CONVNET_HAVE_CUDNN != 0;
  }
  return false;
}

std::string backend_unavailable_reason(BackendKind k) {
  if (!backend_compiled(k)) {
    if (k == BackendKind::Cuda)
      return "this build has no CUDA backend (it was configured without nvcc or with -DCONVNET_CUDA=OFF)";
    return "this build has no cuDNN backend (cuDNN 9 was not found at configure time, or -DCONVNET_CUDNN=OFF)";
  }
#if CONVNET_HAVE_CUDA
  if (k != BackendKind::Cpu) return cuda_device_unavailable_reason();
#endif
  return "";
}

std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& opt) {
  if (name == "auto") {
    if (backend_unavailable_reason(BackendKind::Cuda).empty()) return make_backend("cuda", opt);
    return make_cpu_backend(opt);
  }
  const BackendKind k = parse_backend_kind(name);
  const std::string why = backend_unavailable_reason(k);
  if (!why.empty()) throw_error("--backend ", name, " cannot run: ", why);
  switch (k) {
    case BackendKind::Cpu: return make_cpu_backend(opt);
#if CONVNET_HAVE_CUDA
    case BackendKind::Cuda: return make_cuda_backend(opt);
#endif
#if CONVNET_HAVE_CUDNN
    case BackendKind::Cudnn: return make_cudnn_backend(opt);
#endif
    default: break;
  }
  throw_error("backend '", name, "' is not in this build");
}

}  // namespace convnet
