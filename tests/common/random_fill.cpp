// tests/common/random_fill.cpp: seeded random test data (see random_fill.h).
#include "common/random_fill.h"

#include <cmath>
#include <cstdlib>

namespace convnet::test {

uint64_t base_seed() {
  const char* e = std::getenv("CONVNET_TEST_SEED");
  if (e != nullptr && *e != '\0') return std::strtoull(e, nullptr, 10);
  return 20261203ull;
}

uint64_t case_seed(uint64_t case_index) {
  uint64_t s = base_seed() ^ (case_index * 0xD1B54A32D192ED03ull);
  return splitmix64(s);
}

void fill_labels(int32_t* p, int64_t n, int classes, Rng& rng) {
  for (int64_t i = 0; i < n; ++i) p[i] = int32_t(rng.below(uint64_t(classes)));
}

std::vector<double> to_double(const std::vector<float>& v) {
  return std::vector<double>(v.begin(), v.end());
}

std::vector<double> abs_of(const std::vector<double>& v) {
  std::vector<double> a(v.size());
  for (size_t i = 0; i < v.size(); ++i) a[i] = std::fabs(v[i]);
  return a;
}

}  // namespace convnet::test
