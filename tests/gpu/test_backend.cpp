// tests/gpu/test_backend.cpp: the CUDA backend's memory, data pipeline and
// reductions: gather, shuffle, sums, allocation counting, provenance, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "common/random_fill.h"
#include "convnet/error.h"
#include "convnet/rng.h"
#include "gpu_test_util.h"

namespace {

using namespace convnet;
using namespace convnet::test;

class CudaBackendTest : public GpuTest {};

TEST_F(CudaBackendTest, MemoryCountsCopiesAndZeroes) {
  auto be = backend();
  EXPECT_EQ(be->kind(), BackendKind::Cuda);
  EXPECT_EQ(be->name(), "cuda");
  const int64_t before = be->allocation_count();
  {
    Rng rng(case_seed(1));
    const auto host = random_vector<float>(1000, rng);
    DeviceBuf<float> a(*be, host), b(*be, 1000);
    EXPECT_EQ(be->allocation_count(), before + 2);
    EXPECT_EQ(be->bytes_in_use(), 2 * 1000 * sizeof(float));
    b.poison(kNaNf);
    be->copy(b.get(), a.get(), 1000 * sizeof(float));
    EXPECT_EQ(b.download(), host);
    be->zero(b.get() + 10, 20 * sizeof(float));
    const auto z = b.download();
    for (int i = 0; i < 1000; ++i)
      ASSERT_EQ(z[i], (i >= 10 && i < 30) ? 0.0f : host[i]) << "at " << i;
    be->synchronize();
  }
  EXPECT_EQ(be->bytes_in_use(), 0u);
  EXPECT_EQ(be->peak_bytes(), 2 * 1000 * sizeof(float));
}

TEST_F(CudaBackendTest, FreeingAForeignPointerThrows) {
  auto be = backend();
  int not_device_memory = 0;
  EXPECT_THROW(be->free_bytes(&not_device_memory), Error);
  be->free_bytes(nullptr);  // a no-op, as free(nullptr)
}

TEST_F(CudaBackendTest, ProvenanceNamesTheDevice) {
  auto be = backend(ConvVariant::Tiled);
  const auto prov = be->provenance();
  for (const char* key : {"device", "compute_capability", "cuda_driver_version",
                          "cuda_runtime_version", "device_memory_total_bytes", "conv_variant"}) {
    ASSERT_TRUE(prov.count(key)) << "provenance lacks " << key;
    EXPECT_FALSE(prov.at(key).empty()) << key;
  }
  EXPECT_EQ(prov.at("conv_variant"), "tiled");
}

TEST_F(CudaBackendTest, BadDeviceOrdinalThrowsWithReason) {
  BackendOptions opt;
  opt.device = 1000;
  try {
    make_cuda_backend(opt);
    FAIL() << "device 1000 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("device 1000"), std::string::npos) << e.what();
  }
}

// ---- gather -----------------------------------------------------------------------
TEST_F(CudaBackendTest, GatherFollowsThePermutation) {
  auto be = backend();
  const int n = 50, elems = 7 * 3, count = 13;
  const int64_t offset = 29;
  Rng rng(case_seed(2));
  const auto images = random_vector<float>(int64_t(n) * elems, rng);
  std::vector<int32_t> labels(n), perm(n);
  fill_labels(labels.data(), n, 10, rng);
  random_permutation(perm.data(), n, 77);
  DeviceBuf<float> img(*be, images), x(*be, int64_t(count) * elems);
  DeviceBuf<int32_t> lab(*be, labels), pm(*be, perm), y(*be, count);
  for (bool identity : {false, true}) {
    SCOPED_TRACE(identity ? "perm = nullptr (identity)" : "random perm");
    x.poison(kNaNf);
    y.poison(kPoisonI32);
    be->gather(img.get(), lab.get(), elems, identity ? nullptr : pm.get(), offset, count, x.get(),
               y.get());
    const auto xg = x.download();
    const auto yg = y.download();
    for (int i = 0; i < count; ++i) {
      const int src = identity ? int(offset) + i : perm[size_t(offset) + i];
      ASSERT_EQ(yg[i], labels[src]) << "label " << i;
      for (int e = 0; e < elems; ++e)
        ASSERT_EQ(xg[size_t(i) * elems + e], images[size_t(src) * elems + e]) << i << "," << e;
    }
  }
}

// ---- shuffle ----------------------------------------------------------------------
std::vector<int32_t> device_shuffle(Backend& be, int32_t n, uint64_t seed) {
  DeviceBuf<int32_t> p(be, n);
  p.poison(kPoisonI32);
  be.shuffle(p.get(), n, seed);
  return p.download();
}

TEST_F(CudaBackendTest, ShuffleIsASeededPermutation) {
  auto be = backend();
  for (int32_t n : {1, 2, 10, 1000, 60000}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    const auto a = device_shuffle(*be, n, 42);
    auto sorted = a;
    std::sort(sorted.begin(), sorted.end());
    for (int32_t i = 0; i < n; ++i) ASSERT_EQ(sorted[i], i) << "not a permutation of [0, n)";
    EXPECT_EQ(device_shuffle(*be, n, 42), a) << "same seed must give the same permutation";
    if (n >= 1000) {
      const auto b = device_shuffle(*be, n, 43);
      EXPECT_NE(a, b) << "different seeds gave the same permutation";
      int fixed = 0;
      for (int32_t i = 0; i < n; ++i) fixed += a[i] == i;
      EXPECT_LT(fixed, 20) << "the permutation is close to the identity";
    }
  }
  // Seeds differing only in their upper 32 bits still differ.
  EXPECT_NE(device_shuffle(*be, 1000, 5), device_shuffle(*be, 1000, 5 + (uint64_t(1) << 40)));
}

// The permutation is a pure function of (seed, n): indices sorted by the key
// splitmix64(seed + (i + 1) * golden) (kernels/reduce.cu). Recomputing it on
// the host pins the result, so a GPU and the emulated build agree.
TEST_F(CudaBackendTest, ShuffleIsTheDocumentedKeySort) {
  auto be = backend();
  const int32_t n = 777;
  const uint64_t seed = 0x1234567890abcdefull;
  std::vector<uint64_t> key(n);
  for (int32_t i = 0; i < n; ++i) {
    uint64_t z = seed + (uint64_t(i) + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    key[i] = z ^ (z >> 31);
  }
  std::vector<int32_t> expected(n);
  std::iota(expected.begin(), expected.end(), 0);
  std::stable_sort(expected.begin(), expected.end(),
                   [&](int32_t a, int32_t b) { return key[a] < key[b]; });
  EXPECT_EQ(device_shuffle(*be, n, seed), expected);
}

// ---- sums ---------------------------------------------------------------------------
TEST_F(CudaBackendTest, SumsMatchTheHost) {
  auto be = backend();
  for (int64_t n : {int64_t(0), int64_t(1), int64_t(1000), int64_t(123457)}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    Rng rng(case_seed(3 + uint64_t(n)));
    const auto f = random_vector<float>(n, rng, -3.0, 5.0);
    std::vector<int32_t> iv(static_cast<size_t>(n));
    for (auto& v : iv) v = int32_t(rng.below(2000001)) - 1000000;
    double ref = 0.0, mag = 0.0;
    int64_t iref = 0;
    for (int64_t i = 0; i < n; ++i) ref += f[i], mag += std::fabs(f[i]), iref += iv[i];
    if (n == 0) {
      EXPECT_EQ(be->sum_f32(nullptr, 0), 0.0);
      EXPECT_EQ(be->sum_i32(nullptr, 0), 0);
      continue;
    }
    DeviceBuf<float> fd(*be, f);
    DeviceBuf<int32_t> id(*be, iv);
    // Accumulated in double: error about n * 2^-53 * sum|x|.
    EXPECT_NEAR(be->sum_f32(fd.get(), n), ref, 4.0 * double(n) * 0x1.0p-53 * mag + 1e-300);
    EXPECT_EQ(be->sum_i32(id.get(), n), iref);
  }
  // A sum past 2^31 does not overflow.
  DeviceBuf<int32_t> big(*be, std::vector<int32_t>(5, 2000000000));
  EXPECT_EQ(be->sum_i32(big.get(), 5), int64_t(10000000000));
}

}  // namespace
