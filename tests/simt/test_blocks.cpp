// Blocks, barriers and shared memory: the basic path every kernel uses.
#include <cstring>
#include <vector>

#include "common/random_fill.h"
#include "simt_test_util.h"

using simt_test::DeviceArray;

namespace {

constexpr int kReduceThreads = 256;

// Classic shared-memory tree reduction: one partial sum per block.
__global__ void block_sum(const float* __restrict__ x, int n, float* __restrict__ partial) {
  __shared__ float s[kReduceThreads];
  const int tid = threadIdx.x;
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  s[tid] = i < n ? x[i] : 0.0f;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (tid < stride) s[tid] += s[tid + stride];
    __syncthreads();
  }
  if (tid == 0) partial[blockIdx.x] = s[0];
}

TEST(SimtBlocks, SharedMemoryTreeReductionMatchesHostSum) {
  for (int n : {1, 255, 256, 257, 5000}) {
    convnet::Rng rng(convnet::test::case_seed(static_cast<uint64_t>(n)));
    // Small integers: every partial sum is exact in float, so equality is the right check.
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = static_cast<float>(static_cast<int>(rng.below(201)) - 100);
    const int blocks = (n + kReduceThreads - 1) / kReduceThreads;
    DeviceArray<float> dx(x), dpartial(static_cast<size_t>(blocks));
    cn_launch(block_sum, dim3(blocks), dim3(kReduceThreads), 0, nullptr, dx.get(), n, dpartial.get());
    SIMT_OK(cudaGetLastError());
    const std::vector<float> partial = dpartial.download();
    for (int b = 0; b < blocks; ++b) {
      float expect = 0.0f;
      for (int i = b * kReduceThreads; i < std::min(n, (b + 1) * kReduceThreads); ++i) expect += x[static_cast<size_t>(i)];
      EXPECT_EQ(partial[static_cast<size_t>(b)], expect) << "n=" << n << " block " << b;
    }
  }
}

constexpr int kTile = 32;
constexpr int kRows = 8;  // a 32x8 block moves a 32x32 tile, 4 rows per thread

// Tiled transpose (in: rows x cols, out: cols x rows) through a static tile
// padded to 33 columns, the textbook bank-conflict fix.
__global__ void transpose_static(const float* in, float* out, int rows, int cols) {
  __shared__ float tile[kTile][kTile + 1];
  int x = blockIdx.x * kTile + threadIdx.x;
  int y = blockIdx.y * kTile + threadIdx.y;
  for (int j = 0; j < kTile; j += kRows) {
    if (x < cols && y + j < rows) tile[threadIdx.y + j][threadIdx.x] = in[(y + j) * cols + x];
  }
  __syncthreads();
  x = blockIdx.y * kTile + threadIdx.x;
  y = blockIdx.x * kTile + threadIdx.y;
  for (int j = 0; j < kTile; j += kRows) {
    if (x < rows && y + j < cols) out[(y + j) * rows + x] = tile[threadIdx.x][threadIdx.y + j];
  }
}

// The same through dynamic shared memory of (kTile + 1) * kTile floats.
__global__ void transpose_dynamic(const float* in, float* out, int rows, int cols) {
  CN_DYNAMIC_SHARED(float, tile);
  const int pitch = kTile + 1;
  int x = blockIdx.x * kTile + threadIdx.x;
  int y = blockIdx.y * kTile + threadIdx.y;
  for (int j = 0; j < kTile; j += kRows) {
    if (x < cols && y + j < rows) tile[(threadIdx.y + j) * pitch + threadIdx.x] = in[(y + j) * cols + x];
  }
  __syncthreads();
  x = blockIdx.y * kTile + threadIdx.x;
  y = blockIdx.x * kTile + threadIdx.y;
  for (int j = 0; j < kTile; j += kRows) {
    if (x < rows && y + j < cols) out[(y + j) * rows + x] = tile[threadIdx.x * pitch + threadIdx.y + j];
  }
}

TEST(SimtBlocks, TiledTransposeWithStaticAndDynamicSharedMemory) {
  const int shapes[][2] = {{1, 1}, {32, 32}, {33, 70}, {100, 31}};
  for (const auto& s : shapes) {
    const int rows = s[0], cols = s[1];
    convnet::Rng rng(convnet::test::case_seed(static_cast<uint64_t>(rows * 1000 + cols)));
    const std::vector<float> in = convnet::test::random_vector<float>(rows * cols, rng);
    DeviceArray<float> din(in), dout(static_cast<size_t>(rows * cols));
    const dim3 grid((cols + kTile - 1) / kTile, (rows + kTile - 1) / kTile);
    for (int dynamic = 0; dynamic < 2; ++dynamic) {
      SIMT_OK(cudaMemset(dout.get(), 0, dout.size() * sizeof(float)));
      if (dynamic) {
        cn_launch(transpose_dynamic, grid, dim3(kTile, kRows), (kTile + 1) * kTile * sizeof(float), nullptr,
                  din.get(), dout.get(), rows, cols);
      } else {
        cn_launch(transpose_static, grid, dim3(kTile, kRows), 0, nullptr, din.get(), dout.get(), rows, cols);
      }
      SIMT_OK(cudaGetLastError());
      const std::vector<float> out = dout.download();
      for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
          ASSERT_EQ(out[static_cast<size_t>(c * rows + r)], in[static_cast<size_t>(r * cols + c)])
              << (dynamic ? "dynamic" : "static") << " rows=" << rows << " cols=" << cols << " at " << r << "," << c;
        }
      }
    }
  }
}

// Every thread of a 3D grid of 3D blocks records its coordinates.
__global__ void record_coordinates(int* out) {
  const int bx = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const int tx = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const int id = bx * (blockDim.x * blockDim.y * blockDim.z) + tx;
  atomicAdd(&out[id * 7 + 0], 1);
  out[id * 7 + 1] = threadIdx.x, out[id * 7 + 2] = threadIdx.y, out[id * 7 + 3] = threadIdx.z;
  out[id * 7 + 4] = blockIdx.x, out[id * 7 + 5] = blockIdx.y, out[id * 7 + 6] = blockIdx.z;
}

TEST(SimtBlocks, ThreeDimensionalIndicesCoverTheGridOnce) {
  const dim3 grid(3, 2, 2), block(4, 3, 2);
  const int total = 12 * 24;
  DeviceArray<int> d(static_cast<size_t>(total * 7));
  SIMT_OK(cudaMemset(d.get(), 0, d.size() * sizeof(int)));
  cn_launch(record_coordinates, grid, block, 0, nullptr, d.get());
  SIMT_OK(cudaGetLastError());
  const std::vector<int> h = d.download();
  int id = 0;
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx)
        for (unsigned tz = 0; tz < block.z; ++tz)
          for (unsigned ty = 0; ty < block.y; ++ty)
            for (unsigned tx = 0; tx < block.x; ++tx, ++id) {
              const int* r = &h[static_cast<size_t>(id * 7)];
              ASSERT_EQ(r[0], 1) << "thread id " << id << " ran " << r[0] << " times";
              EXPECT_EQ(r[1], static_cast<int>(tx));
              EXPECT_EQ(r[2], static_cast<int>(ty));
              EXPECT_EQ(r[3], static_cast<int>(tz));
              EXPECT_EQ(r[4], static_cast<int>(bx));
              EXPECT_EQ(r[5], static_cast<int>(by));
              EXPECT_EQ(r[6], static_cast<int>(bz));
            }
}

// Reads dynamic shared memory before writing it: the emulator's "uninitialized"
// fill (0xFF bytes) must be there at the start of EVERY block.
__global__ void read_uninitialized_dynamic_shared(unsigned* out) {
  CN_DYNAMIC_SHARED(unsigned, s);
  out[blockIdx.x * blockDim.x + threadIdx.x] = s[threadIdx.x];
  __syncthreads();
  s[threadIdx.x] = 0;  // the next block must not see these zeros
}

TEST(SimtBlocks, DynamicSharedMemoryStartsEachBlockUninitialized) {
  DeviceArray<unsigned> d(4 * 64);
  cn_launch(read_uninitialized_dynamic_shared, dim3(4), dim3(64), 64 * sizeof(unsigned), nullptr, d.get());
  SIMT_OK(cudaGetLastError());
  for (unsigned v : d.download()) ASSERT_EQ(v, 0xFFFFFFFFu);
}

__global__ void barrier_predicates(const int* flags, int* out) {
  const int f = flags[threadIdx.x];
  const int count = __syncthreads_count(f);
  const int all = __syncthreads_and(f);
  const int any = __syncthreads_or(f);
  if (threadIdx.x == 0) out[0] = count, out[1] = all, out[2] = any;
}

TEST(SimtBlocks, SyncthreadsCountAndOr) {
  convnet::Rng rng(convnet::test::case_seed(7));
  for (int pattern = 0; pattern < 3; ++pattern) {
    std::vector<int> flags(96);
    int expect = 0;
    for (int& f : flags) {
      f = pattern == 0 ? 0 : pattern == 1 ? 1 : static_cast<int>(rng.below(2)) * 5;
      expect += f != 0;
    }
    DeviceArray<int> dflags(flags), dout(3);
    cn_launch(barrier_predicates, dim3(1), dim3(96), 0, nullptr, dflags.get(), dout.get());
    SIMT_OK(cudaGetLastError());
    const std::vector<int> out = dout.download();
    EXPECT_EQ(out[0], expect);
    EXPECT_EQ(out[1], expect == 96 ? 1 : 0);
    EXPECT_EQ(out[2], expect > 0 ? 1 : 0);
  }
}

__global__ void fill_value(float* out, size_t n, float value) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = value;
}

TEST(SimtBlocks, LaunchConfigurationErrorsComeBackThroughCudaGetLastError) {
  DeviceArray<float> d(64);
  SIMT_OK(cudaMemset(d.get(), 0, 64 * sizeof(float)));
  struct Case {
    dim3 grid, block;
    size_t smem;
    cudaError_t expect;
  };
  const Case cases[] = {
      {dim3(1), dim3(1025), 0, cudaErrorInvalidConfiguration},
      {dim3(1), dim3(32, 32, 2), 0, cudaErrorInvalidConfiguration},
      {dim3(1), dim3(1, 1, 65), 0, cudaErrorInvalidConfiguration},
      {dim3(0), dim3(32), 0, cudaErrorInvalidConfiguration},
      {dim3(1, 0), dim3(32), 0, cudaErrorInvalidConfiguration},
      {dim3(1), dim3(0), 0, cudaErrorInvalidConfiguration},
      {dim3(1, 65536), dim3(32), 0, cudaErrorInvalidConfiguration},
      {dim3(1), dim3(64), (48 << 10) + 4, cudaErrorInvalidValue},
  };
  for (const Case& c : cases) {
    cn_launch(fill_value, c.grid, c.block, c.smem, nullptr, d.get(), 64, 1.0f);
    EXPECT_EQ(cudaPeekAtLastError(), c.expect) << cn_simt::last_error_message();
    EXPECT_EQ(cudaGetLastError(), c.expect);
    EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "cudaGetLastError must reset the error";
  }
  for (float v : d.download()) ASSERT_EQ(v, 0.0f) << "a rejected launch must not run";

  // Opting in raises the dynamic shared memory limit, as on a GPU.
  SIMT_OK(cudaFuncSetAttribute(fill_value, cudaFuncAttributeMaxDynamicSharedMemorySize, 100 << 10));
  cn_launch(fill_value, dim3(1), dim3(64), (48 << 10) + 4, nullptr, d.get(), 64, 2.0f);
  SIMT_OK(cudaGetLastError());
  for (float v : d.download()) ASSERT_EQ(v, 2.0f);
  EXPECT_EQ(cudaFuncSetAttribute(fill_value, cudaFuncAttributeMaxDynamicSharedMemorySize, 228 << 10),
            cudaErrorInvalidValue);
  SIMT_OK(cudaFuncSetAttribute(fill_value, cudaFuncAttributeMaxDynamicSharedMemorySize, 48 << 10));
  cudaGetLastError();
}

TEST(SimtBlocks, ManyLaunchesOfManyThreadsAreCheap) {
  // 2000 launches x 1024 threads: guards the per-launch and per-thread cost
  // (pooled stacks, no allocation per thread). Correctness of the last one is
  // checked; the time limit is CTest's.
  DeviceArray<float> d(1024);
  for (int i = 0; i < 2000; ++i) cn_launch(fill_value, dim3(4), dim3(256), 0, nullptr, d.get(), 1024, float(i));
  SIMT_OK(cudaGetLastError());
  for (float v : d.download()) ASSERT_EQ(v, 1999.0f);
}

}  // namespace
