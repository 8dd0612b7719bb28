// tests/cpu/test_cpu_backend.cpp: the CpuBackend object: allocation
// accounting, data pipeline semantics, the softmax_ce bookkeeping, provenance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "convnet/backend.h"
#include "convnet/cpu_ops.h"
#include "convnet/error.h"

namespace {

using namespace convnet;

TEST(CpuBackend, AllocationCounterCounts) {
  auto be = make_cpu_backend(BackendOptions{});
  EXPECT_EQ(be->allocation_count(), 0);
  EXPECT_EQ(be->bytes_in_use(), 0u);
  void* a = be->alloc_bytes(1000);
  void* b = be->alloc_bytes(24);
  EXPECT_EQ(be->allocation_count(), 2);
  EXPECT_EQ(be->bytes_in_use(), 1024u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u) << "allocations are 64-byte aligned";
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 64, 0u);
  be->free_bytes(a);
  EXPECT_EQ(be->bytes_in_use(), 24u);
  EXPECT_EQ(be->peak_bytes(), 1024u);
  void* c = be->alloc_bytes(8);
  EXPECT_EQ(be->allocation_count(), 3);
  EXPECT_EQ(be->peak_bytes(), 1024u);
  be->free_bytes(b);
  be->free_bytes(c);
  EXPECT_EQ(be->bytes_in_use(), 0u);
  EXPECT_EQ(be->allocation_count(), 3) << "frees do not change the allocation count";
  int not_ours = 0;
  EXPECT_THROW(be->free_bytes(&not_ours), Error);
}

TEST(CpuBackend, MemoryRoundTrip) {
  auto be = make_cpu_backend(BackendOptions{});
  const std::vector<float> src = {1.5f, -2.0f, 3.25f};
  auto* d = static_cast<float*>(be->alloc_bytes(sizeof(float) * 3));
  be->upload(d, src.data(), sizeof(float) * 3);
  std::vector<float> back(3);
  be->download(back.data(), d, sizeof(float) * 3);
  EXPECT_EQ(back, src);
  be->zero(d, sizeof(float) * 3);
  be->download(back.data(), d, sizeof(float) * 3);
  EXPECT_EQ(back, std::vector<float>(3, 0.0f));
  EXPECT_DOUBLE_EQ(be->sum_f32(src.data(), 3), 2.75);
  const int32_t ints[4] = {1, 0, 1, 1};
  EXPECT_EQ(be->sum_i32(ints, 4), 3);
  be->free_bytes(d);
}

TEST(CpuBackend, ShuffleIsASeededPermutation) {
  auto be = make_cpu_backend(BackendOptions{});
  const int32_t n = 1000;
  std::vector<int32_t> a(n), b(n), c(n);
  be->shuffle(a.data(), n, 42);
  be->shuffle(b.data(), n, 42);
  be->shuffle(c.data(), n, 43);
  EXPECT_EQ(a, b) << "same seed, same permutation";
  EXPECT_NE(a, c) << "different seeds give different permutations";
  std::vector<int32_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int32_t i = 0; i < n; ++i) ASSERT_EQ(sorted[i], i) << "not a permutation of [0, n)";
  int fixed = 0;
  for (int32_t i = 0; i < n; ++i) fixed += (a[i] == i);
  EXPECT_LT(fixed, 20) << "a shuffle of 1000 leaves about 1 fixed point, not " << fixed;
}

TEST(CpuBackend, GatherFollowsThePermutation) {
  auto be = make_cpu_backend(BackendOptions{});
  const int64_t elems = 3;
  const int n = 5;
  std::vector<float> images(n * elems);
  std::vector<int32_t> labels(n);
  for (int i = 0; i < n; ++i) {
    labels[i] = 10 + i;
    for (int e = 0; e < elems; ++e) images[i * elems + e] = float(100 * i + e);
  }
  const std::vector<int32_t> perm = {4, 2, 0, 3, 1};
  std::vector<float> x(2 * elems);
  std::vector<int32_t> y(2);
  be->gather(images.data(), labels.data(), elems, perm.data(), 1, 2, x.data(), y.data());
  EXPECT_EQ(y, (std::vector<int32_t>{12, 10}));
  EXPECT_EQ(x, (std::vector<float>{200, 201, 202, 0, 1, 2}));
  be->gather(images.data(), labels.data(), elems, nullptr, 3, 2, x.data(), y.data());
  EXPECT_EQ(y, (std::vector<int32_t>{13, 14})) << "perm == nullptr is the identity";
  EXPECT_EQ(x, (std::vector<float>{300, 301, 302, 400, 401, 402}));
}

TEST(CpuBackend, SoftmaxCeRecordsFirstBadStep) {
  auto be = make_cpu_backend(BackendOptions{});
  const float good[2] = {0.0f, 1.0f};
  const float bad[2] = {std::numeric_limits<float>::quiet_NaN(), 1.0f};
  const int32_t label = 1;
  float loss = -1.0f;
  int32_t correct = -1, first_bad = -1;
  be->softmax_ce(1, 2, good, &label, nullptr, &loss, &correct, &first_bad, 5);
  EXPECT_NEAR(loss, std::log(1.0 + std::exp(-1.0)), 1e-6);
  EXPECT_EQ(correct, 1);
  EXPECT_EQ(first_bad, -1);
  be->softmax_ce(1, 2, bad, &label, nullptr, &loss, nullptr, &first_bad, 7);
  EXPECT_FALSE(std::isfinite(loss));
  EXPECT_EQ(first_bad, 7);
  be->softmax_ce(1, 2, bad, &label, nullptr, &loss, nullptr, &first_bad, 9);
  EXPECT_EQ(first_bad, 7) << "the FIRST bad step is kept";
}

TEST(CpuBackend, ProvenanceAndThreads) {
  BackendOptions opt;
  opt.threads = 2;
  auto be = make_cpu_backend(opt);
  EXPECT_EQ(be->kind(), BackendKind::Cpu);
  EXPECT_EQ(be->name(), "cpu");
  const auto prov = be->provenance();
  for (const char* key : {"blas", "blas_coretype", "threads", "cpu_model"}) {
    ASSERT_TRUE(prov.count(key)) << "provenance lacks " << key;
    EXPECT_FALSE(prov.at(key).empty()) << key;
  }
  EXPECT_EQ(prov.at("threads"), "2");
  EXPECT_NE(prov.at("blas").find("OpenBLAS"), std::string::npos) << prov.at("blas");
  opt.threads = -1;
  EXPECT_THROW(make_cpu_backend(opt), Error);
}

TEST(CpuBackend, ConvWorkspaceBytesMatchesTheOps) {
  auto be = make_cpu_backend(BackendOptions{});
  const Conv2dParams p{64, 6, 14, 14, 16, 5, 5};
  EXPECT_EQ(be->conv2d_workspace_bytes(p), cpu::conv2d_workspace_elems<float>(p) * sizeof(float));
}

}  // namespace
