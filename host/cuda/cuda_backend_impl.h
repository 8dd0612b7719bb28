// host/cuda/cuda_backend_impl.h: the CUDA backend's class, for backends that
// build on it.
//
// CudaBackend (defined in cuda_backend.cu) is convnet::Backend on the
// hand-written kernels: one stream, one cuBLAS handle, device memory,
// the data pipeline, cuBLAS linear, loss and SGD. The cuDNN backend
// (host/cudnn/) derives from it and overrides only the ops it hands to
// cuDNN; every other op, and every op cuDNN refuses, runs the kernels here.
//
// This header is compiled both by nvcc (convnet_cuda, convnet_cudnn) and by
// g++ against the SIMT emulator (convnet_cuda_emu), so it includes nothing
// beyond cuda_check.h (which pulls in the real CUDA headers or the emulator).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "convnet/backend.h"
#include "convnet/cuda_backend.h"
#include "cuda_check.h"

namespace convnet::cuda {

class CudaBackend : public Backend {
 public:
  CudaBackend(const BackendOptions& opt, ConvVariant variant);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  BackendKind kind() const override { return BackendKind::Cuda; }
  std::string name() const override { return "cuda"; }
  std::map<std::string, std::string> provenance() const override;

  // ---- memory ----
  void* alloc_bytes(size_t bytes) override;
  void free_bytes(void* p) override;
  void upload(void* dst, const void* src_host, size_t bytes) override;
  void download(void* dst_host, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void zero(void* dst, size_t bytes) override;
  void synchronize() override;

  // ---- conv ----
  size_t conv2d_workspace_bytes(const Conv2dParams& p) override;
  void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* b,
                      float* y, void* ws) override;
  void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx,
                            void* ws) override;
  void conv2d_backward_weights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                               float* db, void* ws) override;

  // ---- pool, relu ----
  void maxpool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* argmax) override;
  void maxpool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* argmax,
                          float* dx) override;
  void relu_forward(int64_t n, const float* x, float* y) override;
  void relu_backward(int64_t n, const float* y, const float* dy, float* dx) override;

  // ---- linear (cuBLAS), loss, optimizer ----
  void linear_forward(const LinearParams& p, const float* x, const float* W, const float* b,
                      float* y) override;
  void linear_backward(const LinearParams& p, const float* x, const float* W, const float* dy,
                       float* dx, float* dW, float* db) override;
  void softmax_ce(int N, int K, const float* logits, const int32_t* labels, float* dlogits,
                  float* loss_out, int32_t* correct, int32_t* first_bad_step,
                  int32_t step) override;
  void sgd_update(const SgdParams& s, int64_t n, float* w, const float* g, float* v) override;

  // ---- data pipeline ----
  void shuffle(int32_t* perm, int32_t n, uint64_t seed) override;
  void gather(const float* images, const int32_t* labels, int64_t image_elems, const int32_t* perm,
              int64_t offset, int count, float* x, int32_t* y) override;
  double sum_f32(const float* p, int64_t n) override;
  int64_t sum_i32(const int32_t* p, int64_t n) override;

 protected:
  // For derived backends: the one stream every op runs on, the device.
  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_; }
  const cudaDeviceProp& props() const { return props_; }
  int device() const { return device_; }

  // The shape checks every op applies before launching (throw convnet::Error
  // naming the op and the shape).
  static void check_conv_shape(const char* op, const Conv2dParams& p);
  static void check_pool_shape(const char* op, const Pool2dParams& p);
  static void check_linear_shape(const char* op, const LinearParams& p);

 private:
  // The conv ops whose variant is chosen per shape.
  enum ConvOp { kConvForward = 0, kConvBackwardData = 1, kConvBackwardWeights = 2 };
  using ShapeKey = std::array<int, 14>;
  static ShapeKey shape_key(const Conv2dParams& p);

  void release() noexcept;
  template <class Run>
  ConvVariant choose(ConvOp op, const Conv2dParams& p, bool tiled_ok, Run& run);
  template <class Run>
  float time_ms(Run& run, ConvVariant v, ConvOp op, const Conv2dParams& p);

  ConvVariant variant_;
  int device_ = 0;
  cudaDeviceProp props_{};
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  std::map<void*, size_t> live_;  // allocation -> requested bytes
  std::map<ShapeKey, ConvVariant> choice_[3];
};

}  // namespace convnet::cuda
