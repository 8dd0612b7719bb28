// host/cpu/threads.cpp: the CPU ops' thread count, and the shared GEMM helper.
#include <omp.h>

#include <atomic>
#include <mutex>

#include "convnet/cpu_ops.h"
#include "cpu_internal.h"

namespace convnet::cpu {

namespace {
std::atomic<int> g_threads{0};  // 0 = not chosen yet: all cores
}

void set_num_threads(int n) {
  g_threads = n > 0 ? n : omp_get_num_procs();
}

int num_threads() {
  const int n = g_threads.load();
  return n > 0 ? n : omp_get_num_procs();
}

namespace detail {

void blas_single_threaded() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

template <class T>
void gemm_parallel_rows(bool ta, bool tb, int M, int N, int K, T alpha, const T* A, int lda,
                        const T* B, int ldb, T beta, T* C, int ldc) {
  blas_single_threaded();
  // Below ~64k multiply-adds a fork costs more than it saves.
  const int T_ = (int64_t(M) * N * K < 65536 || M < 2) ? 1 : std::min(num_threads(), M);
#pragma omp parallel num_threads(T_)
  {
    int64_t m0, m1;
    split_range(M, omp_get_num_threads(), omp_get_thread_num(), &m0, &m1);
    if (m1 > m0) {
      // Rows m0..m1 of op(A): row offset in A when not transposed, column offset when transposed.
      const T* a = ta ? A + m0 : A + m0 * lda;
      gemm(ta, tb, int(m1 - m0), N, K, alpha, a, lda, B, ldb, beta, C + m0 * ldc, ldc);
    }
  }
}

template void gemm_parallel_rows<float>(bool, bool, int, int, int, float, const float*, int,
                                        const float*, int, float, float*, int);
template void gemm_parallel_rows<double>(bool, bool, int, int, int, double, const double*, int,
                                         const double*, int, double, double*, int);

}  // namespace detail
}  // namespace convnet::cpu
