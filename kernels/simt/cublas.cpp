// cublas.cpp -- the cuBLAS stand-ins of simt/cublas.h on top of OpenBLAS.
//
// Each GEMM is validated the way cuBLAS validates it (status codes included)
// and then passed to cblas_sgemm in CblasColMajor with exactly the arguments
// cuBLAS received: no transposition or swapping happens here, so a caller's
// row-major mapping is right here if and only if it is right on a GPU.
#include <cblas.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <string>

#include "simt/internal.h"

struct cn_simt_cublas_context {
  cudaStream_t stream = nullptr;
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
  cublasPointerMode_t pointer_mode = CUBLAS_POINTER_MODE_HOST;
};

namespace {

std::mutex g_mu;
std::set<const void*>& handles() {
  static std::set<const void*>* h = new std::set<const void*>;
  return *h;
}

bool live(cublasHandle_t h) {
  std::lock_guard<std::mutex> lock(g_mu);
  return h != nullptr && handles().count(h) != 0;
}

cublasStatus_t invalid(const std::string& what) {
  cn_simt::detail::set_last_message("SIMT cuBLAS: " + what);
  return CUBLAS_STATUS_INVALID_VALUE;
}

bool valid_op(cublasOperation_t op) { return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C; }

CBLAS_TRANSPOSE to_cblas(cublasOperation_t op) { return op == CUBLAS_OP_N ? CblasNoTrans : CblasTrans; }

// A column-major rows x cols matrix with leading dimension ld, repeated
// `batches` times `stride` elements apart, must lie in one cudaMalloc block.
// Beyond cuBLAS (which would read whatever is there, or fault): the emulator
// stops the program with the numbers that are wrong.
bool check_extent(const char* api, const char* name, const float* p, long long rows, long long cols, long long ld,
                  long long stride, long long batches) {
  if (rows == 0 || cols == 0 || batches == 0) return true;
  const long long last = (batches - 1) * stride;
  const long long lo = last < 0 ? last : 0;
  const long long hi = (last > 0 ? last : 0) + ld * (cols - 1) + rows;  // one past the last element
  const std::size_t bytes = static_cast<std::size_t>(hi - lo) * sizeof(float);
  if (cn_simt::detail::is_device_range(p + lo, bytes)) return true;
  const std::string message = std::string("SIMT cuBLAS: ") + api + ": matrix " + name + " (" + std::to_string(rows) +
                              " x " + std::to_string(cols) + ", ld " + std::to_string(ld) +
                              (batches > 1 ? ", " + std::to_string(batches) + " batches of stride " +
                                                 std::to_string(stride)
                                           : std::string()) +
                              ") spans " + std::to_string(bytes) + " bytes, but " +
                              cn_simt::detail::describe_pointer(p + lo) +
                              " (a wrong leading dimension, size or transpose flag?)";
  if (cn_simt::detail::throw_on_error()) {
    cn_simt::detail::set_last_message(message);
    throw cn_simt::SimtError(message);
  }
  cn_simt::detail::set_last_message(message);
  return false;
}

cublasStatus_t gemm(const char* api, cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m,
                    int n, int k, const float* alpha, const float* A, int lda, long long strideA, const float* B,
                    int ldb, long long strideB, const float* beta, float* C, int ldc, long long strideC,
                    int batch_count) {
  if (!live(handle)) {
    cn_simt::detail::set_last_message(std::string("SIMT cuBLAS: ") + api + ": handle is not from cublasCreate");
    return CUBLAS_STATUS_NOT_INITIALIZED;
  }
  // cuBLAS's own argument checks (see the cublas<t>gemm documentation).
  if (!valid_op(transa) || !valid_op(transb)) return invalid(std::string(api) + ": invalid transpose operation");
  if (m < 0 || n < 0 || k < 0 || batch_count < 0) {
    return invalid(std::string(api) + ": negative size m=" + std::to_string(m) + " n=" + std::to_string(n) +
                   " k=" + std::to_string(k) + " batchCount=" + std::to_string(batch_count));
  }
  const int a_rows = transa == CUBLAS_OP_N ? m : k;  // A as stored, column-major
  const int a_cols = transa == CUBLAS_OP_N ? k : m;
  const int b_rows = transb == CUBLAS_OP_N ? k : n;
  const int b_cols = transb == CUBLAS_OP_N ? n : k;
  if (lda < std::max(1, a_rows)) {
    return invalid(std::string(api) + ": lda=" + std::to_string(lda) + " < max(1, " + std::to_string(a_rows) +
                   ") (rows of A as stored, column-major)");
  }
  if (ldb < std::max(1, b_rows)) {
    return invalid(std::string(api) + ": ldb=" + std::to_string(ldb) + " < max(1, " + std::to_string(b_rows) +
                   ") (rows of B as stored, column-major)");
  }
  if (ldc < std::max(1, m)) {
    return invalid(std::string(api) + ": ldc=" + std::to_string(ldc) + " < max(1, m=" + std::to_string(m) + ")");
  }
  if (alpha == nullptr || beta == nullptr) return invalid(std::string(api) + ": null alpha or beta");
  if (m == 0 || n == 0 || batch_count == 0) return CUBLAS_STATUS_SUCCESS;  // nothing to compute

  const bool reads_ab = k > 0 && *alpha != 0.0f;
  if (reads_ab && (!check_extent(api, "A", A, a_rows, a_cols, lda, strideA, batch_count) ||
                   !check_extent(api, "B", B, b_rows, b_cols, ldb, strideB, batch_count))) {
    return CUBLAS_STATUS_EXECUTION_FAILED;
  }
  if (!check_extent(api, "C", C, m, n, ldc, strideC, batch_count)) return CUBLAS_STATUS_EXECUTION_FAILED;

  for (int b = 0; b < batch_count; ++b) {
    cblas_sgemm(CblasColMajor, to_cblas(transa), to_cblas(transb), m, n, k, *alpha, A + b * strideA, lda,
                B + b * strideB, ldb, *beta, C + b * strideC, ldc);
  }
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  if (handle == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *handle = new cn_simt_cublas_context;
  std::lock_guard<std::mutex> lock(g_mu);
  handles().insert(*handle);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (handle == nullptr || handles().erase(handle) == 0) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
  if (!live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (stream != nullptr && !cn_simt::detail::is_live_stream(stream)) return invalid("cublasSetStream: not a live stream");
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetStream(cublasHandle_t handle, cudaStream_t* stream) {
  if (!live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (stream == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *stream = handle->stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (!live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  const int base = static_cast<int>(mode) & ~static_cast<int>(CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
  if (base < 0 || base > 3) return invalid("cublasSetMathMode: unknown mode " + std::to_string(mode));
  handle->math = mode;  // the host BLAS always computes in plain FP32
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetMathMode(cublasHandle_t handle, cublasMath_t* mode) {
  if (!live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (mode == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *mode = handle->math;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetPointerMode(cublasHandle_t handle, cublasPointerMode_t mode) {
  if (!live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (mode != CUBLAS_POINTER_MODE_HOST) return invalid("cublasSetPointerMode: only CUBLAS_POINTER_MODE_HOST is emulated");
  handle->pointer_mode = mode;
  return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusName(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

const char* cublasGetStatusString(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "an absent device architectural feature is required";
    case CUBLAS_STATUS_MAPPING_ERROR: return "an access to GPU memory space failed";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "an internal operation failed";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
  }
  return "unknown error";
}

cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                           int k, const float* alpha, const float* A, int lda, const float* B, int ldb,
                           const float* beta, float* C, int ldc) {
  return gemm("cublasSgemm", handle, transa, transb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const float* alpha, const float* A, int lda,
                                         long long strideA, const float* B, int ldb, long long strideB,
                                         const float* beta, float* C, int ldc, long long strideC, int batchCount) {
  return gemm("cublasSgemmStridedBatched", handle, transa, transb, m, n, k, alpha, A, lda, strideA, B, ldb, strideB,
              beta, C, ldc, strideC, batchCount);
}
