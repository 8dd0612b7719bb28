// Every diagnostic the emulator promises, actually triggered and caught, in
// whatever fiber order CTest runs us with (each must be found in every order).
#include <stdexcept>
#include <string>

#include "simt_test_util.h"

using simt_test::DeviceArray;

namespace {

// Runs `launch`, expects a SimtError whose message contains every `needle`.
template <typename F>
void expect_simt_error(F launch, std::initializer_list<const char*> needles) {
  try {
    launch();
  } catch (const cn_simt::SimtError& e) {
    const std::string msg = e.what();
    for (const char* n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "missing '" << n << "' in: " << msg;
    EXPECT_EQ(cn_simt::last_error_message(), msg);
    return;
  }
  ADD_FAILURE() << "no SimtError was thrown (order " << cn_simt::order_name(cn_simt::order()) << ")";
}

__global__ void early_return_before_barrier(float* out) {
  if (threadIdx.x == 5) return;  // the classic bug
  __syncthreads();
  out[threadIdx.x] = 1.0f;
}

TEST(SimtDiagnostics, ThreadExitsWhileOthersWaitAtSyncthreads) {
  DeviceArray<float> d(64);
  expect_simt_error([&] { cn_launch(early_return_before_barrier, dim3(2), dim3(64), 0, nullptr, d.get()); },
                    {"__syncthreads", "exited", "(5,0,0)"});
}

__global__ void different_barrier_counts(int* out) {
  if (threadIdx.x < 16) __syncthreads();
  __syncthreads();
  out[threadIdx.x] = 1;
}

TEST(SimtDiagnostics, DifferentBarrierCountsAreCaught) {
  DeviceArray<int> d(64);
  expect_simt_error([&] { cn_launch(different_barrier_counts, dim3(1), dim3(64), 0, nullptr, d.get()); },
                    {"__syncthreads", "exited"});
}

__global__ void shuffle_with_exited_lanes(float* out) {
  const int lane = threadIdx.x % 32;
  if (lane >= 16) return;
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, out[threadIdx.x], 1);
}

TEST(SimtDiagnostics, ShuffleMaskNamingExitedLanes) {
  DeviceArray<float> d(32);
  expect_simt_error([&] { cn_launch(shuffle_with_exited_lanes, dim3(1), dim3(32), 0, nullptr, d.get()); },
                    {"__shfl_down_sync", "0xffffffff", "exited"});
}

__global__ void ballot_in_partial_warp(unsigned* out) { out[threadIdx.x] = __ballot_sync(0xffffffffu, 1); }

TEST(SimtDiagnostics, MaskNamingLanesThatAreNotThreadsOfTheBlock) {
  DeviceArray<unsigned> d(48);
  expect_simt_error([&] { cn_launch(ballot_in_partial_warp, dim3(1), dim3(48), 0, nullptr, d.get()); },
                    {"__ballot_sync", "not threads of this block", "0xffff0000"});
}

__global__ void shuffle_in_half_the_warp(float* out) {
  float v = out[threadIdx.x];
  if (threadIdx.x < 16) v = __shfl_sync(0xffffffffu, v, 0);  // lanes 16..31 never come
  __syncthreads();
  out[threadIdx.x] = v;
}

TEST(SimtDiagnostics, LanesThatNeverArriveAreADeadlock) {
  DeviceArray<float> d(32);
  expect_simt_error([&] { cn_launch(shuffle_in_half_the_warp, dim3(1), dim3(32), 0, nullptr, d.get()); },
                    {"deadlock", "__shfl_sync", "0xffff0000"});
}

__global__ void mismatched_operations(unsigned* out) {
  const int lane = threadIdx.x % 32;
  if (lane < 16) {
    out[threadIdx.x] = __shfl_sync(0xffffffffu, 1u, 0);
  } else {
    out[threadIdx.x] = __ballot_sync(0xffffffffu, 1);
  }
}

TEST(SimtDiagnostics, LanesMeetingAtDifferentWarpOperations) {
  DeviceArray<unsigned> d(32);
  expect_simt_error([&] { cn_launch(mismatched_operations, dim3(1), dim3(32), 0, nullptr, d.get()); },
                    {"same mask", "__ballot_sync", "__shfl_sync"});
}

__global__ void mask_without_caller(float* out) {
  out[threadIdx.x] = __shfl_sync(1u << ((threadIdx.x + 1) % 32), out[threadIdx.x], 0);
}

TEST(SimtDiagnostics, MaskMustIncludeTheCallingLane) {
  DeviceArray<float> d(32);
  expect_simt_error([&] { cn_launch(mask_without_caller, dim3(1), dim3(32), 0, nullptr, d.get()); },
                    {"must include the calling lane"});
}

__global__ void read_lane_outside_mask(float* out) {
  const int lane = threadIdx.x % 32;
  if (lane < 16) out[threadIdx.x] = __shfl_sync(0x0000ffffu, out[threadIdx.x], 20, 32);
}

TEST(SimtDiagnostics, ShuffleReadingALaneOutsideTheMask) {
  DeviceArray<float> d(32);
  expect_simt_error([&] { cn_launch(read_lane_outside_mask, dim3(1), dim3(32), 0, nullptr, d.get()); },
                    {"reads lane 20", "not in the mask"});
}

__global__ void bad_width(float* out) { out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, out[threadIdx.x], 1, 12); }

TEST(SimtDiagnostics, ShuffleWidthMustBeAPowerOfTwo) {
  DeviceArray<float> d(32);
  expect_simt_error([&] { cn_launch(bad_width, dim3(1), dim3(32), 0, nullptr, d.get()); }, {"width 12"});
}

__global__ void throwing_kernel(int* out) {
  if (threadIdx.x == 3 && blockIdx.x == 1) throw std::runtime_error("device-side failure");
  __syncthreads();
  out[threadIdx.x] = 1;
}

TEST(SimtDiagnostics, ExceptionOutOfAKernelStopsTheLaunch) {
  DeviceArray<int> d(32);
  expect_simt_error([&] { cn_launch(throwing_kernel, dim3(2), dim3(32), 0, nullptr, d.get()); },
                    {"device-side failure", "(3,0,0)", "block (1,0,0)"});
}

__global__ void nested_launch(int* out);
__global__ void nested_child(int* out) { out[0] = 1; }
__global__ void nested_launch(int* out) { cn_launch(nested_child, dim3(1), dim3(1), 0, nullptr, out); }

TEST(SimtDiagnostics, DeviceSideLaunchIsRefused) {
  DeviceArray<int> d(1);
  expect_simt_error([&] { cn_launch(nested_launch, dim3(1), dim3(2), 0, nullptr, d.get()); },
                    {"dynamic parallelism"});
}

TEST(SimtDiagnostics, DeviceFunctionsOutsideAKernelThrow) {
  EXPECT_THROW(__syncthreads(), cn_simt::SimtError);
  EXPECT_THROW(__shfl_sync(0xffffffffu, 1.0f, 0), cn_simt::SimtError);
}

TEST(SimtDiagnostics, RecordModeReportsThroughCudaGetLastError) {
  DeviceArray<float> d(64);
  cn_simt::set_throw_on_error(false);
  cn_launch(early_return_before_barrier, dim3(1), dim3(64), 0, nullptr, d.get());
  cn_simt::set_throw_on_error(true);
  EXPECT_EQ(cudaGetLastError(), cudaErrorLaunchFailure);
  EXPECT_NE(cn_simt::last_error_message().find("exited"), std::string::npos) << cn_simt::last_error_message();
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

__global__ void fill_index(int* out) { out[blockIdx.x * blockDim.x + threadIdx.x] = static_cast<int>(threadIdx.x); }

TEST(SimtDiagnostics, TheEmulatorRecoversAfterAFailedLaunch) {
  DeviceArray<float> df(256);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THROW(cn_launch(early_return_before_barrier, dim3(1), dim3(256), 0, nullptr, df.get()),
                 cn_simt::SimtError);
    EXPECT_THROW(cn_launch(shuffle_in_half_the_warp, dim3(1), dim3(32), 0, nullptr, df.get()), cn_simt::SimtError);
  }
  DeviceArray<int> d(4 * 256);
  cn_launch(fill_index, dim3(4), dim3(256), 0, nullptr, d.get());
  SIMT_OK(cudaGetLastError());
  const std::vector<int> h = d.download();
  for (int i = 0; i < 4 * 256; ++i) ASSERT_EQ(h[static_cast<size_t>(i)], i % 256);
}

}  // namespace

namespace {

#if defined(__SANITIZE_ADDRESS__)
__global__ void write_one_past_the_end(float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i <= n) out[i] = 1.0f;  // off by one: i == n is outside the allocation
}

__global__ void dynamic_shared_overrun(float* out) {
  CN_DYNAMIC_SHARED(float, s);
  s[threadIdx.x] = 1.0f;  // launched with one float too few
  __syncthreads();
  out[threadIdx.x] = s[threadIdx.x];
}

TEST(SimtDiagnosticsDeathTest, AddressSanitizerSeesOutOfBoundsAccessesInsideFibers) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        float* d = nullptr;
        cudaMalloc(&d, 100 * sizeof(float));
        cn_launch(write_one_past_the_end, dim3(1), dim3(128), 0, nullptr, d, 100);
      },
      "heap-buffer-overflow");
  EXPECT_DEATH(
      {
        float* d = nullptr;
        cudaMalloc(&d, 64 * sizeof(float));
        cn_launch(dynamic_shared_overrun, dim3(1), dim3(64), 63 * sizeof(float), nullptr, d);
      },
      "heap-buffer-overflow");
}
#else
TEST(SimtDiagnosticsDeathTest, AddressSanitizerSeesOutOfBoundsAccessesInsideFibers) {
  GTEST_SKIP() << "bounds are checked by AddressSanitizer: configure with -DCONVNET_SANITIZE=ON to run this";
}
#endif

}  // namespace
