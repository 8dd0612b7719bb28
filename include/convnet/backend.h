// convnet/backend.h: the one interface every backend implements.
//
// The graph and the trainer speak only to this interface; a backend owns its
// memory ("device" memory: host RAM for cpu, GPU memory for cuda/cudnn) and
// runs ops on pointers into it. All pointers passed to the op methods are
// backend memory obtained from alloc_bytes().
//
// Rules that make training loops cheap and reproducible:
//  - Allocation happens at plan time only. alloc_bytes() counts every call so
//    a test can prove the training loop never allocates.
//  - Op methods do not synchronize with the host. Only download(), sum() and
//    synchronize() may block.
//  - Every method is deterministic for a fixed thread count / device
//    (the cudnn backend only with BackendOptions::deterministic: without it
//    cuDNN may pick algorithms that add in arrival order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "convnet/error.h"
#include "convnet/op_params.h"

namespace convnet {

enum class BackendKind { Cpu, Cuda, Cudnn };

const char* backend_kind_name(BackendKind k);

class Backend {
 public:
  virtual ~Backend() = default;

  virtual BackendKind kind() const = 0;
  virtual std::string name() const = 0;
  // Facts for summary.json: device, driver, CUDA/cuDNN versions, BLAS, threads...
  virtual std::map<std::string, std::string> provenance() const = 0;

  // ---- memory ---------------------------------------------------------------
  virtual void* alloc_bytes(size_t bytes) = 0;
  virtual void free_bytes(void* p) = 0;
  virtual void upload(void* dst, const void* src_host, size_t bytes) = 0;
  virtual void download(void* dst_host, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;
  virtual void zero(void* dst, size_t bytes) = 0;
  virtual void synchronize() = 0;

  // Number of alloc_bytes() calls so far, and the high-water mark of bytes
  // held through alloc_bytes().
  int64_t allocation_count() const { return alloc_count_; }
  size_t bytes_in_use() const { return bytes_in_use_; }
  size_t peak_bytes() const { return peak_bytes_; }

  // ---- ops (see cpu_ops.h for the exact semantics every backend follows) ----
  // Scratch that conv calls need; asked once per layer at plan time. The
  // planner hands each conv call a workspace of at least this many bytes.
  virtual size_t conv2d_workspace_bytes(const Conv2dParams& p) = 0;
  virtual void conv2d_forward(const Conv2dParams& p, const float* x, const float* w,
                              const float* b, float* y, void* ws) = 0;
  virtual void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w,
                                    float* dx, void* ws) = 0;
  virtual void conv2d_backward_weights(const Conv2dParams& p, const float* x, const float* dy,
                                       float* dw, float* db, void* ws) = 0;

  // argmax may be nullptr only where plan_maxpool2d returned true (below).
  virtual void maxpool2d_forward(const Pool2dParams& p, const float* x, float* y,
                                 int32_t* argmax) = 0;
  virtual void maxpool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* argmax,
                                  float* dx) = 0;

  virtual void relu_forward(int64_t n, const float* x, float* y) = 0;
  virtual void relu_backward(int64_t n, const float* y, const float* dy, float* dx) = 0;

  // ---- plan-time hooks (optional; the defaults do nothing) --------------------
  // Network calls one per layer, in layer order, when it is built: before
  // conv2d_workspace_bytes and before any op, with the layer's name ("C1")
  // and its shape at the planned batch size. A backend may prepare per-shape
  // state here (cudnn: descriptors and the algorithm choice) and use the
  // name in its messages. Ops must still work on shapes never planned
  // (tests, the bench, a smaller last evaluation batch).
  virtual void plan_conv2d(const std::string& layer, const Conv2dParams& p) {
    (void)layer, (void)p;
  }
  virtual void plan_relu(const std::string& layer, int64_t n) { (void)layer, (void)n; }
  // True when this backend's pool backward recomputes the window maxima from
  // the forward's input x and output y instead of reading argmax (cuDNN's
  // pooling backward does). The Network then keeps x and y alive until this
  // layer's backward, passes argmax = nullptr to maxpool2d_forward (no argmax
  // tensor is planned) and calls maxpool2d_backward_from_xy instead of
  // maxpool2d_backward. Default: false (the argmax path).
  virtual bool plan_maxpool2d(const std::string& layer, const Pool2dParams& p) {
    (void)layer, (void)p;
    return false;
  }
  // dx from the forward's x and y and dy; called only for shapes whose
  // plan_maxpool2d returned true (N may be smaller than planned).
  virtual void maxpool2d_backward_from_xy(const Pool2dParams& p, const float* x, const float* y,
                                          const float* dy, float* dx) {
    (void)p, (void)x, (void)y, (void)dy, (void)dx;
    throw_error(name(), " backend: maxpool2d_backward_from_xy called, but its plan_maxpool2d "
                        "never asks for it (use maxpool2d_backward with argmax)");
  }

  virtual void linear_forward(const LinearParams& p, const float* x, const float* W,
                              const float* b, float* y) = 0;
  virtual void linear_backward(const LinearParams& p, const float* x, const float* W,
                               const float* dy, float* dx, float* dW, float* db) = 0;

  // Softmax cross-entropy of one step, without a host sync:
  //   *loss_out        = mean loss over the N samples (a backend scalar)
  //   dlogits          = d(mean loss)/d(logits)            (nullable)
  //   correct[i]       = argmax(logits_i) == labels[i]      (nullable)
  //   *first_bad_step  = step, if the loss is not finite and it is still -1
  //                      (nullable); lets the trainer name the step later.
  virtual void softmax_ce(int N, int K, const float* logits, const int32_t* labels,
                          float* dlogits, float* loss_out, int32_t* correct,
                          int32_t* first_bad_step, int32_t step) = 0;

  // One call for all parameters (they live in one flat buffer).
  virtual void sgd_update(const SgdParams& s, int64_t n, float* w, const float* g,
                          float* v) = 0;

  // ---- data pipeline --------------------------------------------------------
  // perm := a uniformly random permutation of [0, n) determined by seed.
  virtual void shuffle(int32_t* perm, int32_t n, uint64_t seed) = 0;
  // For i < count: x[i] = images[perm[offset + i]], y[i] = labels[perm[offset + i]],
  // each image being image_elems floats. perm == nullptr means the identity.
  virtual void gather(const float* images, const int32_t* labels, int64_t image_elems,
                      const int32_t* perm, int64_t offset, int count, float* x,
                      int32_t* y) = 0;
  // Reductions whose result lands on the host (these synchronize).
  virtual double sum_f32(const float* p, int64_t n) = 0;
  virtual int64_t sum_i32(const int32_t* p, int64_t n) = 0;

 protected:
  void note_alloc(size_t bytes) {
    ++alloc_count_;
    bytes_in_use_ += bytes;
    if (bytes_in_use_ > peak_bytes_) peak_bytes_ = bytes_in_use_;
  }
  void note_free(size_t bytes) { bytes_in_use_ -= bytes; }

 private:
  int64_t alloc_count_ = 0;
  size_t bytes_in_use_ = 0;
  size_t peak_bytes_ = 0;
};

struct BackendOptions {
  int threads = 0;             // cpu: 0 = all cores
  int device = 0;              // cuda/cudnn: device ordinal
  bool deterministic = false;  // cudnn: deterministic algorithms only
};

// Backends this build contains, and whether each can run here (a GPU
// backend is compiled in but unusable without a device).
bool backend_compiled(BackendKind k);
// Empty string when usable, otherwise the reason it is not.
std::string backend_unavailable_reason(BackendKind k);

// "cpu", "cuda", "cudnn" or "auto" (best usable: cuda > cpu). Throws
// convnet::Error naming the reason when the requested backend cannot run.
std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& opt);
BackendKind parse_backend_kind(const std::string& name);

// Each backend's own constructor (in its own library).
std::unique_ptr<Backend> make_cpu_backend(const BackendOptions& opt);

}  // namespace convnet
