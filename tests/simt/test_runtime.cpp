// The CUDA runtime stand-ins: copies of every kind (and the misuse the
// emulator catches), memset, allocation tracking, streams, events, device
// queries.
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "common/random_fill.h"
#include "simt_test_util.h"

using simt_test::DeviceArray;

namespace {

TEST(SimtRuntime, MemcpyOfEveryKindRoundTrips) {
  convnet::Rng rng(convnet::test::case_seed(400));
  const size_t n = 1000;
  const std::vector<float> src = convnet::test::random_vector<float>(static_cast<int64_t>(n), rng);
  float *a = nullptr, *b = nullptr;
  SIMT_OK(cudaMalloc(&a, n * sizeof(float)));
  SIMT_OK(cudaMalloc(&b, n * sizeof(float)));
  std::vector<float> back(n), host2(n);
  SIMT_OK(cudaMemcpy(a, src.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  SIMT_OK(cudaMemcpy(b, a, n * sizeof(float), cudaMemcpyDeviceToDevice));
  SIMT_OK(cudaMemcpy(back.data(), b, n * sizeof(float), cudaMemcpyDeviceToHost));
  EXPECT_EQ(back, src);
  SIMT_OK(cudaMemcpy(host2.data(), back.data(), n * sizeof(float), cudaMemcpyHostToHost));
  EXPECT_EQ(host2, src);
  // cudaMemcpyDefault infers the direction from the pointers.
  std::fill(back.begin(), back.end(), 0.0f);
  SIMT_OK(cudaMemcpy(b + 10, src.data(), 100 * sizeof(float), cudaMemcpyDefault));
  SIMT_OK(cudaMemcpy(back.data(), b + 10, 100 * sizeof(float), cudaMemcpyDefault));
  EXPECT_TRUE(std::equal(back.begin(), back.begin() + 100, src.begin()));
  // Async versions on a stream, then synchronize.
  cudaStream_t s = nullptr;
  SIMT_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  SIMT_OK(cudaMemsetAsync(a, 0, n * sizeof(float), s));
  SIMT_OK(cudaMemcpyAsync(back.data(), a, n * sizeof(float), cudaMemcpyDeviceToHost, s));
  SIMT_OK(cudaStreamSynchronize(s));
  for (float v : back) ASSERT_EQ(v, 0.0f);
  SIMT_OK(cudaStreamDestroy(s));
  SIMT_OK(cudaFree(a));
  SIMT_OK(cudaFree(b));
}

TEST(SimtRuntime, MisusedCopiesAreErrorsNotCorruption) {
  DeviceArray<float> d(16);
  std::vector<float> host(32);
  // Past the end of the allocation.
  EXPECT_EQ(cudaMemcpy(d.get(), host.data(), 17 * sizeof(float), cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_NE(cn_simt::last_error_message().find("64-byte cudaMalloc allocation"), std::string::npos)
      << cn_simt::last_error_message();
  EXPECT_EQ(cudaMemcpy(host.data(), d.get() + 8, 9 * sizeof(float), cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
  // Wrong direction: host pointer where the kind says device, and vice versa.
  EXPECT_EQ(cudaMemcpy(host.data(), d.get(), 4, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(d.get(), host.data(), 4, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(d.get(), host.data(), 4, static_cast<cudaMemcpyKind>(9)), cudaErrorInvalidMemcpyDirection);
  EXPECT_EQ(cudaMemset(host.data(), 0, 4), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemset(d.get(), 0, 65), cudaErrorInvalidValue);
  // The error is what cudaGetLastError returns next, then it is cleared.
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

TEST(SimtRuntime, MemsetAndUninitializedFill) {
  unsigned char* p = nullptr;
  SIMT_OK(cudaMalloc(&p, 100));
  std::vector<unsigned char> h(100);
  SIMT_OK(cudaMemcpy(h.data(), p, 100, cudaMemcpyDeviceToHost));
  for (unsigned char c : h) ASSERT_EQ(c, 0xFF) << "fresh cudaMalloc memory is filled with 0xFF (NaN as float)";
  SIMT_OK(cudaMemset(p + 10, 0x3C, 50));
  SIMT_OK(cudaMemcpy(h.data(), p, 100, cudaMemcpyDeviceToHost));
  for (int i = 0; i < 100; ++i) ASSERT_EQ(h[static_cast<size_t>(i)], i >= 10 && i < 60 ? 0x3C : 0xFF) << i;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 256, 0u) << "cudaMalloc pointers are 256-byte aligned";
  SIMT_OK(cudaFree(p));
}

TEST(SimtRuntime, AllocationCounterAndBadFrees) {
  const long long before = cn_simt::allocation_count();
  const long long live_before = cn_simt::live_allocations();
  const size_t bytes_before = cn_simt::live_bytes();
  void *a = nullptr, *b = nullptr;
  SIMT_OK(cudaMalloc(&a, 100));
  SIMT_OK(cudaMalloc(&b, 28));
  EXPECT_EQ(cn_simt::allocation_count(), before + 2);
  EXPECT_EQ(cn_simt::live_allocations(), live_before + 2);
  EXPECT_EQ(cn_simt::live_bytes(), bytes_before + 128);
  // Copies, memsets and launches do not allocate device memory.
  SIMT_OK(cudaMemset(a, 0, 100));
  SIMT_OK(cudaMemcpy(b, a, 28, cudaMemcpyDeviceToDevice));
  EXPECT_EQ(cn_simt::allocation_count(), before + 2);
  // A pointer into the middle of an allocation, and a host pointer, are not freeable.
  EXPECT_EQ(cudaFree(static_cast<char*>(a) + 4), cudaErrorInvalidValue);
  EXPECT_NE(cn_simt::last_error_message().find("byte 4 of a 100-byte"), std::string::npos)
      << cn_simt::last_error_message();
  int local = 0;
  EXPECT_EQ(cudaFree(&local), cudaErrorInvalidValue);
  SIMT_OK(cudaFree(a));
  EXPECT_EQ(cudaFree(a), cudaErrorInvalidValue) << "double free";
  SIMT_OK(cudaFree(b));
  SIMT_OK(cudaFree(nullptr));
  EXPECT_EQ(cn_simt::live_allocations(), live_before);
  EXPECT_EQ(cn_simt::live_bytes(), bytes_before);
  EXPECT_EQ(cn_simt::allocation_count(), before + 2);
  cudaGetLastError();
  void* z = reinterpret_cast<void*>(1);
  SIMT_OK(cudaMalloc(&z, 0));
  EXPECT_EQ(z, nullptr);
}

TEST(SimtRuntime, EventsMeasureHostTime) {
  cudaEvent_t start = nullptr, stop = nullptr;
  SIMT_OK(cudaEventCreate(&start));
  SIMT_OK(cudaEventCreate(&stop));
  float ms = -1.0f;
  EXPECT_EQ(cudaEventElapsedTime(&ms, start, stop), cudaErrorInvalidResourceHandle) << "not recorded yet";
  SIMT_OK(cudaEventRecord(start));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  SIMT_OK(cudaEventRecord(stop, nullptr));
  SIMT_OK(cudaEventSynchronize(stop));
  SIMT_OK(cudaEventQuery(stop));
  SIMT_OK(cudaEventElapsedTime(&ms, start, stop));
  EXPECT_GE(ms, 19.0f);
  EXPECT_LT(ms, 2000.0f);
  SIMT_OK(cudaEventDestroy(start));
  SIMT_OK(cudaEventDestroy(stop));
  EXPECT_EQ(cudaEventDestroy(stop), cudaErrorInvalidResourceHandle);
  cudaStream_t s = nullptr;
  SIMT_OK(cudaStreamCreate(&s));
  SIMT_OK(cudaStreamDestroy(s));
  EXPECT_EQ(cudaStreamDestroy(s), cudaErrorInvalidResourceHandle);
  EXPECT_EQ(cudaStreamSynchronize(s), cudaErrorInvalidResourceHandle);
  cudaGetLastError();
}

TEST(SimtRuntime, DeviceQueries) {
  int count = 0, dev = -1, v = 0;
  SIMT_OK(cudaGetDeviceCount(&count));
  EXPECT_EQ(count, 1);
  SIMT_OK(cudaSetDevice(0));
  EXPECT_EQ(cudaSetDevice(1), cudaErrorInvalidDevice);
  SIMT_OK(cudaGetDevice(&dev));
  EXPECT_EQ(dev, 0);
  cudaDeviceProp prop;
  SIMT_OK(cudaGetDeviceProperties(&prop, 0));
  EXPECT_STREQ(prop.name, "SIMT emulator");
  EXPECT_EQ(prop.sharedMemPerBlock, 48u << 10);
  EXPECT_EQ(prop.maxThreadsPerBlock, 1024);
  EXPECT_EQ(prop.warpSize, 32);
  EXPECT_GE(prop.multiProcessorCount, 1);
  EXPECT_EQ(prop.major, 9);
  SIMT_OK(cudaDriverGetVersion(&v));
  EXPECT_GT(v, 0);
  SIMT_OK(cudaRuntimeGetVersion(&v));
  EXPECT_GT(v, 0);
  size_t free_b = 0, total_b = 0;
  SIMT_OK(cudaMemGetInfo(&free_b, &total_b));
  EXPECT_LE(free_b, total_b);
  SIMT_OK(cudaDeviceSynchronize());
  EXPECT_STREQ(cudaGetErrorString(cudaErrorInvalidConfiguration), "invalid configuration argument");
  EXPECT_STREQ(cudaGetErrorName(cudaErrorInvalidValue), "cudaErrorInvalidValue");
  cudaGetLastError();
}

__global__ void scale(float* x, int n, float a) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] *= a;
}

TEST(SimtRuntime, LaunchOnAStreamAndOnADestroyedStream) {
  DeviceArray<float> d(std::vector<float>(100, 2.0f));
  cudaStream_t s = nullptr;
  SIMT_OK(cudaStreamCreate(&s));
  cn_launch(scale, dim3(1), dim3(128), 0, s, d.get(), 100, 3.0f);
  SIMT_OK(cudaGetLastError());
  SIMT_OK(cudaStreamSynchronize(s));
  for (float v : d.download()) ASSERT_EQ(v, 6.0f);
  SIMT_OK(cudaStreamDestroy(s));
  cn_launch(scale, dim3(1), dim3(128), 0, s, d.get(), 100, 3.0f);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidResourceHandle);
  const long long launches = cn_simt::launch_count();
  cn_launch(scale, dim3(1), dim3(128), 0, nullptr, d.get(), 100, 1.0f);
  EXPECT_EQ(cn_simt::launch_count(), launches + 1);
}

}  // namespace
