// Warp operations: results must be exactly what the CUDA Programming Guide
// defines. The expected values are computed here from the Guide's wording
// (segments of `width` lanes; up/down keep their own value at the segment
// edge; xor may read earlier segments but not later ones; idx wraps modulo
// width), independently of the emulator's PTX-style formulation.
#include <vector>

#include "common/random_fill.h"
#include "simt_test_util.h"

using simt_test::DeviceArray;

namespace {

enum Mode { kIdx, kUp, kDown, kXor };

template <typename T>
__global__ void shuffle_kernel(const T* in, T* out, int mode, int arg, int width) {
  const int t = threadIdx.x;
  const T v = in[t];
  T r;
  switch (mode) {
    case kIdx: r = __shfl_sync(0xffffffffu, v, arg + 7 * (t % 32 % 5), width); break;  // per-lane source lanes
    case kUp: r = __shfl_up_sync(0xffffffffu, v, static_cast<unsigned>(arg), width); break;
    case kDown: r = __shfl_down_sync(0xffffffffu, v, static_cast<unsigned>(arg), width); break;
    default: r = __shfl_xor_sync(0xffffffffu, v, arg, width); break;
  }
  out[t] = r;
}

// The Programming Guide's definition, for one warp's lane.
int expected_source(int mode, int lane, int arg, int width) {
  const int group = lane / width;
  switch (mode) {
    case kIdx: {
      const int src = arg + 7 * (lane % 5);
      return group * width + ((src % width) + width) % width;
    }
    case kUp: return lane % width >= arg ? lane - arg : lane;
    case kDown: return lane % width + arg < width ? lane + arg : lane;
    default: {
      const int src = lane ^ arg;
      return src / width > group ? lane : src;  // later groups: own value
    }
  }
}

template <typename T>
void check_shuffles(uint64_t seed) {
  convnet::Rng rng(seed);
  const int threads = 64;  // two warps: lanes are grouped by linear thread id
  std::vector<T> in(threads);
  for (T& v : in) v = static_cast<T>(rng.uniform(-1000, 1000));
  DeviceArray<T> din(in), dout(threads);
  const char* names[] = {"__shfl_sync", "__shfl_up_sync", "__shfl_down_sync", "__shfl_xor_sync"};
  for (int mode = kIdx; mode <= kXor; ++mode) {
    for (int width : {1, 2, 4, 8, 16, 32}) {
      for (int arg : {0, 1, 2, 3, 5, 8, 16, 31}) {
        if (mode == kIdx && arg > 31) continue;
        cn_launch(shuffle_kernel<T>, dim3(1), dim3(threads), 0, nullptr, din.get(), dout.get(), mode, arg, width);
        SIMT_OK(cudaGetLastError());
        const std::vector<T> out = dout.download();
        for (int t = 0; t < threads; ++t) {
          const int warp_base = t / 32 * 32;
          const int src = warp_base + expected_source(mode, t % 32, arg, width);
          ASSERT_EQ(out[static_cast<size_t>(t)], in[static_cast<size_t>(src)])
              << names[mode] << " width " << width << " arg " << arg << " thread " << t;
        }
      }
    }
  }
}

TEST(SimtWarp, ShufflesMatchTheCudaDefinitionForAllWidthsFloat) { check_shuffles<float>(convnet::test::case_seed(1)); }
TEST(SimtWarp, ShufflesMatchTheCudaDefinitionForAllWidthsDouble) { check_shuffles<double>(convnet::test::case_seed(2)); }
TEST(SimtWarp, ShufflesMatchTheCudaDefinitionForAllWidthsInt) { check_shuffles<int>(convnet::test::case_seed(3)); }
TEST(SimtWarp, ShufflesMatchTheCudaDefinitionForAllWidthsUnsigned) {
  check_shuffles<unsigned>(convnet::test::case_seed(4));
}

// The usual warp reduction with __shfl_down_sync and the butterfly with
// __shfl_xor_sync (every lane ends with the total).
__global__ void warp_sums(const int* in, int* down_total, int* xor_all) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  int a = in[t], b = in[t];
  for (int offset = 16; offset > 0; offset /= 2) {
    a += __shfl_down_sync(0xffffffffu, a, offset);
    b += __shfl_xor_sync(0xffffffffu, b, offset);
  }
  if (threadIdx.x % 32 == 0) down_total[t / 32] = a;
  xor_all[t] = b;
}

TEST(SimtWarp, WarpReductionsGiveTheWarpSum) {
  convnet::Rng rng(convnet::test::case_seed(5));
  const int blocks = 3, threads = 128, n = blocks * threads;
  std::vector<int> in(n);
  for (int& v : in) v = static_cast<int>(rng.below(1000)) - 500;
  DeviceArray<int> din(in), ddown(n / 32), dxor(n);
  cn_launch(warp_sums, dim3(blocks), dim3(threads), 0, nullptr, din.get(), ddown.get(), dxor.get());
  SIMT_OK(cudaGetLastError());
  const std::vector<int> down = ddown.download(), all = dxor.download();
  for (int w = 0; w < n / 32; ++w) {
    int sum = 0;
    for (int l = 0; l < 32; ++l) sum += in[static_cast<size_t>(w * 32 + l)];
    EXPECT_EQ(down[static_cast<size_t>(w)], sum) << "warp " << w;
    for (int l = 0; l < 32; ++l) ASSERT_EQ(all[static_cast<size_t>(w * 32 + l)], sum) << "warp " << w << " lane " << l;
  }
}

// Ballot/any/all over the full warp, and over two halves that diverge and
// vote separately with their own masks.
__global__ void votes(const int* pred, unsigned* out) {
  const int t = threadIdx.x;
  const int lane = t % 32;
  const int p = pred[t];
  out[t * 6 + 0] = __ballot_sync(0xffffffffu, p);
  out[t * 6 + 1] = static_cast<unsigned>(__any_sync(0xffffffffu, p));
  out[t * 6 + 2] = static_cast<unsigned>(__all_sync(0xffffffffu, p));
  const unsigned half = lane < 16 ? 0x0000ffffu : 0xffff0000u;
  if (lane < 16) {
    out[t * 6 + 3] = __ballot_sync(half, p);
    out[t * 6 + 4] = static_cast<unsigned>(__any_sync(half, p));
    out[t * 6 + 5] = static_cast<unsigned>(__all_sync(half, p));
  } else {
    out[t * 6 + 3] = __ballot_sync(half, p);
    out[t * 6 + 4] = static_cast<unsigned>(__any_sync(half, p));
    out[t * 6 + 5] = static_cast<unsigned>(__all_sync(half, p));
  }
  __syncwarp();
}

TEST(SimtWarp, BallotAnyAllWithFullAndPartialMasks) {
  convnet::Rng rng(convnet::test::case_seed(6));
  const int threads = 96;
  for (int pattern = 0; pattern < 4; ++pattern) {
    std::vector<int> pred(threads);
    for (int t = 0; t < threads; ++t) {
      pred[static_cast<size_t>(t)] = pattern == 0 ? 0 : pattern == 1 ? 3 : static_cast<int>(rng.below(2));
      if (pattern == 3 && t % 32 < 16) pred[static_cast<size_t>(t)] = 1;  // one half all-true
    }
    DeviceArray<int> dpred(pred);
    DeviceArray<unsigned> dout(threads * 6);
    cn_launch(votes, dim3(1), dim3(threads), 0, nullptr, dpred.get(), dout.get());
    SIMT_OK(cudaGetLastError());
    const std::vector<unsigned> out = dout.download();
    for (int t = 0; t < threads; ++t) {
      const int base = t / 32 * 32, lane = t % 32;
      unsigned ballot = 0;
      for (int l = 0; l < 32; ++l) ballot |= (pred[static_cast<size_t>(base + l)] != 0 ? 1u : 0u) << l;
      const unsigned half = lane < 16 ? 0x0000ffffu : 0xffff0000u;
      const unsigned* r = &out[static_cast<size_t>(t * 6)];
      EXPECT_EQ(r[0], ballot) << "thread " << t;
      EXPECT_EQ(r[1], ballot != 0 ? 1u : 0u);
      EXPECT_EQ(r[2], ballot == 0xffffffffu ? 1u : 0u);
      EXPECT_EQ(r[3], ballot & half) << "thread " << t;
      EXPECT_EQ(r[4], (ballot & half) != 0 ? 1u : 0u);
      EXPECT_EQ(r[5], (ballot & half) == half ? 1u : 0u);
    }
  }
}

// A shuffle among the even lanes only (mask 0x55555555): lane i reads i^2.
__global__ void even_lanes_xor(const float* in, float* out) {
  const int t = threadIdx.x;
  float v = in[t];
  if (t % 2 == 0) v = __shfl_xor_sync(0x55555555u, v, 2);
  out[t] = v;
}

TEST(SimtWarp, PartialMaskShuffleInsideABranch) {
  convnet::Rng rng(convnet::test::case_seed(8));
  const std::vector<float> in = convnet::test::random_vector<float>(32, rng);
  DeviceArray<float> din(in), dout(32);
  cn_launch(even_lanes_xor, dim3(1), dim3(32), 0, nullptr, din.get(), dout.get());
  SIMT_OK(cudaGetLastError());
  const std::vector<float> out = dout.download();
  for (int t = 0; t < 32; ++t) {
    EXPECT_EQ(out[static_cast<size_t>(t)], in[static_cast<size_t>(t % 2 == 0 ? t ^ 2 : t)]) << "lane " << t;
  }
}

// __activemask: the emulator reports the lanes that exist and have not
// exited (the barrier keeps every lane alive until all have asked).
__global__ void active_masks(unsigned* out) {
  out[threadIdx.x] = __activemask();
  __syncthreads();
}

TEST(SimtWarp, ActiveMaskOfAPartialWarp) {
  DeviceArray<unsigned> d(40);
  cn_launch(active_masks, dim3(1), dim3(40), 0, nullptr, d.get());
  SIMT_OK(cudaGetLastError());
  const std::vector<unsigned> out = d.download();
  for (int t = 0; t < 40; ++t) EXPECT_EQ(out[static_cast<size_t>(t)], t < 32 ? 0xffffffffu : 0xffu) << t;
}

}  // namespace
