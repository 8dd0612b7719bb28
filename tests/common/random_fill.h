// tests/common/random_fill.h: seeded random test data.
//
// API (stable: the CPU and the GPU tests both use it)
//
//   uint64_t case_seed(uint64_t case_index);
//       The seed for one test case: a base seed mixed with the case index, so
//       every case gets FRESH inputs but a rerun reproduces them. The base is
//       env CONVNET_TEST_SEED when set (to vary inputs between runs), else a
//       fixed constant; base_seed() returns it for failure messages.
//
//   void fill_uniform(T* p, int64_t n, Rng& rng, double lo = -1, double hi = 1);  T = float|double
//   std::vector<T> random_vector<T>(int64_t n, Rng& rng, double lo = -1, double hi = 1);
//   void fill_labels(int32_t* p, int64_t n, int classes, Rng& rng);  uniform in [0, classes)
//   std::vector<double> to_double(const std::vector<float>&);  exact widening
//   std::vector<double> abs_of(const std::vector<double>&);    |x| elementwise (for magnitudes)
#pragma once

#include <cstdint>
#include <vector>

#include "convnet/rng.h"

namespace convnet::test {

uint64_t base_seed();
uint64_t case_seed(uint64_t case_index);

template <class T>
void fill_uniform(T* p, int64_t n, Rng& rng, double lo = -1.0, double hi = 1.0) {
  for (int64_t i = 0; i < n; ++i) p[i] = T(rng.uniform(lo, hi));
}

template <class T>
std::vector<T> random_vector(int64_t n, Rng& rng, double lo = -1.0, double hi = 1.0) {
  std::vector<T> v(size_t(n > 0 ? n : 0));
  fill_uniform(v.data(), n, rng, lo, hi);
  return v;
}

void fill_labels(int32_t* p, int64_t n, int classes, Rng& rng);

std::vector<double> to_double(const std::vector<float>& v);
std::vector<double> abs_of(const std::vector<double>& v);

}  // namespace convnet::test
