// host/cpu/cpu_backend.cpp: the Backend interface on host memory.
//
// "Device" memory is plain host RAM (64-byte aligned, so vector loads never
// straddle cache lines); every op forwards to the templated ops in
// cpu_ops.h, instantiated for float.
#include <cblas.h>
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <unordered_map>

#include "convnet/backend.h"
#include "convnet/cpu_ops.h"
#include "convnet/error.h"
#include "convnet/rng.h"

namespace convnet {

namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const BackendOptions& opt) {
    CONVNET_CHECK(opt.threads >= 0, "cpu backend: thread count must be >= 0 (0 = all cores), got ",
                  opt.threads);
    cpu::set_num_threads(opt.threads);
  }
  ~CpuBackend() override {
    for (auto& kv : sizes_) std::free(kv.first);
  }

  BackendKind kind() const override { return BackendKind::Cpu; }
  std::string name() const override { return "cpu"; }

  std::map<std::string, std::string> provenance() const override {
    std::map<std::string, std::string> m;
    m["blas"] = openblas_get_config();
    const char* env = std::getenv("OPENBLAS_CORETYPE");
    m["blas_coretype"] = std::string(openblas_get_corename()) +
                         " (OPENBLAS_CORETYPE=" + (env ? env : "unset") + ")";
    m["threads"] = std::to_string(cpu::num_threads());
    m["cpu_model"] = cpu_model();
    return m;
  }

  // ---- memory ----
  void* alloc_bytes(size_t bytes) override {
    // aligned_alloc wants a multiple of the alignment; 0 bytes still gets a
    // real, distinct pointer.
    const size_t rounded = (bytes + 63) / 64 * 64 + (bytes == 0 ? 64 : 0);
    void* p = std::aligned_alloc(64, rounded);
    CONVNET_CHECK(p != nullptr, "cpu backend: out of host memory allocating ", bytes, " bytes");
    sizes_[p] = bytes;
    note_alloc(bytes);
    return p;
  }
  void free_bytes(void* p) override {
    if (p == nullptr) return;
    auto it = sizes_.find(p);
    CONVNET_CHECK(it != sizes_.end(), "cpu backend: free_bytes of a pointer it did not allocate");
    note_free(it->second);
    sizes_.erase(it);
    std::free(p);
  }
  void upload(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy(void* dst, const void* src, size_t bytes) override { std::memmove(dst, src, bytes); }
  void zero(void* dst, size_t bytes) override { std::memset(dst, 0, bytes); }
  void synchronize() override {}

  // ---- ops ----
  size_t conv2d_workspace_bytes(const Conv2dParams& p) override {
    return cpu::conv2d_workspace_elems<float>(p) * sizeof(float);
  }
  void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* b,
                      float* y, void* ws) override {
    cpu::conv2d_forward(p, x, w, b, y, static_cast<float*>(ws));
  }
  void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx,
                            void* ws) override {
    cpu::conv2d_backward_data(p, dy, w, dx, static_cast<float*>(ws));
  }
  void conv2d_backward_weights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                               float* db, void* ws) override {
    cpu::conv2d_backward_weights(p, x, dy, dw, db, static_cast<float*>(ws));
  }
  void maxpool2d_forward(const Pool2dParams& p, const float* x, float* y,
                         int32_t* argmax) override {
    cpu::maxpool2d_forward(p, x, y, argmax);
  }
  void maxpool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* argmax,
                          float* dx) override {
    cpu::maxpool2d_backward(p, dy, argmax, dx);
  }
  void relu_forward(int64_t n, const float* x, float* y) override { cpu::relu_forward(n, x, y); }
  void relu_backward(int64_t n, const float* y, const float* dy, float* dx) override {
    cpu::relu_backward(n, y, dy, dx);
  }
  void linear_forward(const LinearParams& p, const float* x, const float* W, const float* b,
                      float* y) override {
    cpu::linear_forward(p, x, W, b, y);
  }
  void linear_backward(const LinearParams& p, const float* x, const float* W, const float* dy,
                       float* dx, float* dW, float* db) override {
    cpu::linear_backward(p, x, W, dy, dx, dW, db);
  }
  void softmax_ce(int N, int K, const float* logits, const int32_t* labels, float* dlogits,
                  float* loss_out, int32_t* correct, int32_t* first_bad_step,
                  int32_t step) override {
    const float loss = cpu::softmax_ce(N, K, logits, labels, dlogits, correct);
    if (loss_out != nullptr) *loss_out = loss;
    if (first_bad_step != nullptr && !std::isfinite(loss) && *first_bad_step == -1)
      *first_bad_step = step;
  }
  void sgd_update(const SgdParams& s, int64_t n, float* w, const float* g, float* v) override {
    cpu::sgd_update(s, n, w, g, v);
  }

  // ---- data pipeline ----
  void shuffle(int32_t* perm, int32_t n, uint64_t seed) override {
    random_permutation(perm, n, seed);
  }
  void gather(const float* images, const int32_t* labels, int64_t image_elems,
              const int32_t* perm, int64_t offset, int count, float* x, int32_t* y) override {
    for (int i = 0; i < count; ++i) {
      const int64_t src = perm != nullptr ? perm[offset + i] : offset + i;
      std::memcpy(x + int64_t(i) * image_elems, images + src * image_elems,
                  sizeof(float) * size_t(image_elems));
      y[i] = labels[src];
    }
  }
  double sum_f32(const float* p, int64_t n) override {
    double s = 0.0;  // in index order: deterministic
    for (int64_t i = 0; i < n; ++i) s += p[i];
    return s;
  }
  int64_t sum_i32(const int32_t* p, int64_t n) override {
    int64_t s = 0;
    for (int64_t i = 0; i < n; ++i) s += p[i];
    return s;
  }

 private:
  static std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind("model name", 0) == 0) {
        const size_t colon = line.find(':');
        if (colon != std::string::npos) {
          size_t s = colon + 1;
          while (s < line.size() && line[s] == ' ') ++s;
          return line.substr(s);
        }
      }
    }
    return "unknown";
  }

  std::unordered_map<void*, size_t> sizes_;  // live allocations and their sizes
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const BackendOptions& opt) {
  return std::make_unique<CpuBackend>(opt);
}

}  // namespace convnet
