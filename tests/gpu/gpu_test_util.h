// tests/gpu/gpu_test_util.h: shared pieces of the CUDA backend tests.
//
// These tests are ordinary C++ against convnet::Backend: they are linked once
// with the real CUDA library (test_gpu, needs a GPU) and once with the same
// kernels compiled for the host SIMT emulator (test_gpu_emu). The CPU ops
// (convnet::cpu, in float and in double) are the oracle.
//
//   GpuTest                fixture: skips VISIBLY with the reason when no
//                          CUDA device can be used; backend(v) gives a CUDA
//                          backend forcing conv variant v (one per variant).
//   DeviceBuf<T>           RAII device buffer: upload / download / poison.
//   small_mode()           env CONVNET_TEST_SMALL=1 (sanitizer run): shrink cases.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "convnet/backend.h"
#include "convnet/cuda_backend.h"

namespace convnet::test {

inline bool small_mode() {
  const char* e = std::getenv("CONVNET_TEST_SMALL");
  return e != nullptr && std::strcmp(e, "1") == 0;
}

constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
constexpr int32_t kPoisonI32 = -123456789;

// A device buffer of n elements of T owned by one backend.
template <class T>
class DeviceBuf {
 public:
  DeviceBuf(Backend& be, int64_t n) : be_(&be), n_(n) {
    p_ = static_cast<T*>(be.alloc_bytes(bytes()));
  }
  DeviceBuf(Backend& be, const std::vector<T>& host) : DeviceBuf(be, int64_t(host.size())) {
    upload(host);
  }
  ~DeviceBuf() {
    if (p_) be_->free_bytes(p_);
  }
  DeviceBuf(const DeviceBuf&) = delete;
  DeviceBuf& operator=(const DeviceBuf&) = delete;

  T* get() { return p_; }
  const T* get() const { return p_; }
  int64_t size() const { return n_; }
  size_t bytes() const { return sizeof(T) * size_t(n_); }

  void upload(const std::vector<T>& host) {
    EXPECT_EQ(int64_t(host.size()), n_);
    be_->upload(p_, host.data(), bytes());
  }
  std::vector<T> download() const {
    std::vector<T> host(static_cast<size_t>(n_));
    be_->download(host.data(), p_, bytes());
    return host;
  }
  // Fill with a value no kernel would write (NaN for floats), so an element
  // the kernel forgets fails the comparison.
  void poison(T value) { upload(std::vector<T>(size_t(n_), value)); }

 private:
  Backend* be_;
  int64_t n_;
  T* p_ = nullptr;
};

class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = cuda_device_unavailable_reason();
    if (!why.empty()) GTEST_SKIP() << "CUDA backend tests skipped: " << why;
  }
  static std::unique_ptr<Backend> backend(ConvVariant v = ConvVariant::Auto) {
    return make_cuda_backend(BackendOptions{}, v);
  }
};


}  // namespace convnet::test
