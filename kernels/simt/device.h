// simt/device.h -- what CUDA device code sees, for the host SIMT emulator.
//
// Included through simt/cuda_compat.h when g++ compiles a .cu file. Every CUDA
// thread of a block runs as a fiber on one OS thread; the built-in variables
// (threadIdx, blockIdx, ...) are OS-thread-local and the scheduler rewrites
// threadIdx before it resumes each fiber, so inside a kernel they read exactly
// as on a GPU. Barriers and warp operations are calls into the scheduler
// (kernels/simt/scheduler.cpp): a fiber runs until it reaches one, then waits
// there until every thread the operation names has arrived.
#pragma once

#include <cfloat>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <math.h>  // expf, logf, isfinite ... in the global namespace, as CUDA has them
#include <type_traits>

// ---- qualifiers ------------------------------------------------------------
// Device and host code are the same host code here. Each is guarded: CCCL's
// headers (Thrust on its CPP system) define some of them the same way.
#ifndef __global__
#define __global__
#endif
#ifndef __device__
#define __device__
#endif
#ifndef __host__
#define __host__
#endif
#ifndef __forceinline__
#define __forceinline__ inline
#endif
#ifndef __launch_bounds__
#define __launch_bounds__(...)
#endif
#ifndef __constant__
#define __constant__
#endif
#ifndef __align__
#define __align__(n) __attribute__((aligned(n)))
#endif
// Blocks of one launch run one after another on an OS thread, and every
// fiber of a block runs on that same OS thread, so a `static thread_local`
// variable is exactly "one copy per block in flight". Like a GPU's shared
// memory it is NOT cleared between blocks: read-before-write bugs are not
// caught for static __shared__ arrays (dynamic shared memory is refilled with
// 0xFF bytes -- NaN as float -- at the start of every block).
#ifndef __shared__
#define __shared__ static thread_local
#endif

// ---- vector types and dim3 ---------------------------------------------------
struct uint3 { unsigned int x, y, z; };

struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

struct __align__(8) float2 { float x, y; };
struct float3 { float x, y, z; };
struct __align__(16) float4 { float x, y, z, w; };
struct __align__(8) int2 { int x, y; };
struct int3 { int x, y, z; };
struct __align__(16) int4 { int x, y, z, w; };
struct __align__(8) uint2 { unsigned int x, y; };
struct __align__(16) uint4 { unsigned int x, y, z, w; };
struct __align__(16) double2 { double x, y; };
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float3 make_float3(float x, float y, float z) { return float3{x, y, z}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline int2 make_int2(int x, int y) { return int2{x, y}; }
inline int3 make_int3(int x, int y, int z) { return int3{x, y, z}; }
inline int4 make_int4(int x, int y, int z, int w) { return int4{x, y, z, w}; }
inline uint2 make_uint2(unsigned int x, unsigned int y) { return uint2{x, y}; }
inline uint3 make_uint3(unsigned int x, unsigned int y, unsigned int z) { return uint3{x, y, z}; }
inline uint4 make_uint4(unsigned int x, unsigned int y, unsigned int z, unsigned int w) { return uint4{x, y, z, w}; }
inline double2 make_double2(double x, double y) { return double2{x, y}; }

// ---- built-in variables ------------------------------------------------------
// __thread (not thread_local): plain TLS with no init guard, so reading
// threadIdx.x costs one load, as it should in an inner loop.
extern __thread uint3 threadIdx;
extern __thread uint3 blockIdx;
extern __thread dim3 blockDim;
extern __thread dim3 gridDim;
constexpr int warpSize = 32;

// ---- scheduler entry points (kernels/simt/scheduler.cpp) ---------------------
namespace cn_simt {
namespace detail {

enum class WarpOp : int { SyncWarp, ShflIdx, ShflUp, ShflDown, ShflXor, Ballot, Any, All };
enum class BarrierOp : int { Sync, Count, And, Or };

// Waits until every live thread of the block arrives; returns how many
// arrived with predicate != 0 (the __syncthreads_count result).
int block_barrier(BarrierOp op, int predicate);
// Waits until every lane named in `mask` arrives at the same operation, then
// returns this lane's result (the shuffled bits, or the ballot).
std::uint64_t warp_collective(WarpOp op, unsigned int mask, std::uint64_t value, long long arg, int width);
unsigned int active_mask();
void* dynamic_shared_raw();

template <typename T>
inline T* dynamic_shared() {
  static_assert(alignof(T) <= 16, "CN_DYNAMIC_SHARED: dynamic shared memory is 16-byte aligned");
  return static_cast<T*>(dynamic_shared_raw());
}

// Shuffles move raw bits: any arithmetic type of at most 8 bytes.
template <typename T>
inline std::uint64_t to_bits(T v) {
  static_assert(std::is_arithmetic<T>::value && sizeof(T) <= 8, "warp shuffle: arithmetic types of <= 8 bytes");
  std::uint64_t b = 0;
  std::memcpy(&b, &v, sizeof(T));
  return b;
}
template <typename T>
inline T from_bits(std::uint64_t b) {
  T v;
  std::memcpy(&v, &b, sizeof(T));
  return v;
}

}  // namespace detail
}  // namespace cn_simt

// ---- barriers and fences -------------------------------------------------------
inline void __syncthreads() { cn_simt::detail::block_barrier(cn_simt::detail::BarrierOp::Sync, 0); }
inline int __syncthreads_count(int p) { return cn_simt::detail::block_barrier(cn_simt::detail::BarrierOp::Count, p); }
inline int __syncthreads_and(int p) {
  return cn_simt::detail::block_barrier(cn_simt::detail::BarrierOp::And, p) ==
         static_cast<int>(blockDim.x * blockDim.y * blockDim.z);
}
inline int __syncthreads_or(int p) { return cn_simt::detail::block_barrier(cn_simt::detail::BarrierOp::Or, p) != 0; }
// Fibers of a block never run at the same time, so fences only need to stop
// the compiler (and other OS threads running other blocks) from reordering.
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ---- warp operations: lanes are grouped by linear thread id / 32 ---------------
inline void __syncwarp(unsigned int mask = 0xffffffffu) {
  cn_simt::detail::warp_collective(cn_simt::detail::WarpOp::SyncWarp, mask, 0, 0, 32);
}
template <typename T>
inline T __shfl_sync(unsigned int mask, T var, int src_lane, int width = warpSize) {
  using namespace cn_simt::detail;
  return from_bits<T>(warp_collective(WarpOp::ShflIdx, mask, to_bits(var), src_lane, width));
}
template <typename T>
inline T __shfl_up_sync(unsigned int mask, T var, unsigned int delta, int width = warpSize) {
  using namespace cn_simt::detail;
  return from_bits<T>(warp_collective(WarpOp::ShflUp, mask, to_bits(var), delta, width));
}
template <typename T>
inline T __shfl_down_sync(unsigned int mask, T var, unsigned int delta, int width = warpSize) {
  using namespace cn_simt::detail;
  return from_bits<T>(warp_collective(WarpOp::ShflDown, mask, to_bits(var), delta, width));
}
template <typename T>
inline T __shfl_xor_sync(unsigned int mask, T var, int lane_mask, int width = warpSize) {
  using namespace cn_simt::detail;
  return from_bits<T>(warp_collective(WarpOp::ShflXor, mask, to_bits(var), lane_mask, width));
}
inline unsigned int __ballot_sync(unsigned int mask, int predicate) {
  using namespace cn_simt::detail;
  return static_cast<unsigned int>(warp_collective(WarpOp::Ballot, mask, predicate != 0, 0, 32));
}
inline int __any_sync(unsigned int mask, int predicate) {
  using namespace cn_simt::detail;
  return static_cast<int>(warp_collective(WarpOp::Any, mask, predicate != 0, 0, 32));
}
inline int __all_sync(unsigned int mask, int predicate) {
  using namespace cn_simt::detail;
  return static_cast<int>(warp_collective(WarpOp::All, mask, predicate != 0, 0, 32));
}
// The emulator does not model convergence: the "active" lanes are the lanes
// of this warp that exist and have not exited.
inline unsigned int __activemask() { return cn_simt::detail::active_mask(); }

// ---- atomics -------------------------------------------------------------------
// GCC's __atomic builtins, so they stay correct if blocks run on several OS
// threads. Relaxed ordering, like CUDA's atomicXxx.
namespace cn_simt {
namespace detail {
template <typename T, typename F>
inline T atomic_update(T* address, F f) {
  T old;
  __atomic_load(address, &old, __ATOMIC_RELAXED);
  T desired = f(old);
  while (!__atomic_compare_exchange(address, &old, &desired, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    desired = f(old);
  }
  return old;
}
}  // namespace detail
}  // namespace cn_simt

inline int atomicAdd(int* a, int v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }
inline unsigned int atomicAdd(unsigned int* a, unsigned int v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicAdd(unsigned long long* a, unsigned long long v) {
  return __atomic_fetch_add(a, v, __ATOMIC_RELAXED);
}
inline float atomicAdd(float* a, float v) {
  return cn_simt::detail::atomic_update(a, [v](float old) { return old + v; });
}
inline double atomicAdd(double* a, double v) {
  return cn_simt::detail::atomic_update(a, [v](double old) { return old + v; });
}
inline int atomicSub(int* a, int v) { return __atomic_fetch_sub(a, v, __ATOMIC_RELAXED); }
inline unsigned int atomicSub(unsigned int* a, unsigned int v) { return __atomic_fetch_sub(a, v, __ATOMIC_RELAXED); }
inline int atomicMax(int* a, int v) {
  return cn_simt::detail::atomic_update(a, [v](int old) { return old > v ? old : v; });
}
inline unsigned int atomicMax(unsigned int* a, unsigned int v) {
  return cn_simt::detail::atomic_update(a, [v](unsigned int old) { return old > v ? old : v; });
}
inline long long atomicMax(long long* a, long long v) {
  return cn_simt::detail::atomic_update(a, [v](long long old) { return old > v ? old : v; });
}
inline unsigned long long atomicMax(unsigned long long* a, unsigned long long v) {
  return cn_simt::detail::atomic_update(a, [v](unsigned long long old) { return old > v ? old : v; });
}
inline int atomicMin(int* a, int v) {
  return cn_simt::detail::atomic_update(a, [v](int old) { return old < v ? old : v; });
}
inline unsigned int atomicMin(unsigned int* a, unsigned int v) {
  return cn_simt::detail::atomic_update(a, [v](unsigned int old) { return old < v ? old : v; });
}
inline long long atomicMin(long long* a, long long v) {
  return cn_simt::detail::atomic_update(a, [v](long long old) { return old < v ? old : v; });
}
inline unsigned long long atomicMin(unsigned long long* a, unsigned long long v) {
  return cn_simt::detail::atomic_update(a, [v](unsigned long long old) { return old < v ? old : v; });
}
template <typename T>
inline T cn_simt_atomic_cas(T* a, T compare, T val) {
  __atomic_compare_exchange_n(a, &compare, val, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return compare;  // holds the old value whether or not the swap happened
}
inline int atomicCAS(int* a, int c, int v) { return cn_simt_atomic_cas(a, c, v); }
inline unsigned int atomicCAS(unsigned int* a, unsigned int c, unsigned int v) { return cn_simt_atomic_cas(a, c, v); }
inline unsigned long long atomicCAS(unsigned long long* a, unsigned long long c, unsigned long long v) {
  return cn_simt_atomic_cas(a, c, v);
}
inline int atomicExch(int* a, int v) { return __atomic_exchange_n(a, v, __ATOMIC_RELAXED); }
inline unsigned int atomicExch(unsigned int* a, unsigned int v) { return __atomic_exchange_n(a, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicExch(unsigned long long* a, unsigned long long v) {
  return __atomic_exchange_n(a, v, __ATOMIC_RELAXED);
}
inline float atomicExch(float* a, float v) {
  float old;
  __atomic_exchange(a, &v, &old, __ATOMIC_RELAXED);
  return old;
}
inline int atomicAnd(int* a, int v) { return __atomic_fetch_and(a, v, __ATOMIC_RELAXED); }
inline unsigned int atomicAnd(unsigned int* a, unsigned int v) { return __atomic_fetch_and(a, v, __ATOMIC_RELAXED); }
inline int atomicOr(int* a, int v) { return __atomic_fetch_or(a, v, __ATOMIC_RELAXED); }
inline unsigned int atomicOr(unsigned int* a, unsigned int v) { return __atomic_fetch_or(a, v, __ATOMIC_RELAXED); }
inline int atomicXor(int* a, int v) { return __atomic_fetch_xor(a, v, __ATOMIC_RELAXED); }
inline unsigned int atomicXor(unsigned int* a, unsigned int v) { return __atomic_fetch_xor(a, v, __ATOMIC_RELAXED); }

// ---- math intrinsics -----------------------------------------------------------
// The fast-math intrinsics are the accurate library functions here: results
// may differ from a GPU's in the last bits (tolerances must allow for that).
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
template <typename T>
inline T __ldg(const T* p) { return *p; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline unsigned int __float_as_uint(float f) { unsigned int i; std::memcpy(&i, &f, 4); return i; }
inline float __uint_as_float(unsigned int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned int>(x)); }
inline int __ffs(int x) { return __builtin_ffs(x); }

// CUDA's global min/max overloads (device code calls them unqualified).
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned int min(unsigned int a, unsigned int b) { return a < b ? a : b; }
inline unsigned int max(unsigned int a, unsigned int b) { return a > b ? a : b; }
inline unsigned int min(int a, unsigned int b) { return min(static_cast<unsigned int>(a), b); }
inline unsigned int max(int a, unsigned int b) { return max(static_cast<unsigned int>(a), b); }
inline unsigned int min(unsigned int a, int b) { return min(a, static_cast<unsigned int>(b)); }
inline unsigned int max(unsigned int a, int b) { return max(a, static_cast<unsigned int>(b)); }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a > b ? a : b; }
inline unsigned long min(unsigned long a, unsigned long b) { return a < b ? a : b; }
inline unsigned long max(unsigned long a, unsigned long b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
