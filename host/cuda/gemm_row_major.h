// host/cuda/gemm_row_major.h: row-major GEMM on top of column-major cuBLAS.
//
// The engine stores matrices row-major (linear W is [out, in]); cuBLAS is
// column-major. This is the ONE place the mapping is written down; the linear
// forward, dx and dW all go through it.
//
// A row-major R x C matrix with leading dimension ld (= C when packed) is,
// byte for byte, the column-major C x R matrix that is its transpose. So the
// row-major product
//     C[M, N] = op(A)[M, K] * op(B)[K, N]
// is the column-major product
//     C^T[N, M] = op(B)^T * op(A)^T
// which is cublasSgemm with the two operands swapped (B first), M and N
// swapped, and each operand keeping its own transpose flag. Leading
// dimensions are the row-major ones (elements per stored row).
#pragma once

#include "cuda_check.h"

namespace convnet::cuda {

// C = alpha * op(A) * op(B) + beta * C, all row-major. `what` names the caller
// (op and shape) for the error message.
inline void gemm_row_major(cublasHandle_t handle, bool trans_a, bool trans_b, int M, int N, int K,
                           float alpha, const float* A, int lda, const float* B, int ldb, float beta,
                           float* C, int ldc, const std::string& what) {
  CN_CUBLAS_CHECK(cublasSgemm(handle, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                              trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha, B, ldb, A, lda,
                              &beta, C, ldc),
                  what, " (cublasSgemm M=", M, " N=", N, " K=", K, ")");
}

}  // namespace convnet::cuda
