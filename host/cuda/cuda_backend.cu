// host/cuda/cuda_backend.cu: convnet::Backend on the hand-written kernels.
//
// The backend owns one CUDA stream and one cuBLAS handle. Every op enqueues
// kernels on that stream and returns without waiting; only download(), the
// sums and synchronize() block. Every CUDA/cuBLAS call and every launch is
// checked (kernels/cuda_check.h) and a failure throws convnet::Error naming
// the op, the shape and the CUDA error.
//
// Ops map to kernels/kernels.h, except the linear layer's GEMMs (cuBLAS,
// through gemm_row_major.h). Conv ops have two kernel variants; which one
// runs is decided per shape (ConvVariant, see cuda_backend.h).
//
// The class is declared in cuda_backend_impl.h so that the cuDNN backend
// (host/cudnn/) can derive from it.
#include <array>
#include <map>
#include <memory>
#include <string>

#include "convnet/cuda_backend.h"
#include "convnet/error.h"
#include "cuda_backend_impl.h"
#include "cuda_check.h"
#include "gemm_row_major.h"
#include "kernels.h"

namespace convnet {

const char* conv_variant_name(ConvVariant v) {
  switch (v) {
    case ConvVariant::Auto: return "auto";
    case ConvVariant::Direct: return "direct";
    case ConvVariant::Tiled: return "tiled";
  }
  return "?";
}

std::string cuda_device_unavailable_reason() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear it: asking is not an error of the next call
    return cuda::concat("no CUDA device found: cudaGetDeviceCount returned ", cudaGetErrorName(e),
                        ": ", cudaGetErrorString(e));
  }
  if (count <= 0) return "no CUDA device found: cudaGetDeviceCount reports 0 devices";
  return "";
}

namespace cuda {

namespace {
const char* const kConvOpNames[] = {"conv2d_forward", "conv2d_backward_data",
                                    "conv2d_backward_weights"};
}  // namespace

CudaBackend::ShapeKey CudaBackend::shape_key(const Conv2dParams& p) {
  return {p.N, p.C_in, p.H, p.W, p.C_out, p.KH, p.KW, p.pad_h, p.pad_w,
          p.stride_h, p.stride_w, p.dil_h, p.dil_w, p.has_bias ? 1 : 0};
}

void CudaBackend::check_conv_shape(const char* op, const Conv2dParams& p) {
  CONVNET_CHECK(p.N > 0 && p.C_in > 0 && p.C_out > 0 && p.H > 0 && p.W > 0 && p.KH > 0 &&
                    p.KW > 0 && p.stride_h > 0 && p.stride_w > 0 && p.dil_h > 0 && p.dil_w > 0 &&
                    p.pad_h >= 0 && p.pad_w >= 0,
                op, " ", shape_str(p), ": every size, stride and dilation must be positive");
  CONVNET_CHECK(p.OH() > 0 && p.OW() > 0, op, " ", shape_str(p),
                ": the (dilated) kernel does not fit in the padded input");
}

void CudaBackend::check_pool_shape(const char* op, const Pool2dParams& p) {
  CONVNET_CHECK(p.N > 0 && p.C > 0 && p.H > 0 && p.W > 0 && p.KH > 0 && p.KW > 0 &&
                    p.stride_h > 0 && p.stride_w > 0 && p.pad_h >= 0 && p.pad_w >= 0,
                op, " ", shape_str(p), ": every size and stride must be positive");
  CONVNET_CHECK(p.OH() > 0 && p.OW() > 0, op, " ", shape_str(p),
                ": the window does not fit in the padded input");
  CONVNET_CHECK(p.pad_h < p.KH && p.pad_w < p.KW, op, " ", shape_str(p),
                ": padding must be smaller than the window (a window of padding only has no max)");
}

void CudaBackend::check_linear_shape(const char* op, const LinearParams& p) {
  CONVNET_CHECK(p.N > 0 && p.in > 0 && p.out > 0, op, " ", shape_str(p),
                ": N, in and out must be positive");
}

CudaBackend::CudaBackend(const BackendOptions& opt, ConvVariant variant) : variant_(variant) {
  const std::string why = cuda_device_unavailable_reason();
  CONVNET_CHECK(why.empty(), "cuda backend: ", why);
  int count = 0;
  CN_CUDA_CHECK(cudaGetDeviceCount(&count), "cuda backend: cudaGetDeviceCount");
  CONVNET_CHECK(opt.device >= 0 && opt.device < count, "cuda backend: device ", opt.device,
                " does not exist (", count, " CUDA device(s) found)");
  device_ = opt.device;
  CN_CUDA_CHECK(cudaSetDevice(device_), "cuda backend: cudaSetDevice(", device_, ")");
  CN_CUDA_CHECK(cudaGetDeviceProperties(&props_, device_), "cuda backend: cudaGetDeviceProperties");
  try {
    CN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking),
                  "cuda backend: cudaStreamCreate");
    CN_CUBLAS_CHECK(cublasCreate(&cublas_), "cuda backend: cublasCreate");
    CN_CUBLAS_CHECK(cublasSetStream(cublas_, stream_), "cuda backend: cublasSetStream");
    // Plain FP32 (no TF32 tensor cores): results comparable with the CPU.
    CN_CUBLAS_CHECK(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH),
                    "cuda backend: cublasSetMathMode");
  } catch (...) {
    release();  // a throwing constructor gets no destructor call
    throw;
  }
}

CudaBackend::~CudaBackend() { release(); }

std::map<std::string, std::string> CudaBackend::provenance() const {
  std::map<std::string, std::string> m;
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  size_t free_b = 0, total_b = 0;
  cudaMemGetInfo(&free_b, &total_b);
  auto version = [](int v) { return concat(v / 1000, ".", (v % 1000) / 10); };
  m["backend"] = "cuda";
  m["device"] = props_.name;
  m["device_ordinal"] = std::to_string(device_);
  m["compute_capability"] = concat(props_.major, ".", props_.minor);
  m["multiprocessors"] = std::to_string(props_.multiProcessorCount);
  m["cuda_driver_version"] = version(driver);
  m["cuda_runtime_version"] = version(runtime);
  m["device_memory_total_bytes"] = std::to_string(total_b);
  m["device_memory_free_bytes"] = std::to_string(free_b);
  m["conv_variant"] = conv_variant_name(variant_);
#if defined(CONVNET_SIMT)
  m["cuda_execution"] = "emulated on the host (SIMT emulator, no GPU)";
#else
  m["cuda_execution"] = "gpu";
#endif
  return m;
}

// ---- memory -----------------------------------------------------------------
void* CudaBackend::alloc_bytes(size_t bytes) {
  void* p = nullptr;
  // cudaMalloc(0) may hand back nullptr; a real 1-byte block keeps pointers distinct.
  CN_CUDA_CHECK(cudaMalloc(&p, bytes == 0 ? 1 : bytes), "cuda alloc_bytes(", bytes, ")");
  live_[p] = bytes;
  note_alloc(bytes);
  return p;
}

void CudaBackend::free_bytes(void* p) {
  if (!p) return;
  auto it = live_.find(p);
  CONVNET_CHECK(it != live_.end(), "cuda free_bytes: pointer ", p,
                " was not allocated by this backend (or was freed twice)");
  CN_CUDA_CHECK(cudaFree(p), "cuda free_bytes(", it->second, " bytes)");
  note_free(it->second);
  live_.erase(it);
}

void CudaBackend::upload(void* dst, const void* src_host, size_t bytes) {
  if (bytes == 0) return;
  CN_CUDA_CHECK(cudaMemcpyAsync(dst, src_host, bytes, cudaMemcpyHostToDevice, stream_),
                "cuda upload(", bytes, " bytes)");
  // The caller may reuse its host buffer as soon as we return.
  CN_CUDA_CHECK(cudaStreamSynchronize(stream_), "cuda upload(", bytes, " bytes): synchronize");
}

void CudaBackend::download(void* dst_host, const void* src, size_t bytes) {
  if (bytes == 0) return;
  CN_CUDA_CHECK(cudaMemcpyAsync(dst_host, src, bytes, cudaMemcpyDeviceToHost, stream_),
                "cuda download(", bytes, " bytes)");
  CN_CUDA_CHECK(cudaStreamSynchronize(stream_), "cuda download(", bytes, " bytes): synchronize");
}

void CudaBackend::copy(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  CN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_),
                "cuda copy(", bytes, " bytes)");
}

void CudaBackend::zero(void* dst, size_t bytes) {
  if (bytes == 0) return;
  CN_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, stream_), "cuda zero(", bytes, " bytes)");
}

void CudaBackend::synchronize() {
  CN_CUDA_CHECK(cudaStreamSynchronize(stream_), "cuda synchronize");
}

// ---- conv ---------------------------------------------------------------------
size_t CudaBackend::conv2d_workspace_bytes(const Conv2dParams& p) {
  check_conv_shape("conv2d_workspace_bytes", p);
  return conv2d_backward_weights_workspace_bytes(p);
}

void CudaBackend::conv2d_forward(const Conv2dParams& p, const float* x, const float* w,
                                 const float* b, float* y, void* /*ws*/) {
  check_conv_shape("conv2d_forward", p);
  CONVNET_CHECK(!p.has_bias || b, "conv2d_forward ", shape_str(p), ": has_bias but no bias");
  auto run = [&](ConvVariant v) {
    if (v == ConvVariant::Tiled) conv2d_forward_tiled(p, x, w, b, y, stream_);
    else conv2d_forward_direct(p, x, w, b, y, stream_);
  };
  run(choose(kConvForward, p, conv2d_forward_tiled_supported(p), run));
}

void CudaBackend::conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w,
                                       float* dx, void* /*ws*/) {
  check_conv_shape("conv2d_backward_data", p);
  auto run = [&](ConvVariant v) {
    if (v == ConvVariant::Tiled) conv2d_backward_data_tiled(p, dy, w, dx, stream_);
    else conv2d_backward_data_direct(p, dy, w, dx, stream_);
  };
  run(choose(kConvBackwardData, p, conv2d_backward_data_tiled_supported(p), run));
}

void CudaBackend::conv2d_backward_weights(const Conv2dParams& p, const float* x, const float* dy,
                                          float* dw, float* db, void* ws) {
  check_conv_shape("conv2d_backward_weights", p);
  CONVNET_CHECK(!p.has_bias || db, "conv2d_backward_weights ", shape_str(p),
                ": has_bias but no db");
  float* wsf = static_cast<float*>(ws);
  auto run = [&](ConvVariant v) {
    if (v == ConvVariant::Tiled) conv2d_backward_weights_tiled(p, x, dy, dw, db, wsf, stream_);
    else conv2d_backward_weights_direct(p, x, dy, dw, db, stream_);
  };
  const bool tiled_ok = conv2d_backward_weights_tiled_supported(p) && ws != nullptr;
  run(choose(kConvBackwardWeights, p, tiled_ok, run));
}

// ---- pool, relu ---------------------------------------------------------------------
void CudaBackend::maxpool2d_forward(const Pool2dParams& p, const float* x, float* y,
                                    int32_t* argmax) {
  check_pool_shape("maxpool2d_forward", p);
  cuda::maxpool2d_forward(p, x, y, argmax, stream_);
}

void CudaBackend::maxpool2d_backward(const Pool2dParams& p, const float* dy,
                                     const int32_t* argmax, float* dx) {
  check_pool_shape("maxpool2d_backward", p);
  cuda::maxpool2d_backward(p, dy, argmax, dx, stream_);
}

void CudaBackend::relu_forward(int64_t n, const float* x, float* y) {
  cuda::relu_forward(n, x, y, stream_);
}

void CudaBackend::relu_backward(int64_t n, const float* y, const float* dy, float* dx) {
  cuda::relu_backward(n, y, dy, dx, stream_);
}

// ---- linear: cuBLAS GEMMs + bias kernels ---------------------------------------------
// y[N,out] = x[N,in] * W[out,in]^T (+ b)
void CudaBackend::linear_forward(const LinearParams& p, const float* x, const float* W,
                                 const float* b, float* y) {
  check_linear_shape("linear_forward", p);
  const std::string what = concat("linear_forward ", shape_str(p));
  gemm_row_major(cublas_, false, true, p.N, p.out, p.in, 1.0f, x, p.in, W, p.in, 0.0f, y, p.out,
                 what);
  if (p.has_bias) {
    CONVNET_CHECK(b, what, ": has_bias but no bias");
    add_bias_rows(p.N, p.out, b, y, stream_);
  }
}

// dx[N,in] = dy[N,out] * W[out,in];  dW[out,in] = dy^T * x;  db[out] = sum over N of dy
void CudaBackend::linear_backward(const LinearParams& p, const float* x, const float* W,
                                  const float* dy, float* dx, float* dW, float* db) {
  check_linear_shape("linear_backward", p);
  const std::string what = concat("linear_backward ", shape_str(p));
  if (dx)
    gemm_row_major(cublas_, false, false, p.N, p.in, p.out, 1.0f, dy, p.out, W, p.in, 0.0f, dx,
                   p.in, what + " dx");
  gemm_row_major(cublas_, true, false, p.out, p.in, p.N, 1.0f, dy, p.out, x, p.in, 0.0f, dW, p.in,
                 what + " dW");
  if (p.has_bias) {
    CONVNET_CHECK(db, what, ": has_bias but no db");
    sum_rows(p.N, p.out, dy, db, stream_);
  }
}

// ---- loss, optimizer --------------------------------------------------------------
void CudaBackend::softmax_ce(int N, int K, const float* logits, const int32_t* labels,
                             float* dlogits, float* loss_out, int32_t* correct,
                             int32_t* first_bad_step, int32_t step) {
  cuda::softmax_ce(N, K, logits, labels, dlogits, loss_out, correct, first_bad_step, step,
                   stream_);
}

void CudaBackend::sgd_update(const SgdParams& s, int64_t n, float* w, const float* g, float* v) {
  cuda::sgd_update(s, n, w, g, v, stream_);
}

// ---- data pipeline ---------------------------------------------------------------
void CudaBackend::shuffle(int32_t* perm, int32_t n, uint64_t seed) {
  cuda::shuffle(perm, n, seed, stream_);
}

void CudaBackend::gather(const float* images, const int32_t* labels, int64_t image_elems,
                         const int32_t* perm, int64_t offset, int count, float* x, int32_t* y) {
  cuda::gather(images, labels, image_elems, perm, offset, count, x, y, stream_);
}

double CudaBackend::sum_f32(const float* p, int64_t n) { return cuda::sum_f32(p, n, stream_); }
int64_t CudaBackend::sum_i32(const int32_t* p, int64_t n) { return cuda::sum_i32(p, n, stream_); }

// Frees everything we hold. Never throws (it runs in the destructor), so
// errors are ignored here on purpose.
void CudaBackend::release() noexcept {
  if (stream_) cudaStreamSynchronize(stream_);
  for (auto& [ptr, bytes] : live_) cudaFree(ptr);
  live_.clear();
  if (cublas_) cublasDestroy(cublas_);
  if (stream_) cudaStreamDestroy(stream_);
  cublas_ = nullptr;
  stream_ = nullptr;
}

// The variant to run for this op and shape. Forced variants are obeyed
// (Tiled on an unsupported shape throws from the launcher, naming the
// shape). Auto: on a GPU, the first call of a shape runs both variants
// twice (warm-up, then timed with events), keeps the faster, and caches
// it; this one call synchronizes. Both write the same output (the variants
// are bit-identical), so the timing runs leave a correct result behind.
// In the emulated build the time of a fiber emulation says nothing about a
// GPU, so a heuristic stands in: tiled when each staged value is reused
// enough to pay for the shared-memory round trip.
template <class Run>
ConvVariant CudaBackend::choose(ConvOp op, const Conv2dParams& p, bool tiled_ok, Run& run) {
  if (variant_ != ConvVariant::Auto) return variant_;
  if (!tiled_ok) return ConvVariant::Direct;
  auto& cache = choice_[op];
  const ShapeKey key = shape_key(p);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
#if defined(CONVNET_SIMT)
  (void)run;
  int64_t reuse = 0;
  if (op == kConvForward) reuse = int64_t(p.C_out) * p.KH * p.KW;
  if (op == kConvBackwardData) reuse = int64_t(p.C_in) * p.KH * p.KW;
  if (op == kConvBackwardWeights) reuse = int64_t(p.OH()) * p.OW() * p.N;
  const ConvVariant pick = reuse >= 64 ? ConvVariant::Tiled : ConvVariant::Direct;
#else
  const float t_direct = time_ms(run, ConvVariant::Direct, op, p);
  const float t_tiled = time_ms(run, ConvVariant::Tiled, op, p);
  const ConvVariant pick = t_tiled < t_direct ? ConvVariant::Tiled : ConvVariant::Direct;
#endif
  cache[key] = pick;
  return pick;
}

#if !defined(CONVNET_SIMT)
template <class Run>
float CudaBackend::time_ms(Run& run, ConvVariant v, ConvOp op, const Conv2dParams& p) {
  const std::string what = concat(kConvOpNames[op], " autotune (", conv_variant_name(v), ") ",
                                  shape_str(p));
  cudaEvent_t start = nullptr, stop = nullptr;
  CN_CUDA_CHECK(cudaEventCreate(&start), what, ": cudaEventCreate");
  CN_CUDA_CHECK(cudaEventCreate(&stop), what, ": cudaEventCreate");
  float ms = 0.0f;
  try {
    run(v);  // warm-up (first launch of a kernel pays for module loading)
    CN_CUDA_CHECK(cudaEventRecord(start, stream_), what, ": cudaEventRecord");
    run(v);
    CN_CUDA_CHECK(cudaEventRecord(stop, stream_), what, ": cudaEventRecord");
    CN_CUDA_CHECK(cudaEventSynchronize(stop), what, ": cudaEventSynchronize");
    CN_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop), what, ": cudaEventElapsedTime");
  } catch (...) {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    throw;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms;
}
#endif

}  // namespace cuda

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& opt, ConvVariant conv_variant) {
  return std::make_unique<cuda::CudaBackend>(opt, conv_variant);
}

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& opt) {
  return make_cuda_backend(opt, ConvVariant::Auto);
}

}  // namespace convnet
