// host/cpu/cpu_internal.h: helpers shared by the CPU op files (not public).
//
// Threading model: ALL parallelism is OpenMP with static work splits chosen
// by us; OpenBLAS is kept single-threaded and called from inside our
// parallel regions. Two thread pools (libgomp's and OpenBLAS's) spinning on
// the same cores fight each other, and a split we choose ourselves is a
// split we can keep deterministic.
#pragma once

#include <cblas.h>

#include <cstdint>

namespace convnet::cpu::detail {

// Makes OpenBLAS single-threaded (once per process); call before any
// parallel region that calls BLAS.
void blas_single_threaded();

// Work split: part i of `parts` equal contiguous pieces of [0, n).
inline void split_range(int64_t n, int parts, int i, int64_t* begin, int64_t* end) {
  *begin = n * i / parts;
  *end = n * (i + 1) / parts;
}

// Row-major GEMM, C[M,N] = alpha * op(A) * op(B) + beta * C, single-threaded,
// for float and double. lda/ldb/ldc are row strides as stored.
inline void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
                 const float* B, int ldb, float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
              K, alpha, A, lda, B, ldb, beta, C, ldc);
}
inline void gemm(bool ta, bool tb, int M, int N, int K, double alpha, const double* A, int lda,
                 const double* B, int ldb, double beta, double* C, int ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
              K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// The same GEMM with the M rows of C split statically over the CPU threads
// (each row of C is computed by one thread, in the same order whatever the
// split, so the result does not depend on the thread count).
template <class T>
void gemm_parallel_rows(bool ta, bool tb, int M, int N, int K, T alpha, const T* A, int lda,
                        const T* B, int ldb, T beta, T* C, int ldc);

}  // namespace convnet::cpu::detail
