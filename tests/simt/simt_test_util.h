// tests/simt/simt_test_util.h: small helpers for the emulator's own tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "simt/cuda_compat.h"

// A failed runtime call reports the emulator's message, not just the code.
#define SIMT_OK(call)                                                                         \
  do {                                                                                        \
    const cudaError_t simt_err_ = (call);                                                     \
    ASSERT_EQ(simt_err_, cudaSuccess) << cudaGetErrorName(simt_err_) << ": "                  \
                                      << cn_simt::last_error_message();                       \
  } while (0)

namespace simt_test {

// cudaMalloc'd array with host round trips; freed on scope exit.
template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(std::size_t n) : n_(n) {
    if (cudaMalloc(&p_, n * sizeof(T)) != cudaSuccess) throw std::runtime_error(cn_simt::last_error_message());
  }
  explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) { upload(host); }
  ~DeviceArray() { cudaFree(p_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* get() const { return p_; }
  std::size_t size() const { return n_; }
  void upload(const std::vector<T>& host) {
    if (cudaMemcpy(p_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice) != cudaSuccess) {
      throw std::runtime_error(cn_simt::last_error_message());
    }
  }
  std::vector<T> download() const {
    std::vector<T> host(n_);
    if (cudaMemcpy(host.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost) != cudaSuccess) {
      throw std::runtime_error(cn_simt::last_error_message());
    }
    return host;
  }

 private:
  T* p_ = nullptr;
  std::size_t n_;
};

// Restores the process-wide fiber order when a test that changes it ends.
class OrderGuard {
 public:
  OrderGuard() : saved_(cn_simt::order()) {}
  ~OrderGuard() { cn_simt::set_order(saved_); }

 private:
  cn_simt::Order saved_;
};

}  // namespace simt_test
