// The cuBLAS stand-in: column-major GEMM for all four transpose combinations
// against a naive double loop, the row-major mapping callers use, strided
// batches, and cuBLAS's argument checks.
#include <cmath>
#include <string>
#include <vector>

#include "common/random_fill.h"
#include "common/tolerance.h"
#include "simt_test_util.h"

using simt_test::DeviceArray;

namespace {

// Naive column-major reference: C = alpha op(A) op(B) + beta C, and the
// magnitude sum |alpha| sum_k |op(A)_ik op(B)_kj| + |beta C_ij| for the bound.
void reference_gemm(bool ta, bool tb, int m, int n, int k, float alpha, const std::vector<float>& A, int lda,
                    const std::vector<float>& B, int ldb, float beta, const std::vector<float>& C0, int ldc,
                    std::vector<double>* ref, std::vector<double>* mag) {
  ref->assign(static_cast<size_t>(m) * n, 0.0);
  mag->assign(static_cast<size_t>(m) * n, 0.0);
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < m; ++i) {
      double s = 0, a = 0;
      for (int p = 0; p < k; ++p) {
        const double x = ta ? A[static_cast<size_t>(p + i * lda)] : A[static_cast<size_t>(i + p * lda)];
        const double y = tb ? B[static_cast<size_t>(j + p * ldb)] : B[static_cast<size_t>(p + j * ldb)];
        s += x * y;
        a += std::fabs(x * y);
      }
      const double c = C0[static_cast<size_t>(i + j * ldc)];
      (*ref)[static_cast<size_t>(i + j * m)] = alpha * s + beta * c;
      (*mag)[static_cast<size_t>(i + j * m)] = std::fabs(alpha) * a + std::fabs(beta * c);
    }
  }
}

class Handle {
 public:
  Handle() { EXPECT_EQ(cublasCreate(&h_), CUBLAS_STATUS_SUCCESS); }
  ~Handle() { cublasDestroy(h_); }
  cublasHandle_t get() const { return h_; }

 private:
  cublasHandle_t h_ = nullptr;
};

TEST(SimtCublas, SgemmAllTransposeCombinationsMatchANaiveLoop) {
  Handle handle;
  ASSERT_EQ(cublasSetMathMode(handle.get(), CUBLAS_PEDANTIC_MATH), CUBLAS_STATUS_SUCCESS);
  int case_index = 0;
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      for (int shape = 0; shape < 3; ++shape, ++case_index) {
        convnet::Rng rng(convnet::test::case_seed(static_cast<uint64_t>(100 + case_index)));
        const int m = 1 + static_cast<int>(rng.below(40)), n = 1 + static_cast<int>(rng.below(40));
        const int k = 1 + static_cast<int>(rng.below(70));
        // Leading dimensions with padding, so a swapped ld shows.
        const int a_rows = ta ? k : m, a_cols = ta ? m : k;
        const int b_rows = tb ? n : k, b_cols = tb ? k : n;
        const int lda = a_rows + static_cast<int>(rng.below(3)), ldb = b_rows + static_cast<int>(rng.below(3));
        const int ldc = m + static_cast<int>(rng.below(3));
        const std::vector<float> A = convnet::test::random_vector<float>(lda * a_cols, rng);
        const std::vector<float> B = convnet::test::random_vector<float>(ldb * b_cols, rng);
        const std::vector<float> C0 = convnet::test::random_vector<float>(ldc * n, rng);
        const float alpha = static_cast<float>(rng.uniform(0.5, 2.0));
        const float beta = shape == 0 ? 0.0f : static_cast<float>(rng.uniform(-1.0, 1.0));
        DeviceArray<float> dA(A), dB(B), dC(C0);
        if (beta == 0.0f) {
          // beta == 0 means C is not read: NaN there must not leak into the result.
          SIMT_OK(cudaMemset(dC.get(), 0xFF, dC.size() * sizeof(float)));
        }
        const cublasStatus_t st = cublasSgemm(handle.get(), ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                              m, n, k, &alpha, dA.get(), lda, dB.get(), ldb, &beta, dC.get(), ldc);
        ASSERT_EQ(st, CUBLAS_STATUS_SUCCESS) << cn_simt::last_error_message();
        std::vector<double> ref, mag;
        reference_gemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C0, ldc, &ref, &mag);
        const std::vector<float> C = dC.download();
        std::vector<float> got(static_cast<size_t>(m) * n);
        for (int j = 0; j < n; ++j)
          for (int i = 0; i < m; ++i) got[static_cast<size_t>(i + j * m)] = C[static_cast<size_t>(i + j * ldc)];
        const std::string what = std::string("sgemm ") + (ta ? "T" : "N") + (tb ? "T" : "N") + " m=" +
                                 std::to_string(m) + " n=" + std::to_string(n) + " k=" + std::to_string(k);
        EXPECT_TRUE(convnet::test::check_close(what.c_str(), got.data(), ref.data(), mag.data(), m * n, k + 1));
        // The padding rows of C (between m and ldc) are untouched.
        for (int j = 0; j < n; ++j)
          for (int i = m; i < ldc; ++i) {
            if (beta != 0.0f) {
              ASSERT_EQ(C[static_cast<size_t>(i + j * ldc)], C0[static_cast<size_t>(i + j * ldc)]) << what;
            }
          }
      }
    }
  }
}

TEST(SimtCublas, RowMajorProductThroughTheTransposeTrick) {
  // Row-major C[M][N] = A[M][K] B[K][N] is column-major C^T = B^T A^T: call
  // cublasSgemm(N, N, N, M, K, B, N, A, K, C, N), as host/cuda code does.
  Handle handle;
  convnet::Rng rng(convnet::test::case_seed(200));
  const int M = 13, N = 7, K = 29;
  const std::vector<float> A = convnet::test::random_vector<float>(M * K, rng);
  const std::vector<float> B = convnet::test::random_vector<float>(K * N, rng);
  DeviceArray<float> dA(A), dB(B), dC(M * N);
  const float one = 1.0f, zero = 0.0f;
  ASSERT_EQ(cublasSgemm(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &one, dB.get(), N, dA.get(), K, &zero,
                        dC.get(), N),
            CUBLAS_STATUS_SUCCESS)
      << cn_simt::last_error_message();
  std::vector<double> ref(M * N), mag(M * N);
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j)
      for (int p = 0; p < K; ++p) {
        const double x = double(A[static_cast<size_t>(i * K + p)]) * B[static_cast<size_t>(p * N + j)];
        ref[static_cast<size_t>(i * N + j)] += x;
        mag[static_cast<size_t>(i * N + j)] += std::fabs(x);
      }
  const std::vector<float> C = dC.download();
  EXPECT_TRUE(convnet::test::check_close("row-major sgemm", C.data(), ref.data(), mag.data(), M * N, K));
}

TEST(SimtCublas, StridedBatchedEqualsALoopOfSgemm) {
  Handle handle;
  convnet::Rng rng(convnet::test::case_seed(300));
  const int m = 6, n = 5, k = 9, batches = 4;
  const long long sA = m * k + 3, sB = k * n + 1, sC = m * n + 2;
  const std::vector<float> A = convnet::test::random_vector<float>(sA * batches, rng);
  const std::vector<float> B = convnet::test::random_vector<float>(sB * batches, rng);
  DeviceArray<float> dA(A), dB(B), dC(sC * batches), dC1(m * n);
  const float alpha = 0.75f, beta = 0.0f;
  ASSERT_EQ(cublasSgemmStridedBatched(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, dA.get(), m, sA,
                                      dB.get(), k, sB, &beta, dC.get(), m, sC, batches),
            CUBLAS_STATUS_SUCCESS)
      << cn_simt::last_error_message();
  const std::vector<float> C = dC.download();
  for (int b = 0; b < batches; ++b) {
    ASSERT_EQ(cublasSgemm(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, dA.get() + b * sA, m,
                          dB.get() + b * sB, k, &beta, dC1.get(), m),
              CUBLAS_STATUS_SUCCESS);
    const std::vector<float> one = dC1.download();
    for (int i = 0; i < m * n; ++i) {
      ASSERT_EQ(C[static_cast<size_t>(b * sC + i)], one[static_cast<size_t>(i)]) << "batch " << b << " element " << i;
    }
  }
}

TEST(SimtCublas, InvalidArgumentsAreRejectedLikeCublas) {
  Handle handle;
  DeviceArray<float> d(1000);
  const float one = 1.0f;
  const cublasHandle_t h = handle.get();
  // lda must be >= rows of A as stored: m for N, k for T.
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 10, 5, 8, &one, d.get(), 9, d.get(), 8, &one, d.get(), 10),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_NE(cn_simt::last_error_message().find("lda=9"), std::string::npos) << cn_simt::last_error_message();
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, 10, 5, 8, &one, d.get(), 7, d.get(), 8, &one, d.get(), 10),
            CUBLAS_STATUS_INVALID_VALUE);
  // ldb >= k for N, n for T.
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_T, 10, 5, 8, &one, d.get(), 10, d.get(), 4, &one, d.get(), 10),
            CUBLAS_STATUS_INVALID_VALUE);
  // ldc >= m.
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 10, 5, 8, &one, d.get(), 10, d.get(), 8, &one, d.get(), 9),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, -1, 5, 8, &one, d.get(), 10, d.get(), 8, &one, d.get(), 10),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cublasSgemm(h, static_cast<cublasOperation_t>(7), CUBLAS_OP_N, 1, 1, 1, &one, d.get(), 1, d.get(), 1,
                        &one, d.get(), 1),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cublasSgemmStridedBatched(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, d.get(), 2, 4, d.get(), 2, 4, &one,
                                      d.get(), 2, 4, -1),
            CUBLAS_STATUS_INVALID_VALUE);
  // The minimal leading dimensions are accepted.
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_T, 10, 5, 8, &one, d.get(), 8, d.get(), 5, &one, d.get() + 500, 10),
            CUBLAS_STATUS_SUCCESS)
      << cn_simt::last_error_message();
  // A destroyed or never-created handle.
  cublasHandle_t dead = nullptr;
  ASSERT_EQ(cublasCreate(&dead), CUBLAS_STATUS_SUCCESS);
  ASSERT_EQ(cublasDestroy(dead), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(cublasSgemm(dead, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &one, d.get(), 1, d.get(), 1, &one, d.get(), 1),
            CUBLAS_STATUS_NOT_INITIALIZED);
  EXPECT_EQ(cublasDestroy(dead), CUBLAS_STATUS_NOT_INITIALIZED);
  EXPECT_STREQ(cublasGetStatusName(CUBLAS_STATUS_INVALID_VALUE), "CUBLAS_STATUS_INVALID_VALUE");
}

TEST(SimtCublas, MatricesOutsideTheirAllocationAreCaught) {
  Handle handle;
  DeviceArray<float> a(10 * 8), b(8 * 5), c(10 * 5);
  const float one = 1.0f;
  // Valid arguments for cuBLAS, but B claims 8 x 6 with ldb 8 = 48 floats of a 40-float buffer.
  EXPECT_THROW(cublasSgemm(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, 10, 6, 8, &one, a.get(), 10, b.get(), 8, &one,
                           c.get(), 10),
               cn_simt::SimtError);
  EXPECT_NE(cn_simt::last_error_message().find("matrix B"), std::string::npos) << cn_simt::last_error_message();
  // Host memory is not device memory.
  std::vector<float> host(100);
  EXPECT_THROW(cublasSgemm(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, host.data(), 2, b.get(), 2, &one,
                           c.get(), 2),
               cn_simt::SimtError);
}

TEST(SimtCublas, HandleStreamAndModes) {
  Handle handle;
  cudaStream_t s = nullptr;
  SIMT_OK(cudaStreamCreate(&s));
  EXPECT_EQ(cublasSetStream(handle.get(), s), CUBLAS_STATUS_SUCCESS);
  cudaStream_t got = nullptr;
  EXPECT_EQ(cublasGetStream(handle.get(), &got), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(got, s);
  EXPECT_EQ(cublasSetMathMode(handle.get(), CUBLAS_DEFAULT_MATH), CUBLAS_STATUS_SUCCESS);
  cublasMath_t mode = CUBLAS_PEDANTIC_MATH;
  EXPECT_EQ(cublasGetMathMode(handle.get(), &mode), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(mode, CUBLAS_DEFAULT_MATH);
  EXPECT_EQ(cublasSetStream(handle.get(), nullptr), CUBLAS_STATUS_SUCCESS);
  SIMT_OK(cudaStreamDestroy(s));
}

}  // namespace
